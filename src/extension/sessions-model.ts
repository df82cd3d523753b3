import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { EVENTS_FILE } from '../log/session-log';
import { watchWithPoll } from '../log/watch';
import type { McpServerState, Runtime } from '../runtime';
import type { FileMetadata, SessionEvent, SessionStatus, StopReason } from '../wire';
import { sessionRepository } from '../wire/session-repository';
import type { SandboxKind } from '../format/sandbox';
import type { RuntimeHost } from './runtime-host';
import { THREAD_FOLD_TYPES, ThreadFold, type ThreadView } from './tree/thread-fold';

// What the sidebar and the status bar show about sessions, folded from their logs (ARCHITECTURE.md invariant 1). A
// listed session's row comes from its stored summary (runtime session-index.ts), so a refresh costs the page, not the
// history (issue #17): its log is only watched for growth (one stat), and followed event by event (which reads the
// whole log once) from when it grows, when its threads are shown, or when it was created here. Changes are announced
// per session, coalesced so a burst of events repaints once.

export interface SessionView {
  id: string;
  title: string;
  status: SessionStatus;
  stopReason: StopReason | null;
  needsAction: boolean;
  activeSeconds: number;
  costCents: number;
  /** The cost is an estimate (a model without a list price). */
  costEstimated: boolean;
  createdAt: string;
  agentName: string;
  repo: string | null;
  sandbox: SandboxKind;
  lastError: string | null;
}

/** A session's MCP servers: live from this window's connections, or as the agent declares them. */
export interface McpView {
  /** True when this window drives the session, so `servers` carry real connection states. */
  live: boolean;
  servers: McpServerState[];
}

const COALESCE_MS = 150;

