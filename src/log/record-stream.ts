import { promises as fsp } from 'node:fs';
import { LogCorruptError } from './errors';
import { readRange } from './fsutil';
import { checkLine, validRecordFollows } from './record-line';

// A log's records read in chunks, for readers that pass events on rather than keep them (printing a long session):
// memory is one chunk plus one record, and an event's JSON is handed over as the log holds it (its checksum
// checked, not parsed), so a printer that needs only the text never parses and re-serialises it. A chunk names its
// records by offsets: no Buffer view or object per record for the garbage collector (20,000 of them for a long log).

/** The records read with one read of the log: their event JSON as spans of the chunk's buffer, no object per record. */
export interface RecordChunk {
  /** The bytes read (a fresh buffer per chunk, never reused). */
  buf: Buffer;
  /** Record k's event JSON, exactly as appended (JSON.stringify of the event), is buf[spans[2k], spans[2k+1]). */
  spans: number[];
}

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * The records of `file`, a chunk's worth at a time. Stops at a torn tail (bytes a crashed or running write left at the
 * end); throws LogCorruptError for a bad record that valid records follow, or a sequence number out of order.
 */
export async function* readRecordChunks(file: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<RecordChunk> {
  const handle = await fsp.open(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    /** File offset of `carry`'s first byte. */
    let offset = 0;
    let seq = 0;
    for (;;) {
      // A fresh buffer each time: the spans handed out point into it. The partial record left over is copied to its start.
      const next = Buffer.allocUnsafe(carry.length + chunkBytes);
      carry.copy(next, 0);
      const { bytesRead } = await handle.read(next, carry.length, chunkBytes, offset + carry.length);
      const buf = next.subarray(0, carry.length + bytesRead);
      const chunk: RecordChunk = { buf, spans: [] };
      const pos = checkRecords(buf, chunk.spans, seq);
      seq += chunk.spans.length / 2;
      const nl = buf.indexOf(NEWLINE, pos);
      if (nl !== -1) {
        const check = checkLine(buf, pos, nl);
        if (check.ok) throw new LogCorruptError(file, seq + 1, offset + pos, `sequence number ${check.seq} where ${seq} was expected`);
        const rest = Buffer.concat([buf.subarray(nl + 1), await readFrom(handle, offset + buf.length)]);
        if (validRecordFollows(rest, 0)) throw new LogCorruptError(file, seq + 1, offset + pos, `${check.reason}, and valid records follow it`);
        if (chunk.spans.length > 0) yield chunk;
        return;
      }
      if (chunk.spans.length > 0) yield chunk;
      // What is left without a newline at the end of the file is a write still running or cut short.
      if (bytesRead === 0) return;
      carry = buf.subarray(pos);
      offset += pos;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Checks buf's whole lines, the first being record `firstSeq`, adding each one's event span to `spans`, up to the first
 * line that fails; returns where the lines that passed end. A function of its own rather than a loop in the generator:
 * `hangar events --json` of 20,000 events took ~10 ms less CPU so (issue #17).
 */
function checkRecords(buf: Buffer, spans: number[], firstSeq: number): number {
  let pos = 0;
  let seq = firstSeq;
  for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, pos)) {
    const check = checkLine(buf, pos, nl);
    if (!check.ok || check.seq !== seq) break;
    spans.push(check.eStart, check.eEnd);
    seq++;
    pos = nl + 1;
  }
  return pos;
}

async function readFrom(handle: fsp.FileHandle, from: number): Promise<Buffer> {
  return readRange(handle, from, (await handle.stat()).size);
}
