import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { newId } from '../wire/ids';
import { DuplicateEventIdError, InvalidEventError, LogNotFoundError } from './errors';
import { isErrno, mkdirDurable, writeFileAtomic } from './fsutil';
import type { LogEvent } from './record';
import { EventEnvelope } from './event-envelope';
import type { StoredEvent } from './session-log';
import { DEFAULT_POLL_MS, watchWithPoll, type SafetyPoll } from './watch';

// Processes that do not hold a session's lease hand it events through files in <dir>/inbox; the lease holder
// appends them to the log and deletes the files. Names sort in submission order: <ms, 15 digits>-<counter>-<rand>.
export const INBOX_DIR = 'inbox';
const REJECTED_DIR = 'rejected';
const NAME = /^\d{15}-\d{6}-[0-9a-f]{12}\.json$/;

const BatchFile = lazySchema(() => z.object({
  events: z.array(EventEnvelope.extend({ id: z.string().min(1) })).min(1),
}));

let submitCounter = 0;

// While fs.watch works, the poll is a safety net only: a lease holder drives every session it woke until it releases
// it, so hundreds of inboxes polled five times a second (readdir each) were most of a busy runtime's loop time, and
// even once a second they were a tenth of a lone session's. The net backs off while fs.watch reports every batch and
// returns to once a second for good when it catches one fs.watch missed.
const SAFETY_POLL: SafetyPoll = { fastMs: 1000, slowMs: 15_000 };

/**
 * Durably queues `events` for the session's lease holder. Events without an id get one here, so the holder can
 * deduplicate a batch it appended but had not yet acknowledged when it crashed. Returns the events with their ids.
 */
export async function submitToInbox<E extends LogEvent = StoredEvent>(dir: string, events: readonly E[]): Promise<E[]> {
  const withIds = events.map((event, index) => {
    const parsed = EventEnvelope.safeParse(event);
    if (!parsed.success) throw new InvalidEventError(`event ${index}: ${z.prettifyError(parsed.error)}`);
    return event.id === '' ? { ...event, id: newId('sevt') } : event;
  });
  if (withIds.length === 0) return [];
  const seen = new Set<string>();
  for (const { id } of withIds) {
    if (seen.has(id)) throw new DuplicateEventIdError(id);
    seen.add(id);
  }
  // The session directory must exist already: a submission must not conjure up a session.
  await fsp.stat(dir).catch((err: unknown) => {
    throw isErrno(err, 'ENOENT') ? new LogNotFoundError(`no session at ${dir}`) : err;
  });
  const inbox = path.join(dir, INBOX_DIR);
  await mkdirDurable(inbox);
  submitCounter = (submitCounter + 1) % 1_000_000;
  const name = `${String(Date.now()).padStart(15, '0')}-${String(submitCounter).padStart(6, '0')}-${randomBytes(6).toString('hex')}.json`;
  await writeFileAtomic(path.join(inbox, name), JSON.stringify({ events: withIds }));
  return withIds;
}

export interface InboxBatch<E> {
  name: string;
  events: E[];
}

export interface InboxOptions {
  /** A file that is not a valid batch is moved to inbox/rejected/ (kept for inspection) and reported here. */
  onReject?: (file: string, reason: string) => void;
  /** Poll period, with fs.watch or without (tests); by default 200 ms without fs.watch, 1 s to 15 s beside it. */
  pollMs?: number;
  /** The safety poll beside fs.watch (tests); `pollMs` fixes it when given, SAFETY_POLL otherwise. */
  safetyPoll?: SafetyPoll;
}

export class Inbox<E extends LogEvent = StoredEvent> {
  private constructor(
    readonly dir: string,
    private readonly opts: InboxOptions,
  ) {}

  static async open<E extends LogEvent = StoredEvent>(sessionDir: string, opts: InboxOptions = {}): Promise<Inbox<E>> {
    const dir = path.join(sessionDir, INBOX_DIR);
    await mkdirDurable(path.join(dir, REJECTED_DIR));
    return new Inbox<E>(dir, opts);
  }

