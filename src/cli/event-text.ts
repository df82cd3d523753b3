import type { RecordChunk } from '../log/record-stream';
import type { SessionEvent } from '../wire';
import type { ThreadLines } from './thread-lines';

// `hangar events` as text, from the log's records as read (storedEventRecords): each record is decoded and parsed on
// its own, with no string of the whole chunk, and its line is encoded straight into the chunk's output. A string
// built of the chunk's lines outlived every young-generation collection while the chunk's events were parsed, and
// was copied by each of them (issue #17, hangar events).

const NEWLINE = 0x0a;
/** UTF-8 bytes per UTF-16 code unit, at most. */
const MAX_UTF8_BYTES = 3;

/** A chunk's records as the terminal's lines, in one buffer: one write. */
export function renderRecords(lines: ThreadLines, { buf, spans }: RecordChunk): Buffer {
  let out: Buffer = Buffer.allocUnsafe(buf.length);
  let used = 0;
  for (let k = 0; k < spans.length; k += 2) {
    const line = lines.render(JSON.parse(buf.toString('utf8', spans[k], spans[k + 1])) as SessionEvent);
    if (line === null) continue;
    const room = line.length * MAX_UTF8_BYTES + 1;
    if (out.length - used < room) out = grown(out, used, used + room);
    used += out.write(line, used);
    out[used++] = NEWLINE;
  }
  return out.subarray(0, used);
}

/** A buffer of at least `size` bytes (twice the old one's, so that growing is rare) that starts with used bytes of `buf`. */
function grown(buf: Buffer, used: number, size: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(size, buf.length * 2));
  buf.copy(next, 0, 0, used);
  return next;
}
