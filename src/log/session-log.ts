import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { newId } from '../wire/ids';
import {
  DuplicateEventIdError,
  InvalidEventError,
  InvalidQueryError,
  LeaseLostError,
  LogClosedError,
  LogCorruptError,
  LogNotFoundError,
  LogReadOnlyError,
} from './errors';
import { EVENTS_FILE } from './events-file';
import { fsyncDir, isErrno, mkdirDurable } from './fsutil';
import type { Lease } from './lease';
import { GroupCommitWriter, nodeLogIo, type LogIo, type WriterStats } from './log-writer';
import { eventPage, type ListOptions } from './event-query';
import type { Page } from './paging';
import { encodeRecord, scanRecords, type LogEvent, type ScanResult } from './record';
import { EventEnvelope } from './event-envelope';
import { DEFAULT_POLL_MS, watchWithPoll } from './watch';

export type { LogEvent } from './record';
export type { CreatedAtRange, ListOptions } from './event-query';
/** An event as the log stores it: the envelope plus opaque fields. */
export type StoredEvent = LogEvent & Record<string, unknown>;

export { EVENTS_FILE };
const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

export type OpenOptions =
  | { mode: 'writer'; lease: Lease; maxEventBytes?: number; io?: LogIo }
  | { mode: 'reader'; pollMs?: number };

/** What opening in writer mode cut off the end of the file: bytes of records that were never acknowledged. */
export interface Repair {
  droppedBytes: number;
  line: number;
  reason: string;
}

export interface LogRecord<E> {
  seq: number;
  event: E;
}

export type Listener<E> = (event: E, seq: number) => void;

export interface SubscribeOptions {
  /** Gets a listener's own exception (its subscription ends) and, for readers, tailing failures. */
  onError?: (err: unknown) => void;
}

interface Subscriber<E> {
  next: number;
  listener: Listener<E>;
  onError: ((err: unknown) => void) | undefined;
}

/**
 * One session's append-only event log: `<dir>/events.jsonl`, one CRC-checked record per line, held fully in
 * memory. A writer (which must hold the session's lease) appends; readers, possibly in other processes, tail it.
 */
export class SessionLog<E extends LogEvent = StoredEvent> {
  private readonly evs: E[];
  private readonly ids: Map<string, number>;
  private readonly pendingIds = new Set<string>();
  private readonly subs = new Set<Subscriber<E>>();
  private nextSeq: number;
  private end: number;
  private closed = false;
  private reading: Promise<number> | null = null;
  private dirty = false;
  private followers = 0;
  private stopWatching: (() => void) | null = null;

  private constructor(
    readonly file: string,
    readonly mode: 'writer' | 'reader',
    scan: ScanResult<E>,
    readonly repaired: Repair | null,
    private readonly handle: fsp.FileHandle,
    private readonly writer: GroupCommitWriter | null,
    private readonly lease: Lease | null,
    private readonly maxEventBytes: number,
    private readonly pollMs: number,
  ) {
    this.evs = scan.events;
    this.ids = scan.ids;
    this.nextSeq = scan.events.length;
    this.end = scan.end;
  }