  /** Pending batches, oldest first. They stay pending until acked. */
  async drain(): Promise<InboxBatch<E>[]> {
    const batches: InboxBatch<E>[] = [];
    for (const name of await this.pendingNames()) {
      const file = path.join(this.dir, name);
      let text: string;
      try {
        text = await fsp.readFile(file, 'utf8');
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      const parsed = parseBatch(text);
      if ('problem' in parsed) {
        await fsp.rename(file, path.join(this.dir, REJECTED_DIR, name));
        this.opts.onReject?.(file, parsed.problem);
        continue;
      }
      batches.push({ name, events: parsed.events as E[] });
    }
    return batches;
  }

  /** Deletes a batch once its events are in the log. A lost delete is harmless: the owner dedupes by id. */
  async ack(batch: InboxBatch<E>): Promise<void> {
    if (!NAME.test(batch.name)) throw new InvalidEventError(`not an inbox batch name: ${batch.name}`);
    await fsp.rm(path.join(this.dir, batch.name), { force: true });
  }

  /**
   * Calls `onNew` whenever batches appear that it has not been told about: on fs.watch events, with a slow poll as
   * the safety net that backs off while fs.watch reports everything (every `pollMs` when fs.watch fails). Returns a
   * stop function.
   */
  watch(onNew: () => void): () => void {
    const told = new Set<string>();
    let checking = false;
    // A change seen while a check runs (the rename that follows the temp file's creation) gets a check of its own:
    // with only the slow poll behind fs.watch, dropping it would delay the batch by a poll period. Each caller learns
    // whether the check that covered its call found batches (the safety poll backs off on that).
    let waiting: ((fresh: boolean) => void)[] = [];
    let stopped = false;
    const run = (callers: ((fresh: boolean) => void)[]): void => {
      checking = true;
      this.pendingNames()
        .then((names) => {
          const fresh = names.filter((n) => !told.has(n));
          for (const n of told) if (!names.includes(n)) told.delete(n);
          for (const n of fresh) told.add(n);
          if (fresh.length > 0 && !stopped) onNew();
          return fresh.length > 0;
        })
        .catch(() => false)
        .then((fresh) => {
          checking = false;
          for (const tell of callers) tell(fresh);
          const next = waiting;
          waiting = [];
          if (next.length > 0 && !stopped) run(next);
          else for (const tell of next) tell(false);
        });
    };
    const check = (): Promise<boolean> =>
      new Promise((resolve) => {
        if (stopped) resolve(false);
        else if (checking) waiting.push(resolve);
        else run([resolve]);
      });
    void check();
    const { pollMs } = this.opts;
    const safety = this.opts.safetyPoll ?? (pollMs === undefined ? SAFETY_POLL : { fastMs: pollMs, slowMs: pollMs });
    const stopWatching = watchWithPoll(this.dir, check, pollMs ?? DEFAULT_POLL_MS, safety);
    return () => {
      stopped = true;
      stopWatching();
    };
  }

  private async pendingNames(): Promise<string[]> {
    return (await fsp.readdir(this.dir)).filter((n) => NAME.test(n)).sort();
  }
}

function parseBatch(text: string): z.infer<typeof BatchFile> | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  const parsed = BatchFile.safeParse(raw);
  return parsed.success ? parsed.data : { problem: z.prettifyError(parsed.error) };
}

/**
 * The lease holder's side: hands every pending batch to `deliver` (which appends it, durably), skipping events whose
 * id is already in the log (a batch appended before a crash but never acked), then acks it. Returns what was handed on.
 */
export async function deliverInbox<E extends LogEvent>(inbox: Inbox<E>, has: (id: string) => boolean, deliver: (events: E[]) => Promise<void>): Promise<E[]> {
  const delivered: E[] = [];
  for (const batch of await inbox.drain()) {
    const fresh = batch.events.filter((e) => !has(e.id));
    if (fresh.length > 0) {
      await deliver(fresh);
      delivered.push(...fresh);
    }
    await inbox.ack(batch);
  }
  return delivered;
}
