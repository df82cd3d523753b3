import { promises as fsp } from 'node:fs';
import { readRange } from './fsutil';
import { scanRecords, type LogEvent } from './record';
import { checkLine } from './record-line';

// A run of a log's records read from one end of the file without opening the log, for a reader that wants one page
// of a long session: the first page in ascending order needs the start, in descending order the end. The records are
// checked as opening the log checks them (framing, checksum, sequence, envelope, torn tail), within the bytes read.

/** The records with seq first .. first + events.length - 1. */
export interface LogWindow<E> {
  first: number;
  events: E[];
  /** No record comes before the window (first === 0). */
  atStart: boolean;
  /** No complete record comes after the window: it reaches the end of the log as it was read. */
  atEnd: boolean;
}

/**
 * About `bytes` bytes of records from the start or the end of `file`; the whole file when it is no bigger. Null when
 * the bytes read cannot be told apart from damage without reading more (a bad record at the edge of the window, or a
 * first line that is not a record): read more, up to the whole file, where the answer is the one opening the log gives.
 * Throws ENOENT for a missing file and LogCorruptError for damage that valid records follow.
 */
export async function readLogWindow<E extends LogEvent>(file: string, from: 'start' | 'end', bytes: number): Promise<LogWindow<E> | null> {
  const handle = await fsp.open(file, 'r');
  let buf: Buffer;
  let base: number;
  let size: number;
  try {
    size = (await handle.stat()).size;
    base = from === 'start' ? 0 : Math.max(0, size - bytes);
    buf = await readRange(handle, base, from === 'start' ? Math.min(size, bytes) : size);
  } finally {
    await handle.close();
  }
  const whole = base === 0 && buf.length >= size;
  let firstSeq = 0;
  if (base > 0) {
    // The window starts inside a record: it starts at the next line, whose sequence number its header gives.
    const nl = buf.indexOf(0x0a);
    const next = buf.indexOf(0x0a, nl + 1);
    const check = nl >= 0 && next >= 0 ? checkLine(buf, nl + 1, next) : null;
    if (!check?.ok) return null;
    firstSeq = check.seq;
    base += nl + 1;
    buf = buf.subarray(nl + 1);
  } else if (!whole) {
    // A window from the start ends at its last complete line: the rest is read with the next, bigger window.
    buf = buf.subarray(0, buf.lastIndexOf(0x0a) + 1);
  }
  const scan = scanRecords<E>(buf, { file, base, firstSeq, known: new Map() });
  // Bad bytes at the end of a window that stops before the end of the file may be followed by valid records.
  if (scan.torn && !whole && from === 'start') return null;
  return { first: firstSeq, events: scan.events, atStart: firstSeq === 0, atEnd: whole || from === 'end' };
}
