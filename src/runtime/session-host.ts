import path from 'node:path';
import type { EventParams, NewEvent, SessionAgent, SessionEvent, StreamPreview } from '../wire';
import { nowIso } from '../wire';
import { Inbox, LeaseHeldError, SessionLog, acquireLease, deliverInbox, submitToInbox, type Lease } from '../log';
import { InvalidEventError } from '../harness/delivery';
import type { McpServerState, McpTools } from '../harness/tools';
import { ThreadMcp } from './thread-mcp';
import type { Sandbox, SandboxMount, SandboxProvider } from '../sandbox/types';
import type { SessionRecord } from './session-record';
import type { SessionFiles } from './session-files';
import type { SessionMemory } from './session-memory';
import { SessionSandboxes } from './session-sandboxes';
import { invalid } from './errors';
import { withProcessedAt } from './processed-at';
import { harnessLog } from './harness-log';
import type { RewindResult } from '../wire/checkpoint';
import { sessionRunner, type RunnerOptions, type SessionRunner } from './session-runner';
import { closeInOrder, closeTogether, type CloseStep } from './close-steps';
import type { SandboxLeftovers } from './sandbox-leftovers';

// Drives the sessions this process holds the lease for, and reads the ones another process drives. User events for
// a session driven elsewhere go through its inbox; the lease holder appends them (ARCHITECTURE.md: one writer per session).

export interface HostOptions extends RunnerOptions {
  sessionsDir: string;
  owner: string;
  provider: SandboxProvider;
  /** MCP connections for a session; `emit` appends events such as session.error (mcp_connection_failed_error). */
  mcp?: (record: SessionRecord, emit: (events: NewEvent[]) => Promise<void>) => Promise<McpTools | null>;
  /** Scrubs text the host appends on behalf of tools and MCP servers (session.error messages). */
  redactText?: (text: string) => Promise<string>;
  /** Extra sandbox environment for a session (its credentials' placeholders). */
  sandboxEnv?: (record: SessionRecord) => Promise<Record<string, string>>;
  /** Status line for long provisioning, e.g. shown by the CLI or VS Code; `notice`: a message to show once, not a status. */
  onProgress?: (sessionId: string, message: string, notice?: boolean) => void;
  /** A session's file resources and outputs directory (mounted by its sandbox; outputs captured after each idle). */
  files?: SessionFiles;
  /** The folder of a session's skills, mounted read-only at /mnt/skills (null: the session has none). */
  skills?: (record: SessionRecord) => SandboxMount | null;
  /** Host directories a session's sandbox binds writable (its repository resources' clones). */
  repositories?: (record: SessionRecord) => SandboxMount[];
  /** A session's memory stores: their folders, and the sync after each tool call (session-memory.ts). */
  memory?: SessionMemory;
  /** A session driven here went idle or is being released: its summary is stored for listings (SessionIndex.persist). */
  onSettled?: (id: string, log: SessionLog<SessionEvent>) => Promise<void>;
  /** Where a sandbox that failed to release is recorded for the next sweep (sandbox-leftovers.ts). */
  leftovers: SandboxLeftovers;
}

interface Subscription {
  /** Seq of the next event this subscriber has not seen. */
  next: number;
  onEvent: (e: SessionEvent, seq: number) => void;
  onPreview: ((p: StreamPreview) => void) | undefined;
  thread: string | null;
  detach: () => void;
  /** Bumped by every attach, so a slow attach that was overtaken does not subscribe too. */
  generation: number;
  closed: boolean;
  /** Unsubscribes for good. */
  end: () => void;
}

interface Active {
  log: SessionLog<SessionEvent>;
  lease: Lease;
  inbox: Inbox<SessionEvent>;
  driver: SessionRunner;
  stop: () => void;
  /** Preview listeners per thread (null: the primary thread, which the session's own stream shows). */
  previews: Map<string | null, Set<(p: StreamPreview) => void>>;
  sandbox: () => Promise<Sandbox>;
  mcp: McpTools | null;
  /** The sub-agent threads' own MCP connections. */
  threadMcp: ThreadMcp;
}

export class SessionHost {
  private readonly active = new Map<string, Active>();
  private readonly opening = new Map<string, Promise<Active | null>>();
  private readonly readers = new Map<string, Promise<SessionLog<SessionEvent>>>();
  private readonly sandboxes: SessionSandboxes;
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private closing = false;

