import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { pidAlive, withFileLock } from '../log/file-lock';
import { lazySchema } from '../wire/lazy';

// Who may still need an uploaded workspace's unpacked copy, across every process on one storage (two windows, a window
// and `hangar serve`): a session being created names its upload in its record only at the end of its creation, so
// "no stored session names the upload" does not mean "nobody needs the copy". A creation claims the upload first (a
// `<file_id>.claim-<nonce>` file beside the copies) and drops the claim once its record is stored or it failed; a
// removal runs only under the upload's lock (`<file_id>.lock`) with no live claim, then reads the records.
//
// Why that is enough: a claim is written under the same lock. A removal that sees no claim either ran before the
// creation claimed (which then finds no copy and unpacks one), or after the claim was dropped, which happens after the
// record is stored, so the removal's record scan, made after the claims are read, sees the new session.

/** How long a claim of another host is honoured: its process cannot be asked whether it lives. */
const FOREIGN_CLAIM_MS = 24 * 60 * 60 * 1000;
/** A removal may read every session record under the lock; a creation waits for it rather than fail. */
const LOCK_TIMEOUT_MS = 60_000;

const Claim = lazySchema(() => z.object({ pid: z.number(), hostname: z.string(), at: z.number() }));

export class UploadClaims {
  constructor(private readonly root: string) {}

  /** Runs `fn` (a session's creation, which ends by storing its record) with the upload `fileId` claimed. */
  async whileClaimed<T>(fileId: string, fn: () => Promise<T>): Promise<T> {
    const claim = path.join(this.root, `${fileId}.claim-${randomBytes(8).toString('hex')}`);
    await this.locked(fileId, async () => {
      await writeFile(claim, JSON.stringify({ pid: process.pid, hostname: os.hostname(), at: Date.now() }), { flag: 'wx' });
    });
    try {
      return await fn();
    } finally {
      await rm(claim, { force: true });
    }
  }

  /** Runs `fn` under the upload's lock when no live process claims it (claims of dead ones are removed); else undefined. */
  async unlessClaimed<T>(fileId: string, fn: () => Promise<T>): Promise<T | undefined> {
    return this.locked(fileId, async () => ((await this.liveClaims(fileId)) > 0 ? undefined : fn()));
  }

  private async locked<T>(fileId: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true });
    return withFileLock(path.join(this.root, `${fileId}.lock`), fn, { timeoutMs: LOCK_TIMEOUT_MS });
  }

  private async liveClaims(fileId: string): Promise<number> {
    const names = (await readdir(this.root).catch(() => [] as string[])).filter((n) => n.startsWith(`${fileId}.claim-`));
    let live = 0;
    for (const name of names) {
      const file = path.join(this.root, name);
      // Written whole under the lock this reads under: one that does not parse is damaged, not half-written.
      const parsed = Claim.safeParse(await readFile(file, 'utf8').then((text) => JSON.parse(text) as unknown, () => null));
      const alive = parsed.success && (parsed.data.hostname === os.hostname() ? pidAlive(parsed.data.pid) : Date.now() - parsed.data.at < FOREIGN_CLAIM_MS);
      if (alive) live += 1;
      else await rm(file, { force: true });
    }
    return live;
  }
}
