import path from 'node:path';
import type { SessionEvent } from '../wire';
import { EVENTS_FILE } from '../log/events-file';
import { readRecordChunks } from '../log/record-stream';

// A session's events as JSON lines, as the events list shows them (withProcessedAt), streamed from its log file: no
// fold and no copy of the log in memory, and an event's JSON printed as stored unless the list's view changes it.
// Only a queued user.message changes (it gets the start of the first model request after it), so the lines after one
// are held until that request shows up, or the log ends. Per record the work is a copy of its bytes: the markers of
// the events that need a look are searched once per chunk, not once per record (issue #17, hangar events).

const QUEUED = Buffer.from('"processed_at":null');
const REQUEST_START = Buffer.from('"span.model_request_start"');

/** Chunks of newline-terminated JSON lines, one per event, in log order (bytes: what is printed as stored is never decoded). */
export async function* eventJsonLines(sessionDir: string): AsyncGenerator<Buffer> {
  /** Lines held behind queued messages (bytes are ready; an event waits for its processed_at). */
  let held: (Buffer | SessionEvent)[] = [];
  const release = (out: LineBuffer, processedAt: string | null) => {
    for (const h of held) out.push(Buffer.isBuffer(h) ? h : Buffer.from(JSON.stringify(processedAt === null ? h : { ...h, processed_at: processedAt })));
    held = [];
  };
  for await (const { buf, spans } of readRecordChunks(path.join(sessionDir, EVENTS_FILE))) {
    // The lines are never longer than the records they come from; released held lines may add to that (LineBuffer grows).
    const out = new LineBuffer(buf.length);
    const queued = new Marker(buf, QUEUED);
    const requestStart = new Marker(buf, REQUEST_START);
    for (let k = 0; k < spans.length; k += 2) {
      const start = spans[k]!;
      const end = spans[k + 1]!;
      if (held.length > 0 && requestStart.within(start, end)) {
        const e = JSON.parse(buf.toString('utf8', start, end)) as SessionEvent;
        if (e.type === 'span.model_request_start' && e._hangar?.purpose === undefined) release(out, e.processed_at);
      }
      const event = queued.within(start, end) ? (JSON.parse(buf.toString('utf8', start, end)) as SessionEvent) : null;
      if (event?.type === 'user.message' && event.processed_at === null) held.push(event);
      else if (held.length > 0) held.push(buf.subarray(start, end));
      else out.push(buf, start, end);
    }
    const text = out.take();
    if (text) yield text;
  }
  const rest = new LineBuffer(0);
  release(rest, null);
  const text = rest.take();
  if (text) yield text;
}

/** Where `token` next occurs in `buf`, searched forward only as far as the records asked about. */
class Marker {
  private next: number;

  constructor(
    private readonly buf: Buffer,
    private readonly token: Buffer,
  ) {
    this.next = buf.indexOf(token);
  }

  /** Whether the token occurs in buf[start, end); asked with ranges in increasing order. */
  within(start: number, end: number): boolean {
    if (this.next !== -1 && this.next < start) this.next = this.buf.indexOf(this.token, start);
    return this.next !== -1 && this.next + this.token.length <= end;
  }
}

/** Lines gathered into one buffer per chunk of the log: one copy of each line's bytes, one write per chunk. */
class LineBuffer {
  private parts: Buffer[] = [];
  private current: Buffer;
  private used = 0;

  constructor(private readonly size: number) {
    this.current = Buffer.allocUnsafe(size);
  }

  /** Appends src[start, end) and a newline. */
  push(src: Buffer, start = 0, end = src.length): void {
    const bytes = end - start + 1;
    if (this.used + bytes > this.current.length) {
      if (this.used > 0) this.parts.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(Math.max(bytes, this.size));
      this.used = 0;
    }
    src.copy(this.current, this.used, start, end);
    this.current[this.used + bytes - 1] = NEWLINE;
    this.used += bytes;
  }

  take(): Buffer | null {
    if (this.used > 0) this.parts.push(this.current.subarray(0, this.used));
    const text = this.parts.length === 0 ? null : this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    // What was handed out may still be waiting to be written: later lines go to a buffer of their own.
    this.parts = [];
    this.current = Buffer.alloc(0);
    this.used = 0;
    return text;
  }
}

const NEWLINE = 0x0a;
