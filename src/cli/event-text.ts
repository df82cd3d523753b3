import type { RecordChunk } from '../log/record-stream';
import type { SessionEvent } from '../wire';
import type { ThreadLines } from './thread-lines';

// `hangar events` as text, from the log's records as read (storedEventRecords): the records are parsed a batch at a
// time, as one JSON array made over the chunk's own bytes (no string of the whole chunk), and their lines join a
// batch of lines that is handed out, to be written, once it is a few KiB (issue #17, hangar events). A string of all
// of a chunk's lines outlived every young-generation collection while the chunk's events were parsed, and was copied
// by each of them; a write per line cost more in calls than its line's rendering, and a decode and a parse per record
// cost more in calls than their work.

const BATCH_CHARS = 16_384;
/** Records parsed together: enough to make the calls per record few, few enough that their events die young. */
const PARSE_BATCH = 64;

/** A chunk's records as the terminal's lines, in batches of whole lines. */
export function* renderRecords(lines: ThreadLines, { buf, spans }: RecordChunk): Generator<string> {
  let text = '';
  for (let k = 0; k < spans.length; k += 2 * PARSE_BATCH) {
    for (const e of parseRecords(buf, spans, k, Math.min(spans.length, k + 2 * PARSE_BATCH))) {
      const line = lines.render(e);
      if (line === null) continue;
      text += `${line}\n`;
      if (text.length >= BATCH_CHARS) {
        yield text;
        text = '';
      }
    }
  }
  if (text.length > 0) yield text;
}

/**
 * The events of the records whose spans are spans[from, to), parsed as one array: the events' bytes are moved down
 * over the records' envelopes, each after a comma, and the array is decoded and parsed once. A record's envelope is
 * longer than the comma, so a move never reaches bytes still to be read; the chunk's bytes before the batch's last
 * record are overwritten, which nothing reads again.
 */
function parseRecords(buf: Buffer, spans: readonly number[], from: number, to: number): SessionEvent[] {
  const start = spans[from]! - 1;
  let used = start;
  for (let k = from; k < to; k += 2) {
    buf[used++] = k === from ? OPEN_BRACKET : COMMA;
    buf.copyWithin(used, spans[k]!, spans[k + 1]!);
    used += spans[k + 1]! - spans[k]!;
  }
  buf[used++] = CLOSE_BRACKET;
  return JSON.parse(buf.toString('utf8', start, used)) as SessionEvent[];
}

const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
