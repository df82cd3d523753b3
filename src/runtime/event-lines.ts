import path from 'node:path';
import type { SessionEvent } from '../wire';
import { EVENTS_FILE } from '../log';
import { readRecordChunks } from '../log/record-stream';

// A session's events as JSON lines, as the events list shows them (withProcessedAt), streamed from its log file: no
// fold and no copy of the log in memory, and an event's JSON printed as stored unless the list's view changes it.
// Only a queued user.message changes (it gets the start of the first model request after it), so the lines after one
// are held until that request shows up, or the log ends.

const QUEUED = Buffer.from('"processed_at":null');
const REQUEST_START = Buffer.from('"span.model_request_start"');

/** Chunks of newline-terminated JSON lines, one per event, in log order (bytes: what is printed as stored is never decoded). */
export async function* eventJsonLines(sessionDir: string): AsyncGenerator<Buffer> {
  /** Lines held behind queued messages (bytes are ready; an event waits for its processed_at). */
  let held: (Buffer | SessionEvent)[] = [];
  const out = new LineBuffer();
  const release = (processedAt: string | null) => {
    for (const h of held) out.push(Buffer.isBuffer(h) ? h : Buffer.from(JSON.stringify(processedAt === null ? h : { ...h, processed_at: processedAt })));
    held = [];
  };
  for await (const records of readRecordChunks(path.join(sessionDir, EVENTS_FILE))) {
    for (const { json } of records) {
      // Byte searches first: most events are neither queued nor a request start, and are never decoded or parsed.
      if (held.length > 0 && json.includes(REQUEST_START)) {
        const start = JSON.parse(json.toString('utf8')) as SessionEvent;
        if (start.type === 'span.model_request_start' && start._hangar?.purpose === undefined) release(start.processed_at);
      }
      const queued = json.includes(QUEUED) ? (JSON.parse(json.toString('utf8')) as SessionEvent) : null;
      if (queued?.type === 'user.message' && queued.processed_at === null) held.push(queued);
      else if (held.length > 0) held.push(json);
      else out.push(json);
    }
    const text = out.take();
    if (text) yield text;
  }
  release(null);
  const rest = out.take();
  if (rest) yield rest;
}

/** Lines gathered into one buffer per chunk of the log: one write each, no string in between. */
class LineBuffer {
  private parts: Buffer[] = [];
  private bytes = 0;

  push(json: Buffer): void {
    this.parts.push(json, NEWLINE_BYTE);
    this.bytes += json.length + 1;
  }

  take(): Buffer | null {
    if (this.bytes === 0) return null;
    const text = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return text;
  }
}

const NEWLINE_BYTE = Buffer.from('\n');
