import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { LeaseCorruptError, LeaseHeldError, LeaseLostError } from './errors';
import { pidAlive, withFileLock } from './file-lock';
import { mkdirDurable, writeFileAtomic } from './fsutil';
import { readJsonFile } from './json-file';

export const LEASE_FILE = 'lease.json';
const LOCK_FILE = 'lease.lock';

const LeaseRecord = lazySchema(() => z.object({
  owner: z.string(),
  pid: z.number().int(),
  hostname: z.string(),
  generation: z.number().int().min(0),
  expires_at: z.iso.datetime({ offset: true }),
  // Distinguishes two holders that share owner, pid and host (two Lease objects in one process).
  token: z.string().optional(),
}));
export type LeaseRecord = z.infer<typeof LeaseRecord>;

export interface LeaseOptions {
  ttlMs?: number;
  /** Renew every ttl/3 in the background (timer unref'd). Default true. */
  autoRenew?: boolean;
}

/** The current lease of a session directory, or null if none was ever taken. */
export function readLease(dir: string): Promise<LeaseRecord | null> {
  return readJsonFile(path.join(dir, LEASE_FILE), LeaseRecord, (m) => new LeaseCorruptError(m));
}

function takeable(lease: LeaseRecord): boolean {
  if (Date.parse(lease.expires_at) <= Date.now()) return true;
  return lease.hostname === os.hostname() && !pidAlive(lease.pid);
}

/**
 * Takes the single-writer lease of a session directory. Succeeds when there is no lease, it expired, or its holder
 * is a dead process on this host; each success increments `generation`, which fences out the previous holder.
 */
export async function acquireLease(dir: string, owner: string, opts: LeaseOptions = {}): Promise<Lease> {
  const ttlMs = opts.ttlMs ?? 30_000;
  await mkdirDurable(dir);
  const token = randomBytes(12).toString('hex');
  const record = await withFileLock(path.join(dir, LOCK_FILE), async () => {
    const current = await readLease(dir);
    if (current && !takeable(current)) {
      throw new LeaseHeldError(current.owner, current.pid, current.hostname, current.expires_at);
    }
    const next: LeaseRecord = {
      owner,
      pid: process.pid,
      hostname: os.hostname(),
      generation: (current?.generation ?? 0) + 1,
      expires_at: new Date(Date.now() + ttlMs).toISOString(),
      token,
    };
    await writeFileAtomic(path.join(dir, LEASE_FILE), JSON.stringify(next));
    return next;
  });
  return new Lease(dir, record, ttlMs, opts.autoRenew ?? true);
}

export class Lease {
  readonly generation: number;
  readonly owner: string;
  private expiresAtMs: number;
  private state: 'held' | 'lost' | 'released' = 'held';
  private timer: NodeJS.Timeout | null = null;
  private readonly lostListeners = new Set<(err: LeaseLostError) => void>();

  constructor(
    readonly dir: string,
    private readonly record: LeaseRecord,
    private readonly ttlMs: number,
    autoRenew: boolean,
  ) {
    this.generation = record.generation;
    this.owner = record.owner;
    this.expiresAtMs = Date.parse(record.expires_at);
    if (autoRenew) {
      this.timer = setInterval(() => {
        // A transient I/O error is not a loss: isValid() lapses on its own if renewals keep failing.
        this.renew().catch(() => undefined);
      }, Math.max(1, Math.floor(ttlMs / 3)));
      this.timer.unref();
    }
  }

  /** Cheap, in-memory: held, not released, not known lost, and not past the expiry this holder last wrote. */
  isValid(): boolean {
    return this.state === 'held' && Date.now() < this.expiresAtMs;
  }

  /** Called once when a renewal finds that another holder took the lease. */
  onLost(listener: (err: LeaseLostError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Extends the lease; throws LeaseLostError (and stays lost) if the file no longer names this holder. */
  async renew(): Promise<void> {
    if (this.state !== 'held') throw new LeaseLostError(`lease of ${this.dir} is ${this.state}`);
    await withFileLock(path.join(this.dir, LOCK_FILE), async () => {
      const current = await readLease(this.dir);
      if (!this.isMine(current)) {
        const err = new LeaseLostError(
          current
            ? `lease of ${this.dir} was taken by ${current.owner} (pid ${current.pid}, generation ${current.generation})`
            : `lease file of ${this.dir} disappeared`,
        );
        this.markLost(err);
        throw err;
      }
      const expiresAtMs = Date.now() + this.ttlMs;
      await writeFileAtomic(
        path.join(this.dir, LEASE_FILE),
        JSON.stringify({ ...this.record, expires_at: new Date(expiresAtMs).toISOString() }),
      );
      this.expiresAtMs = expiresAtMs;
    });
  }

  /** Gives the lease up; the generation stays on disk so the next holder still gets a higher one. */
  async release(): Promise<void> {
    if (this.state !== 'held') return;
    this.stopTimer();
    this.state = 'released';
    await withFileLock(path.join(this.dir, LOCK_FILE), async () => {
      const current = await readLease(this.dir);
      if (!this.isMine(current)) return;
      await writeFileAtomic(path.join(this.dir, LEASE_FILE), JSON.stringify({ ...current, expires_at: new Date().toISOString() }));
    });
  }

  private isMine(current: LeaseRecord | null): boolean {
    return current !== null && current.token === this.record.token && current.generation === this.generation;
  }

  private markLost(err: LeaseLostError): void {
    if (this.state !== 'held') return;
    this.state = 'lost';
    this.stopTimer();
    for (const listener of this.lostListeners) listener(err);
    this.lostListeners.clear();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