  constructor(private readonly opts: HostOptions) {
    this.sandboxes = new SessionSandboxes(opts);
  }

  dir(id: string): string {
    return path.join(this.opts.sessionsDir, id);
  }

  isDriving(id: string): boolean {
    return this.active.has(id);
  }

  /** The in-memory log of a session this process drives; null otherwise. */
  drivenLog(id: string): SessionLog<SessionEvent> | null {
    return this.active.get(id)?.log ?? null;
  }

  /** Takes the session's lease and continues it from its log; null when another live process drives it. */
  wake(record: SessionRecord): Promise<Active | null> {
    const existing = this.active.get(record.id);
    if (existing) return Promise.resolve(existing);
    let pending = this.opening.get(record.id);
    if (!pending) {
      pending = this.open(record).finally(() => this.opening.delete(record.id));
      this.opening.set(record.id, pending);
    }
    return pending;
  }

  private async open(record: SessionRecord): Promise<Active | null> {
    const dir = this.dir(record.id);
    let lease: Lease;
    try {
      lease = await acquireLease(dir, this.opts.owner);
    } catch (err) {
      if (err instanceof LeaseHeldError) return null;
      throw err;
    }
    const log = await SessionLog.open<SessionEvent>(dir, { mode: 'writer', lease });
    const inbox = await Inbox.open<SessionEvent>(dir);
    const previews = new Map<string | null, Set<(p: StreamPreview) => void>>();
    const previewTo = (thread: string | null) => (p: StreamPreview) => previews.get(thread)?.forEach((l) => l(p));
    const sandbox = () => this.sandboxFor(record);
    const emit = async (events: NewEvent[]) => void (await harnessLog(log).append(await Promise.all(events.map((e) => scrubError(e, this.opts.redactText)))));
    const mcp = (await this.opts.mcp?.(record, emit)) ?? null;
    const threadMcp = new ThreadMcp(this.opts.mcp, record, emit);
    const driver = sessionRunner(record, this.opts, { log, sandbox, mcp, threadMcp, previewTo, dir });
    const active: Active = {
      log,
      lease,
      inbox,
      driver,
      previews,
      sandbox,
      stop: inbox.watch(() => void this.drainInbox(active)),
      mcp,
      threadMcp,
    };
    this.active.set(record.id, active);
    // What the agent left in /mnt/session/outputs becomes Files API files when its turn ends (reference §7.3).
    log.subscribe(log.length, (e) => {
      if (e.type === 'session.status_idle') void this.opts.files?.capture(record.id).catch(() => undefined);
    });
    log.subscribe(log.length, (e) => {
      if (e.type === 'session.status_idle' || e.type === 'session.status_terminated') void this.opts.onSettled?.(record.id, log).catch(() => undefined);
    });
    await this.reattach(record.id);
    await this.drainInbox(active);
    await driver.recover();
    return active;
  }

  private async drainInbox(a: Active): Promise<void> {
    // Queued echoes carry processed_at null; dropping it lets the append stamp the time they were processed.
    await deliverInbox(a.inbox, (id) => a.log.has(id), async (events) => {
      const params = events.map(({ processed_at: _queued, ...e }) => e) as unknown as (EventParams & { id: string })[];
      try {
        await a.driver.deliver(params);
      } catch (err) {
        if (!(err instanceof InvalidEventError)) throw err;
        await a.log.append([{ id: '', type: 'session.error', processed_at: nowIso(), error: { type: 'unknown_error', message: `A queued event was refused: ${err.message}`, retry_status: { type: 'exhausted' } } }], { durable: true });
      }
    });
  }

  async send(record: SessionRecord, params: EventParams[]): Promise<SessionEvent[]> {
    const a = await this.wake(record);
    if (a) return a.driver.deliver(params);
    // Driven by another process: queue for its lease holder, which validates and appends them.
    const queued = params.map((p) => ({ ...p, id: '', processed_at: null }) as unknown as SessionEvent);
    return submitToInbox(this.dir(record.id), queued);
  }