export class SessionsModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  private readonly eventSeen = new vscode.EventEmitter<{ sessionId: string; event: SessionEvent }>();
  private readonly grew = new vscode.EventEmitter<string>();
  /** A session changed (its id), or the list itself (undefined). */
  readonly onDidChange = this.changed.event;
  /** Every event appended to a tracked session's log. */
  readonly onEvent = this.eventSeen.event;
  /** A listed session's log grew while it was only watched: the events up to its tracking are not on onEvent. */
  readonly onDidGrow = this.grew.event;
  private readonly subscriptions = new Map<string, Promise<() => void>>();
  /** Listed sessions not tracked yet: their log files' watchers. */
  private readonly watched = new Map<string, () => void>();
  private readonly threadFolds = new Map<string, Promise<ThreadFold>>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private views: SessionView[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  private watcher: FSWatcher | undefined;
  private rescan: ReturnType<typeof setTimeout> | undefined;

  /** Unsubscribes from the current runtime's output captures. */
  private outputsOff: (() => void) | undefined;

  constructor(private readonly host: RuntimeHost) {
    this.disposables.push(
      host.onDidStart(() => {
        this.reset();
        this.watchStorage();
        // Outputs are captured a moment after the idle that repainted the session: repaint it again when they land.
        this.outputsOff?.();
        this.outputsOff = host.runtime.onOutputs((id) => this.changed.fire(id));
      }),
    );
  }

  /**
   * Sessions created or deleted by someone else on the same storage (the local API server, `hangar` on the command
   * line, another window) change the list: the sessions directory is watched for new and removed entries.
   */
  private watchStorage(): void {
    if (this.watcher) return;
    const dir = path.join(this.host.storageRoot, 'sessions');
    try {
      this.watcher = watch(dir, () => this.scheduleRescan(dir));
      this.watcher.on('error', () => this.stopWatching());
    } catch {
      // No watcher (the directory is not there yet, or the platform refuses): the list refreshes on our own changes.
    }
  }

  private scheduleRescan(dir: string): void {
    if (this.rescan) return;
    this.rescan = setTimeout(() => {
      this.rescan = undefined;
      void readdir(dir).then((names) => {
        const known = new Set(this.views.map((v) => v.id));
        const now = names.filter((n) => n.startsWith('sesn_'));
        if (now.length !== known.size || now.some((n) => !known.has(n))) this.changed.fire(undefined);
      }, () => undefined);
    }, COALESCE_MS);
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.rescan) clearTimeout(this.rescan);
    this.rescan = undefined;
  }

  /** The sessions of this storage, newest first, each tracked from now on. */
  async list(): Promise<SessionView[]> {
    const runtime = this.host.runtime;
    const page = await runtime.sessions.list({ limit: 200, order: 'desc' });
    // The log's identity is taken before the view is read, so growth in between is seen as growth.
    const listed = await Promise.all(page.data.map(async (s) => ({ logAt: await logIdentity(this.logFile(s.id)), view: await this.viewOf(runtime, s.id) })));
    for (const { logAt, view } of listed) this.watchLog(view.id, logAt);
    this.views = listed.map((l) => l.view);
    return this.views;
  }

  /** The views of the last listing (cheap; for the status bar). */
  cached(): readonly SessionView[] {
    return this.views;
  }

  async view(id: string): Promise<SessionView> {
    return this.viewOf(this.host.runtime, id);
  }

  /** Starts tracking a session created just now and announces the new list. */
  added(id: string): void {
    this.track(this.host.runtime, id);
    this.changed.fire(undefined);
  }

  removed(id: string): void {
    this.unwatch(id);
    void this.subscriptions.get(id)?.then((off) => off());
    this.subscriptions.delete(id);
    this.threadFolds.delete(id);
    this.changed.fire(undefined);
  }

  /** The session's sub-agent threads, folded from its thread events and kept current from its log tail. */
  async threads(id: string): Promise<ThreadView[]> {
    let fold = this.threadFolds.get(id);
    if (!fold) {
      fold = this.loadThreads(this.host.runtime, id);
      fold.catch(() => this.threadFolds.delete(id));
      this.threadFolds.set(id, fold);
    }
    return (await fold).list();
  }

  /** The files the session's agent left in /mnt/session/outputs/ (captured into the Files API after each idle). */
  async outputs(id: string): Promise<FileMetadata[]> {
    return (await this.host.runtime.files.list({ scope_id: id, limit: 1000 })).data;
  }

  async mcp(id: string): Promise<McpView> {
    const runtime = this.host.runtime;
    const live = runtime.mcpStatus(id);
    if (live) return { live: true, servers: live };
    // Driven by another process, or not woken yet: its connections are not here, only the agent's definition is.
    const record = await runtime.sessions.record(id);
    return { live: false, servers: record.agent.mcp_servers.map((s) => ({ name: s.name, type: s.type, state: 'disconnected', tools: [], error: null, calls: 0 })) };
  }

  private async loadThreads(runtime: Runtime, id: string): Promise<ThreadFold> {
    // The live tail is attached first and the listing read after it, so no event falls between the two; the fold
    // drops the ones both deliver.
    this.track(runtime, id);
    await this.subscriptions.get(id);
    const own = (await runtime.sessions.record(id)).agent.model.id;
    const fold = new ThreadFold((e) => runtime.catalog.lookup(e._hangar?.model ?? own));
    for (let page: string | undefined; ; ) {
      const res = await runtime.sessions.listEvents(id, { limit: 1000, page, types: [...THREAD_FOLD_TYPES] });
      for (const e of res.data) fold.apply(e);
      if (!res.next_page) return fold;
      page = res.next_page;
    }
  }

  private async viewOf(runtime: Runtime, id: string): Promise<SessionView> {
    const record = await runtime.sessions.record(id);
    const [session, summary] = await Promise.all([runtime.sessions.retrieve(id), runtime.sessions.summary(record)]);
    return {
      id,
      title: record.title ?? id,
      status: session.status,
      stopReason: summary.stopReason,
      needsAction: session.status === 'idle' && summary.stopReason?.type === 'requires_action',
      activeSeconds: session.stats.active_seconds ?? 0,
      costCents: summary.costCents,
      costEstimated: summary.costEstimated,
      createdAt: record.created_at,
      agentName: record.agent.name,
      repo: sessionRepository(record.resources)?.path ?? null,
      // Records from before the provider was recorded ran locally (as the panel and the CLI read them).
      sandbox: record.environment.hangar.provider ?? 'local',
      lastError: summary.lastError,
    };
  }

  private logFile(id: string): string {
    return path.join(this.host.sessionDir(id), EVENTS_FILE);
  }

  /** Watches a listed session's log until it grows (a new file, size or mtime), then tracks it. */
  private watchLog(id: string, logAt: string): void {
    if (this.subscriptions.has(id) || this.watched.has(id)) return;
    const file = this.logFile(id);
    let checking = false;
    const check = () => {
      if (checking) return;
      checking = true;
      void logIdentity(file).then((now) => {
        checking = false;
        if (now === logAt || !this.watched.has(id)) return;
        this.track(this.host.runtime, id);
        this.grew.fire(id);
        this.announce(id);
      });
    };
    this.watched.set(id, watchWithPoll(file, check));
    check();
  }

  private unwatch(id: string): void {
    this.watched.get(id)?.();
    this.watched.delete(id);
  }

  private track(runtime: Runtime, id: string): void {
    this.unwatch(id);
    if (this.subscriptions.has(id)) return;
    const sub = runtime.sessions.eventCount(id).then((from) =>
      runtime.sessions.subscribe(id, from, (event) => {
        void this.threadFolds.get(id)?.then((f) => f.apply(event), () => undefined);
        this.eventSeen.fire({ sessionId: id, event });
        this.announce(id);
      }),
    );
    sub.catch(() => this.subscriptions.delete(id));
    this.subscriptions.set(id, sub);
  }

  private announce(id: string): void {
    if (this.pending.has(id)) return;
    this.pending.set(
      id,
      setTimeout(() => {
        this.pending.delete(id);
        this.changed.fire(id);
      }, COALESCE_MS),
    );
  }

  private reset(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    for (const sub of this.subscriptions.values()) void sub.then((off) => off(), () => undefined);
    this.subscriptions.clear();
    this.threadFolds.clear();
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.stopWatching();
    this.reset();
    for (const t of this.pending.values()) clearTimeout(t);
    this.outputsOff?.();
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
    this.eventSeen.dispose();
    this.grew.dispose();
  }
}

/** What changes when a log is appended to or replaced; '' when there is none. */
async function logIdentity(file: string): Promise<string> {
  return stat(file).then((st) => `${st.ino}:${st.size}:${st.mtimeMs}`, () => '');
}
