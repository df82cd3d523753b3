import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno, readRange } from './fsutil';
import type { LogCorruptError } from './errors';
import type { LogEvent } from './record';
import { EVENTS_FILE } from './events-file';

// Reads a session log's new records without holding it open, for folds kept outside a SessionLog (the session list
// folds logs it does not follow, and stores the folds in summary.json). A log only grows, so a fold resumes from the
// byte offset it reached, once the bytes just before that offset are still those it read (`mark`): a new inode, a
// shorter file, other bytes there, or the same size with another mtime (rewritten in place) start it over.

/** How far a fold has read one log file. */
export interface LogPosition {
  ino: number;
  /** File offset just past the last complete record read. */
  end: number;
  /** Records read so far (the seq of the next one). */
  count: number;
  /** The file's mtime when it was read: a file of the same size and another mtime was rewritten. */
  mtimeMs: number;
  /** Hex of the bytes just before `end`: a file changed before `end` (a record edited in place) shows here. */
  mark: string;
}

export interface LogTail<E> {
  position: LogPosition;
  /** Records after the given position; when `restarted`, every record of the file. */
  events: E[];
  restarted: boolean;
}

const MARK_BYTES = 48;

/**
 * The records of `<dir>/events.jsonl` after `from`; null when the file does not exist. One stat when nothing was
 * appended. Throws LogCorruptError for damage that is not a torn tail, like opening the log would.
 */
export async function readLogTail<E extends LogEvent>(dir: string, from: LogPosition | null): Promise<LogTail<E> | null> {
  const file = path.join(dir, EVENTS_FILE);
  let st;
  try {
    st = await fsp.stat(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
  let resume = from !== null && from.ino === st.ino && (st.size > from.end || (st.size === from.end && st.mtimeMs === from.mtimeMs));
  if (resume && st.size === from!.end) return { position: from!, events: [], restarted: false };
  const handle = await fsp.open(file, 'r');
  let buf: Buffer;
  let base: number;
  let mtimeMs: number;
  try {
    if (resume && (await markAt(handle, from!.end)) !== from!.mark) resume = false;
    base = resume ? from!.end : 0;
    // Read to the end as it is now, which may be past the size seen above.
    const now = await handle.stat();
    mtimeMs = now.mtimeMs;
    buf = await readRange(handle, base, Math.max(st.size, now.size));
  } finally {
    await handle.close();
  }
  const firstSeq = resume ? from!.count : 0;
  // Loaded for new records only: a listing of logs that did not grow reads none (and loads no zod, issue #17).
  const { scanRecords } = await import('./record');
  const scan = scanRecords<E>(buf, { file, base, firstSeq, known: new Map() });
  const mark = markOf(buf, scan.end - base, resume ? from!.mark : '');
  return { position: { ino: st.ino, end: scan.end, count: firstSeq + scan.events.length, mtimeMs, mark }, events: scan.events, restarted: !resume };
}

/** The position just past `count` records ending at byte `end` of `<dir>/events.jsonl` (a writer's committed end); null without a log. */
export async function logPositionAt(dir: string, end: number, count: number): Promise<LogPosition | null> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path.join(dir, EVENTS_FILE), 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
  try {
    const st = await handle.stat();
    return { ino: st.ino, end, count, mtimeMs: st.mtimeMs, mark: await markAt(handle, end) };
  } finally {
    await handle.close();
  }
}

/**
 * Whether `err` is the LogCorruptError readLogTail throws. By name: the records' reader (record.ts) is loaded with
 * import(), and under tsx (the tests) such a module has its own copy of errors.ts, so instanceof would not see it.
 */
export function isLogCorrupt(err: unknown): err is LogCorruptError {
  return err instanceof Error && err.name === 'LogCorruptError';
}

async function markAt(handle: fsp.FileHandle, end: number): Promise<string> {
  return (await readRange(handle, Math.max(0, end - MARK_BYTES), end)).toString('hex');
}

/** The mark of the bytes read up to `upTo` (relative to the buffer), falling back to the previous mark's bytes. */
function markOf(buf: Buffer, upTo: number, previous: string): string {
  if (upTo >= MARK_BYTES) return buf.subarray(upTo - MARK_BYTES, upTo).toString('hex');
  const before = Buffer.from(previous, 'hex');
  return Buffer.concat([before, buf.subarray(0, upTo)]).subarray(-MARK_BYTES).toString('hex');
}

