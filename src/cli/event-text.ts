import type { RecordChunk } from '../log/record-stream';
import type { SessionEvent } from '../wire';
import type { ThreadLines } from './thread-lines';

// `hangar events` as text, from the log's records as read (storedEventRecords): each record is decoded and parsed on
// its own, with no string of the whole chunk, and its line joins a batch of lines that is handed out, to be written,
// once it is a few KiB (issue #17, hangar events). A string of all of a chunk's lines outlived every young-generation
// collection while the chunk's events were parsed, and was copied by each of them; a write per line cost more in
// calls than its line's rendering.

const BATCH_CHARS = 16_384;

/** A chunk's records as the terminal's lines, in batches of whole lines. */
export function* renderRecords(lines: ThreadLines, { buf, spans }: RecordChunk): Generator<string> {
  let text = '';
  for (let k = 0; k < spans.length; k += 2) {
    const line = lines.render(JSON.parse(buf.toString('utf8', spans[k], spans[k + 1])) as SessionEvent);
    if (line === null) continue;
    text += `${line}\n`;
    if (text.length >= BATCH_CHARS) {
      yield text;
      text = '';
    }
  }
  if (text.length > 0) yield text;
}
