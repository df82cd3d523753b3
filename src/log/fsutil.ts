import { promises as fsp } from 'node:fs';
import path from 'node:path';

export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

/** A new directory entry is durable only once its directory is fsynced (Pillai et al., OSDI'14). */
export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the metadata itself.
  if (process.platform === 'win32') return;
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p that also fsyncs the parent of every directory it created, so the new path survives a crash. */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  let current = path.resolve(dir);
  const top = path.dirname(path.resolve(first));
  while (current !== top) {
    const parent = path.dirname(current);
    await fsyncDir(parent);
    current = parent;
  }
}

/**
 * `bytes` random bytes in hex, from the global Web Crypto (loaded when first used): modules that name temporary files
 * import no node:crypto, so a process that only reads their files (the CLI's listing) does not load it (~3.5 ms of its
 * start, issue #17).
 */
export function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

function tmpPathFor(file: string): string {
  return `${file}.${randomHex(6)}.tmp`;
}

async function writeTmp(file: string, data: string | Uint8Array, mode?: number, sync = true): Promise<string> {
  const tmp = tmpPathFor(file);
  const handle = await fsp.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    if (sync) await handle.sync();
  } catch (err) {
    await handle.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return tmp;
}

/** Replace `file` atomically: readers see the old or the new content, never a mix, even after a crash. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const tmp = await writeTmp(file, data, opts.mode);
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * Replace `file` atomically without fsync: for caches rebuilt from the truth (session summaries, the list index). A
 * crash may leave the old content or an unreadable file, which the reader treats as missing; never a mix.
 */
export async function replaceFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTmp(file, data, undefined, false);
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Create `file` only if it does not exist, atomically and with complete content. Exclusivity comes from link(2),
 * which fails with EEXIST like open(O_EXCL) ('wx'), but publishes a fully written and fsynced file, so a crash
 * never leaves a half-written file squatting on the name. `durable: false` skips the fsyncs, for files that only
 * matter while the machine is up (lock files): the content is still complete for every other process.
 */
export async function writeFileExclusive(file: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = await writeTmp(file, data, undefined, durable);
  try {
    await fsp.link(tmp, file);
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  if (durable) await fsyncDir(path.dirname(file));
}

/** The names in `dir`; none when it does not exist (yet). */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

/** Temp files left by a crash between write and rename/link; listings skip them. */
export function isTmpName(name: string): boolean {
  return name.endsWith('.tmp');
}

/** The bytes of the file from `from` up to `to`, fewer when the file ends first. */
export async function readRange(handle: fsp.FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(Math.max(0, to - from));
  let filled = 0;
  while (filled < buf.length) {
    const { bytesRead } = await handle.read(buf, filled, buf.length - filled, from + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}