  /** Takes the session back to a checkpoint (checkpoints.ts); this process must be the one that drives it. */
  async rewind(record: SessionRecord, checkpointId: string): Promise<RewindResult> {
    const a = await this.wake(record);
    if (!a) throw invalid(`Session ${record.id} is being driven by another Hangar process (VS Code, or hangar serve); rewind it there.`, 'session_driven_elsewhere');
    return a.driver.checkpoints.rewind(checkpointId);
  }

  /** Whether this process holds the session's log in memory (it drives the session, or has read it before). */
  holds(id: string): boolean {
    return this.active.has(id) || this.readers.has(id);
  }

  /** Events as far as this process knows them (readers refresh from the file first). */
  async events(id: string): Promise<SessionLog<SessionEvent>> {
    const a = this.active.get(id);
    if (a) return a.log;
    const log = await this.reader(id);
    await log.refresh();
    return log;
  }

  /**
   * Follows a session's events from `fromSeq`, each exactly once, for as long as the caller wants: across this
   * process taking the lease (the subscription moves to the writer and starts getting previews) and releasing it
   * (it moves back to a reader of the file).
   */
  async subscribe(
    id: string,
    fromSeq: number,
    onEvent: (e: SessionEvent, seq: number) => void,
    onPreview?: (p: StreamPreview) => void,
    /** Whose previews: a sub-agent thread's; absent, the primary thread's (the session's own stream). */
    thread: string | null = null,
  ): Promise<() => void> {
    let subs = this.subscriptions.get(id);
    if (!subs) this.subscriptions.set(id, (subs = new Set()));
    const set = subs;
    const sub: Subscription = {
      next: fromSeq,
      onEvent,
      onPreview,
      thread,
      detach: () => undefined,
      generation: 0,
      closed: false,
      end: () => {
        sub.closed = true;
        sub.detach();
        set.delete(sub);
        if (set.size === 0 && this.subscriptions.get(id) === set) this.subscriptions.delete(id);
      },
    };
    set.add(sub);
    try {
      await this.attach(id, sub);
    } catch (err) {
      sub.end();
      throw err;
    }
    return sub.end;
  }

  private async attach(id: string, sub: Subscription): Promise<void> {
    if (sub.closed) return;
    const generation = ++sub.generation;
    const a = this.active.get(id);
    const log = a ? a.log : await this.reader(id);
    // A newer attach (or the unsubscribe) overtook this one while the reader opened.
    if (sub.closed || generation !== sub.generation) return;
    sub.detach();
    const off = log.subscribe(sub.next, (e, seq) => {
      // Seqs are positions in the one file, so a seq below `next` was delivered by the log this one replaced.
      if (seq < sub.next) return;
      sub.next = seq + 1;
      // Replayed history shows a queued message's processing time; a live one is still queued when it arrives.
      sub.onEvent(withProcessedAt(log.events(), e, seq), seq);
      // Nothing follows a deletion, and the session's files are about to go: do not follow it to a new log.
      if (e.type === 'session.deleted') sub.end();
    });
    // Ended by an event replayed inside log.subscribe, before `off` existed.
    if (sub.closed) return off();
    const preview = a && sub.onPreview;
    if (preview) {
      const set = a.previews.get(sub.thread) ?? new Set();
      a.previews.set(sub.thread, set.add(preview));
    }
    sub.detach = () => {
      off();
      if (preview) a.previews.get(sub.thread)?.delete(preview);
    };
  }

  /** Moves this session's subscriptions to whatever log now serves it; one that cannot follow (session gone) ends. */
  private async reattach(id: string): Promise<void> {
    for (const sub of this.subscriptions.get(id) ?? []) await this.attach(id, sub).catch(() => undefined);
  }

  /**
   * The MCP servers of a session driven here and their connection state; null when this process does not drive it
   * (its connections, if any, live in the process that does).
   */
  mcpStatus(id: string): McpServerState[] | null {
    const a = this.active.get(id);
    if (!a) return null;
    return a.mcp?.status?.() ?? [];
  }

  /** A running multi-agent session's roster agents changed in its snapshot: its threads follow at once (see retool). */
  retool(id: string, agent: SessionAgent): void {
    this.active.get(id)?.driver.retool?.(agent);
  }

  /** Work a session driven here held (a spent budget, since raised) goes on. */
  resume(id: string): void {
    this.active.get(id)?.driver.kick();
  }

