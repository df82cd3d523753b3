import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { LockTimeoutError } from './errors';
import { isErrno, writeFileExclusive } from './fsutil';

/** True unless `pid` certainly does not exist (EPERM means it exists under another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

const LockInfo = lazySchema(() => z.object({ pid: z.number(), hostname: z.string(), nonce: z.string() }));

export interface FileLockOptions {
  timeoutMs?: number;
  /** A lock older than this is presumed abandoned when its holder cannot be checked (another host, unreadable). */
  staleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` while holding an exclusive lock file created with 'wx'. Meant for short read-modify-write sections
 * shared between processes; a lock left by a dead process on this host, one that does not parse, or one of another
 * host older than `staleMs`, is broken.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const staleMs = opts.staleMs ?? 10_000;
  const nonce = randomBytes(8).toString('hex');
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      // Published whole (link(2) of a written temp file), never created empty and then filled: a process killed
      // between open('wx') and write used to leave an empty lock that blocked everyone until it was staleMs old.
      await writeFileExclusive(lockPath, JSON.stringify({ pid: process.pid, hostname: os.hostname(), nonce }), { durable: false });
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    if (Date.now() > deadline) throw new LockTimeoutError(`could not take ${lockPath} within ${timeoutMs} ms`);
    await sleep(Math.min(50, 1 + attempt) * (0.5 + Math.random()));
  }
  try {
    return await fn();
  } finally {
    await releaseLock(lockPath, nonce);
  }
}

/** The lock's holder; null when the file does not parse, 'gone' when there is no lock file. */
async function readLockInfo(file: string): Promise<z.infer<typeof LockInfo> | null | 'gone'> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'gone';
    throw err;
  }
  try {
    const parsed = LockInfo.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function releaseLock(lockPath: string, nonce: string): Promise<void> {
  const info = await readLockInfo(lockPath);
  if (info !== null && info !== 'gone' && info.nonce === nonce) await fsp.rm(lockPath, { force: true });
}

/**
 * Returns true when the caller should retry at once (the lock vanished or was broken). Breaking renames the lock
 * aside first and checks it is still the same inode, so two processes breaking the same stale lock cannot delete
 * a fresh lock that a third process took in between (it is put back instead).
 */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let stat;
  try {
    stat = await fsp.stat(lockPath, { bigint: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  const info = await readLockInfo(lockPath);
  // Released meanwhile: retry at once, without renaming whatever lock another process may have taken since.
  if (info === 'gone') return true;
  // A holder on this host is judged by its pid alone (a slow holder is not a dead one); age decides only for
  // holders on another host. Locks are published complete, so one that does not parse (empty: left by a version
  // that created it before writing, or cut by a power loss) has no live holder and is broken at once.
  const stale = info === null ? true : info.hostname === os.hostname() ? !pidAlive(info.pid) : Date.now() - Number(stat.mtimeMs) > staleMs;
  if (!stale) return false;
  const aside = `${lockPath}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
  const moved = await fsp.stat(aside, { bigint: true });
  if (moved.ino !== stat.ino || moved.dev !== stat.dev) {
    await fsp.link(aside, lockPath).catch((err: unknown) => {
      if (!isErrno(err, 'EEXIST')) throw err;
    });
  }
  await fsp.rm(aside, { force: true });
  return true;
}
