import path from 'node:path';
import type { SessionEvent } from '../wire';
import { EVENTS_FILE } from '../log/events-file';
import { readRecordChunks, type RecordChunk } from '../log/record-stream';
import { existingSession, isFile, RECORD_FILE } from './session-dir';

// A session's events as JSON lines, as the events list shows them (withProcessedAt), streamed from its log file: no
// fold and no copy of the log in memory, and an event's JSON printed as stored unless the list's view changes it.
// Only a queued user.message changes (it gets the start of the first model request after it), so the lines after one
// are held until that request shows up, or the log ends. Per record the work is a copy of its bytes: the markers of
// the events that need a look are searched once per chunk, not once per record (and a chunk without a queued event,
// most of them, looks at no marker per record), and the lines are moved into place within the chunk read (issue #17,
// hangar events).

const QUEUED = Buffer.from('"processed_at":null');
const REQUEST_START = Buffer.from('"span.model_request_start"');

/**
 * Every event of the session `id` stored under `storageRoot`, as eventJsonLines gives them, without a runtime. The log
 * is all that is printed, so the record is looked for, not parsed (building the session schema for it was a good part
 * of `hangar events --json`'s time), and nothing of the listing (index, summaries, catalogue) is loaded (issue #17).
 */
export async function* storedEventLines(storageRoot: string, id: string): AsyncGenerator<Buffer> {
  yield* eventJsonLines(await storedSessionDir(storageRoot, id));
}

/**
 * The records of the session `id`'s log as stored, for a printer that shows no processed_at (`hangar events` as text):
 * a queued message's is not derived, so no line is held back, copied or re-serialised.
 */
export async function* storedEventRecords(storageRoot: string, id: string): AsyncGenerator<RecordChunk> {
  yield* readRecordChunks(path.join(await storedSessionDir(storageRoot, id), EVENTS_FILE));
}

/** The directory of the stored session `id`; unknown, malformed and damaged ids fail as the runtime's reads do. */
async function storedSessionDir(storageRoot: string, id: string): Promise<string> {
  const sessionsDir = path.join(storageRoot, 'sessions');
  const dir = path.join(sessionsDir, id);
  await existingSession(sessionsDir, id, async () => ((await isFile(path.join(dir, RECORD_FILE))) ? true : null));
  return dir;
}

/** Chunks of newline-terminated JSON lines, one per event, in log order (bytes: what is printed as stored is never decoded). */
export async function* eventJsonLines(sessionDir: string, chunkBytes?: number): AsyncGenerator<Buffer> {
  const lines = new JsonLines();
  for await (const { buf, spans } of readRecordChunks(path.join(sessionDir, EVENTS_FILE), chunkBytes)) {
    const text = lines.chunk(buf, spans);
    if (text) yield text;
  }
  const text = lines.end();
  if (text) yield text;
}

/** The events list's lines of a log's chunks, one chunk after the other. */
class JsonLines {
  /** Lines held behind queued messages (bytes copied out of their chunk; an event waits for its processed_at). */
  private held: (Buffer | SessionEvent)[] = [];

  /** The lines of the chunk's records (spans as RecordChunk's), written over its bytes; null when all are held. */
  chunk(buf: Buffer, spans: readonly number[]): Buffer | null {
    const out = new ChunkLines(buf);
    // Most chunks hold no queued event: each line is its record's event, moved into place, with no marker to look at.
    if (this.held.length === 0 && buf.indexOf(QUEUED) === -1) {
      for (let k = 0; k < spans.length; k += 2) out.keep(spans[k]!, spans[k + 1]!);
      return out.take();
    }
    const queued = new Marker(buf, QUEUED);
    const requestStart = new Marker(buf, REQUEST_START);
    for (let k = 0; k < spans.length; k += 2) {
      const start = spans[k]!;
      const end = spans[k + 1]!;
      if (this.held.length > 0 && requestStart.within(start, end)) {
        const e = JSON.parse(buf.toString('utf8', start, end)) as SessionEvent;
        if (e.type === 'span.model_request_start' && e._hangar?.purpose === undefined) this.release(out, e.processed_at);
      }
      const event = queued.within(start, end) ? (JSON.parse(buf.toString('utf8', start, end)) as SessionEvent) : null;
      if (event?.type === 'user.message' && event.processed_at === null) this.held.push(event);
      // A copy: the chunk's bytes are overwritten by the lines after it.
      else if (this.held.length > 0) this.held.push(Buffer.from(buf.subarray(start, end)));
      else out.keep(start, end);
    }
    return out.take();
  }

  /** The lines still held when the log ends: their messages were never taken. */
  end(): Buffer | null {
    const out = new ChunkLines(Buffer.alloc(0));
    this.release(out, null);
    return out.take();
  }

  private release(out: ChunkLines, processedAt: string | null): void {
    for (const h of this.held) out.add(Buffer.isBuffer(h) ? h : Buffer.from(JSON.stringify(processedAt === null ? h : { ...h, processed_at: processedAt })));
    this.held = [];
  }
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

/**
 * A chunk's lines, written over the chunk's own bytes: an event's line is its record less the record's envelope, so
 * moving it down to follow the lines before it never reaches bytes not yet read (copyWithin, a memmove: no buffer
 * and no copy call per line). Lines from elsewhere (released held events) are parts of their own between.
 */
class ChunkLines {
  private parts: Buffer[] = [];
  private from = 0;
  private used = 0;

  constructor(private readonly buf: Buffer) {}

  /** Appends the event JSON at buf[start, end) (at or after everything appended from the chunk) and a newline. */
  keep(start: number, end: number): void {
    this.buf.copyWithin(this.used, start, end);
    this.used += end - start;
    this.buf[this.used++] = NEWLINE;
  }

  /** Appends a line that is not in the chunk, and a newline. */
  add(line: Buffer): void {
    this.cut();
    this.parts.push(line, LINE_END);
  }

  take(): Buffer | null {
    this.cut();
    return this.parts.length === 0 ? null : this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }

  private cut(): void {
    if (this.used > this.from) this.parts.push(this.buf.subarray(this.from, this.used));
    this.from = this.used;
  }
}

const NEWLINE = 0x0a;
const LINE_END = Buffer.from('\n');