  /** Archives a sub-agent thread of a session driven here (woken if need be). */
  async archiveThread(record: SessionRecord, threadId: string): Promise<void> {
    const a = await this.wake(record);
    if (!a) throw invalid(`Session ${record.id} is being driven by another Hangar process; archive the thread there.`);
    if (!a.driver.archiveThread) throw invalid(`Session ${record.id} has no sub-agent threads.`);
    await a.driver.archiveThread(threadId);
    await a.threadMcp.close(threadId);
  }

  /** Waits until the session has nothing to do (tests, CLI). */
  async settled(id: string): Promise<void> {
    await this.active.get(id)?.driver.settled();
  }

  /** Shows a status line for a session (long work at creation, such as cloning its repositories), or a notice. */
  progress(id: string, message: string, notice = false): void {
    this.opts.onProgress?.(id, message, notice);
  }

  /** The kind of sandbox this process provisions; a session records it at creation. */
  get providerKind(): 'local' | 'docker' {
    return this.opts.provider.kind;
  }

  sandboxFor(record: SessionRecord): Promise<Sandbox> {
    return this.sandboxes.for(record);
  }

  /** Retries what failed sandbox releases left (SessionSandboxes.sweepLeftovers); returns the sessions cleaned up. */
  sweepLeftovers(exists: (id: string) => Promise<boolean>): Promise<string[]> {
    return this.sandboxes.sweepLeftovers(exists, (id) => this.active.has(id));
  }

  /** Shows a file added to the session in its sandbox (file-attach.ts). */
  mount(id: string, mount: SandboxMount): Promise<void> {
    return this.sandboxes.mount(id, mount);
  }

  /**
   * Stops driving a session here: the driver ends, the lease is released, the sandbox keeps its files. Every step runs
   * even when one before it failed (close-steps.ts); the failures are thrown together (a CloseError) at the end.
   */
  async release(id: string): Promise<void> {
    await closeInOrder([[`session ${id}`, () => this.releaseParts(id)]]);
    if (!this.closing) await this.reattach(id);
  }

  /** Releases every session held here at once; a CloseError names each session and step that failed. */
  async close(): Promise<void> {
    this.closing = true;
    const ids = new Set([...this.active.keys(), ...this.sandboxes.ids(), ...this.readers.keys()]);
    await closeTogether([...ids].map((id) => [`session ${id}`, () => this.releaseParts(id)]));
  }

  private releaseParts(id: string): Promise<void> {
    const a = this.active.get(id);
    if (a) {
      this.active.delete(id);
      a.stop();
    }
    const held: CloseStep[] = a
      ? [
          ['stopping its driver', () => a.driver.close()],
          ['closing its MCP connections', () => a.mcp?.close?.()],
          ["closing its threads' MCP connections", () => a.threadMcp.closeAll()],
          ['closing its log', () => a.log.close()],
          ['storing its summary', () => this.opts.onSettled?.(id, a.log).catch(() => undefined)],
          ['releasing its lease', () => a.lease.release()],
        ]
      : [];
    return closeInOrder([
      ...held,
      ['releasing its sandbox', () => this.sandboxes.release(id)],
      [
        'closing its reader',
        () => {
          const r = this.readers.get(id);
          this.readers.delete(id);
          return r?.then((l) => l.close()).catch(() => undefined);
        },
      ],
    ]);
  }

  assertNotDrivenElsewhere(id: string, lockedBy: string | null): void {
    if (lockedBy && !this.active.has(id)) throw invalid(`Session ${id} is being driven by another Hangar process (${lockedBy}); stop it there first.`);
  }

  private reader(id: string): Promise<SessionLog<SessionEvent>> {
    let r = this.readers.get(id);
    if (!r) {
      r = SessionLog.open<SessionEvent>(this.dir(id), { mode: 'reader' });
      r.catch(() => this.readers.delete(id));
      this.readers.set(id, r);
    }
    return r;
  }
}

/** session.error messages that tools and MCP servers produce go through the scrubber like tool results do. */
async function scrubError(e: NewEvent, redact: ((text: string) => Promise<string>) | undefined): Promise<NewEvent> {
  if (!redact || e.type !== 'session.error') return e;
  return { ...e, error: { ...e.error, message: await redact(e.error.message) } };
}
