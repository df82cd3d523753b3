import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from './fsutil';
import { scanRecords, type LogEvent } from './record';
import { EVENTS_FILE } from './session-log';

// Reads a session log's new records without holding it open, for folds kept outside a SessionLog (the session list
// folds hundreds of logs it does not follow). A log only grows, so a fold resumes from the byte offset it reached;
// a new inode or a shorter file (a torn tail repaired by the next writer) starts it over.

/** How far a fold has read one log file. */
export interface LogPosition {
  ino: number;
  /** File offset just past the last complete record read. */
  end: number;
  /** Records read so far (the seq of the next one). */
  count: number;
}

export interface LogTail<E> {
  position: LogPosition;
  /** Records after the given position; when `restarted`, every record of the file. */
  events: E[];
  restarted: boolean;
}

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
  const resume = from !== null && from.ino === st.ino && st.size >= from.end;
  if (resume && st.size === from.end) return { position: from, events: [], restarted: false };
  const base = resume ? from.end : 0;
  const firstSeq = resume ? from.count : 0;
  const handle = await fsp.open(file, 'r');
  let buf: Buffer;
  try {
    // Read to the end as it is now, which may be past the size seen above.
    const size = Math.max(st.size, (await handle.stat()).size);
    buf = Buffer.allocUnsafe(size - base);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, base + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    buf = buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
  const scan = scanRecords<E>(buf, { file, base, firstSeq, known: new Map() });
  return { position: { ino: st.ino, end: scan.end, count: firstSeq + scan.events.length }, events: scan.events, restarted: !resume };
}