  static async open<E extends LogEvent = StoredEvent>(dir: string, opts: OpenOptions): Promise<SessionLog<E>> {
    const file = path.join(dir, EVENTS_FILE);
    if (opts.mode === 'reader') {
      const handle = await fsp.open(file, 'r').catch((err: unknown) => {
        throw isErrno(err, 'ENOENT') ? new LogNotFoundError(`no session log at ${file}`) : err;
      });
      try {
        const scan = scanRecords<E>(await handle.readFile(), { file, base: 0, firstSeq: 0, known: new Map() });
        return new SessionLog<E>(file, 'reader', scan, null, handle, null, null, 0, opts.pollMs ?? DEFAULT_POLL_MS);
      } catch (err) {
        await handle.close();
        throw err;
      }
    }
    const { lease } = opts;
    if (path.resolve(lease.dir) !== path.resolve(dir)) throw new Error(`lease is for ${lease.dir}, not ${dir}`);
    if (!lease.isValid()) throw new LeaseLostError(`lease of ${dir} is not valid`);
    await mkdirDurable(dir);
    const existing = await fsp.readFile(file).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return null;
      throw err;
    });
    const scan = scanRecords<E>(existing ?? Buffer.alloc(0), { file, base: 0, firstSeq: 0, known: new Map() });
    const handle = await fsp.open(file, 'a');
    try {
      let repaired: Repair | null = null;
      if (scan.torn) {
        const { offset, line, reason } = scan.torn;
        repaired = { droppedBytes: (existing?.length ?? 0) - offset, line, reason };
        await handle.truncate(offset);
        await handle.datasync();
      }
      if (!existing) {
        await handle.sync();
        await fsyncDir(dir);
      }
      const writer = new GroupCommitWriter(handle.fd, opts.io ?? nodeLogIo, () => {
        if (!lease.isValid()) throw new LeaseLostError(`lease of ${dir} (generation ${lease.generation}) was lost`);
      });
      return new SessionLog<E>(file, 'writer', scan, repaired, handle, writer, lease, opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES, 0);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get length(): number {
    return this.evs.length;
  }

  /** Where the events in memory end in the file: bytes and records (a fold of them can resume from the file here). */
  committed(): { end: number; count: number } {
    return { end: this.end, count: this.evs.length };
  }

  get stats(): WriterStats {
    return { ...(this.writer?.stats ?? { writes: 0, syncs: 0 }) };
  }

  get(seq: number): E | undefined {
    return this.evs[seq];
  }

  /** Positional, like Array.prototype.slice. */
  slice(from: number, to?: number): E[] {
    return this.evs.slice(from, to);
  }

  /** The live in-memory array; treat it and its events as read-only. */
  events(): readonly E[] {
    return this.evs;
  }

  seqOf(id: string): number | undefined {
    return this.ids.get(id);
  }

  has(id: string): boolean {
    return this.ids.has(id) || this.pendingIds.has(id);
  }

  /**
   * Appends in call order and resolves once written (and fdatasynced when `durable`); subscribers see the events
   * before this resolves. Empty ids are filled with `sevt_…` ids; everything else is stored as given, round-tripped
   * through JSON so memory holds exactly what a replay will.
   */
  append(events: readonly E[], opts: { durable?: boolean } = {}): Promise<LogRecord<E>[]> {
    try {
      const writer = this.writableOrThrow();
      const prepared = this.prepare(events);
      if (prepared.length === 0) return Promise.resolve([]);
      const first = this.nextSeq;
      this.nextSeq += prepared.length;
      let text = '';
      const records: LogRecord<E>[] = prepared.map((p, i) => {
        text += encodeRecord(first + i, p.json);
        this.pendingIds.add(p.id);
        return { seq: first + i, event: JSON.parse(p.json) as E };
      });
      const bytes = Buffer.from(text);
      return writer.submit(bytes, opts.durable ?? false, () => this.commit(records, bytes.length)).then(() => records);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A page of events; `view` (when given) is how a reader sees each one, and filters apply to that. */
  list(opts: ListOptions = {}, view?: (event: E, seq: number) => E): Page<E> {
    return eventPage(this.evs.length, (i) => (view ? view(this.evs[i]!, i) : this.evs[i]!), opts);
  }

  /**
   * Calls `listener` for every event with seq >= fromSeq, existing ones first (synchronously, before this returns),
   * then each new one as it is committed (writer) or read from the file (reader), in order, exactly once.
   */
  subscribe(fromSeq: number, listener: Listener<E>, opts: SubscribeOptions = {}): () => void {
    if (this.closed) throw new LogClosedError(`${this.file} is closed`);
    if (!Number.isInteger(fromSeq) || fromSeq < 0) throw new InvalidQueryError(`fromSeq must be an integer >= 0, got ${fromSeq}`);
    const sub: Subscriber<E> = { next: fromSeq, listener, onError: opts.onError };
    this.subs.add(sub);
    const stopFollowing = this.follow();
    this.deliver(sub);
    return () => {
      if (this.subs.delete(sub)) stopFollowing();
    };
  }

  /** Reader: read records appended since the last read; resolves with how many arrived. Writer: always 0. */
  refresh(): Promise<number> {
    if (this.mode === 'writer') return Promise.resolve(0);
    if (this.closed) return Promise.reject(new LogClosedError(`${this.file} is closed`));
    this.dirty = true;
    this.reading ??= this.readWhileDirty().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /** Reader: keep refreshing on file changes (fs.watch + poll) until every returned stop function was called. */
  follow(): () => void {
    if (this.mode === 'writer' || this.closed) return () => undefined;
    if (this.followers++ === 0) {
      this.stopWatching = watchWithPoll(this.file, () => this.refresh().catch((err: unknown) => this.tailFailed(err)), this.pollMs);
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.followers === 0) this.stopTailing();
    };
  }

  /** Waits for queued appends, then closes the file. The lease stays with its holder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTailing();
    this.subs.clear();
    await this.writer?.flush();
    await this.reading?.catch(() => 0);
    await this.handle.close();
  }

  private writableOrThrow(): GroupCommitWriter {
    if (this.closed) throw new LogClosedError(`${this.file} is closed`);
    if (!this.writer || !this.lease) throw new LogReadOnlyError(`${this.file} is open read-only`);
    if (this.writer.failed) throw this.writer.failed;
    if (!this.lease.isValid()) {
      this.writer.fail(new LeaseLostError(`lease of ${path.dirname(this.file)} (generation ${this.lease.generation}) was lost`));
      throw this.writer.failed;
    }
    return this.writer;
  }

  private prepare(events: readonly E[]): { id: string; json: string }[] {
    const batchIds = new Set<string>();
    return events.map((event, index) => {
      const envelope = EventEnvelope.safeParse(event);
      if (!envelope.success) throw new InvalidEventError(`event ${index}: ${z.prettifyError(envelope.error)}`);
      const id = event.id === '' ? newId('sevt') : event.id;
      if (this.has(id) || batchIds.has(id)) throw new DuplicateEventIdError(id);
      batchIds.add(id);
      let json: string;
      try {
        json = JSON.stringify({ ...event, id });
      } catch (err) {
        throw new InvalidEventError(`event ${index} (${event.type}) is not JSON-serialisable: ${String(err)}`);
      }
      const bytes = Buffer.byteLength(json);
      if (bytes > this.maxEventBytes) {
        throw new InvalidEventError(`event ${index} (${event.type}) is ${bytes} bytes; the limit is ${this.maxEventBytes}`);
      }
      return { id, json };
    });
  }

  private commit(records: LogRecord<E>[], bytes: number): void {
    this.end += bytes;
    for (const { seq, event } of records) {
      this.evs.push(event);
      this.ids.set(event.id, seq);
      this.pendingIds.delete(event.id);
    }
    this.notify();
  }

  private notify(): void {
    for (const sub of this.subs) this.deliver(sub);
  }

  private deliver(sub: Subscriber<E>): void {
    while (sub.next < this.evs.length && this.subs.has(sub)) {
      const seq = sub.next++;
      try {
        sub.listener(this.evs[seq]!, seq);
      } catch (err) {
        this.subs.delete(sub);
        report(sub, err);
      }
    }
  }

  private async readWhileDirty(): Promise<number> {
    let total = 0;
    while (this.dirty && !this.closed) {
      this.dirty = false;
      total += await this.readNew();
    }
    return total;
  }

  private async readNew(): Promise<number> {
    const { size } = await this.handle.stat();
    if (size < this.end) {
      throw new LogCorruptError(this.file, this.evs.length + 1, size, 'the file shrank below what was already read');
    }
    if (size === this.end) return 0;
    const buf = Buffer.allocUnsafe(size - this.end);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await this.handle.read(buf, filled, buf.length - filled, this.end + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const scan = scanRecords<E>(buf.subarray(0, filled), { file: this.file, base: this.end, firstSeq: this.evs.length, known: this.ids });
    for (const [id, seq] of scan.ids) this.ids.set(id, seq);
    for (const event of scan.events) this.evs.push(event);
    this.end = scan.end;
    if (scan.events.length > 0) this.notify();
    return scan.events.length;
  }

  private tailFailed(err: unknown): void {
    this.stopTailing();
    for (const sub of this.subs) report(sub, err);
  }

  private stopTailing(): void {
    this.stopWatching?.();
    this.stopWatching = null;
  }
}

function report(sub: { onError: ((err: unknown) => void) | undefined }, err: unknown): void {
  if (sub.onError) sub.onError(err);
  else process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'SessionLogSubscriberError');
}
