import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { EVENTS_FILE } from '../log/session-log';
import { watchWithPoll } from '../log/watch';
import type { McpServerState } from '../runtime';
import type { FileMetadata, SessionEvent } from '../wire';
import type { RuntimeClient, SessionView } from './connection/runtime-client';
import { IdBatch } from './id-batch';
import type { RuntimeHost } from './runtime-host';
import { THREAD_FOLD_TYPES, ThreadFold, type ThreadView } from './tree/thread-fold';

// What the sidebar and the status bar show about sessions, folded from their logs (ARCHITECTURE.md invariant 1). A
// listed session's row comes from its stored summary (runtime session-index.ts), so a refresh costs the page, not the
// history (issue #17): its log is only watched for growth (one stat), and followed event by event (which reads the
// whole log once) from when it grows, when its threads are shown, or when it was created here. Changes are announced
// per session, gathered for COALESCE_MS across sessions, so a burst of events repaints once and the sessions that
// changed together are announced together (their readers then share each session's read, see `reading`). With a
// detached runtime there is no log file here: the client polls the runtime's list instead, and tracked sessions follow
// its event stream.

export type { SessionView } from './connection/runtime-client';

/** A session's MCP servers: live from this window's connections, or as the agent declares them. */
export interface McpView {
  /** True when this window drives the session, so `servers` carry real connection states. */
  live: boolean;
  servers: McpServerState[];
}

const COALESCE_MS = 250;

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
  /** Sessions that changed since the last announcement, and undefined when the list did (sessions added here or seen). */
  private readonly due = new IdBatch<string | undefined>(COALESCE_MS, (id) => this.fire(id));
  /**
   * A session's view while it is being read: one announcement sends the tree, the status bar and the approvals to
   * read the same session at once, and with 20 sessions running those reads were most of the extension host's work
   * (test/bench/extension-host.bench.ts). Dropped when the read settles and when the session's log grows, so no
   * caller gets a view read before an event it may have seen.
   */
  private readonly reading = new Map<string, Promise<SessionView>>();
  /** The listing being read, shared the same way; dropped when the list changes. */
  private listing: Promise<SessionView[]> | undefined;
  private views: SessionView[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  /** Stops the client's watch of the session list. */
  private listOff: (() => void) | undefined;

  /** Unsubscribes from the current runtime's output captures. */
  private outputsOff: (() => void) | undefined;

  constructor(private readonly host: RuntimeHost) {
    this.disposables.push(
      host.onDidStart(() => {
        this.reset();
        this.listOff?.();
        this.listOff = host.client.watchSessions(() => this.due.add(undefined));
        // Outputs are captured a moment after the idle that repainted the session: repaint it again when they land.
        this.outputsOff?.();
        this.outputsOff = host.detached ? undefined : host.runtime.onOutputs((id) => this.changed.fire(id));
      }),
    );
  }

  /** The sessions of this storage, newest first, each tracked from now on. */
  list(): Promise<SessionView[]> {
    if (this.listing) return this.listing;
    const listing = this.readList();
    this.listing = listing;
    const settled = () => void (this.listing === listing && (this.listing = undefined));
    listing.then(settled, settled);
    return listing;
  }

  private async readList(): Promise<SessionView[]> {
    const client = this.host.client;
    if (client.detached) return (this.views = await client.listSessions());
    const page = await this.host.runtime.sessions.list({ limit: 200, order: 'desc' });
    // The log's identity is taken before the view is read, so growth in between is seen as growth.
    const listed = await Promise.all(page.data.map(async (s) => ({ logAt: await logIdentity(this.logFile(s.id)), view: await this.view(s.id) })));
    for (const { logAt, view } of listed) this.watchLog(view.id, logAt);
    this.views = listed.map((l) => l.view);
    return this.views;
  }

  /** The views of the last listing (cheap; for the status bar). */
  cached(): readonly SessionView[] {
    return this.views;
  }

  view(id: string): Promise<SessionView> {
    const reading = this.reading.get(id);
    if (reading) return reading;
    const read = this.host.client.sessionView(id);
    this.reading.set(id, read);
    const settled = () => void (this.reading.get(id) === read && this.reading.delete(id));
    read.then(settled, settled);
    return read;
  }

  /** Starts tracking a session created just now and announces the new list. */
  added(id: string): void {
    this.track(this.host.client, id);
    this.due.add(undefined);
  }

  removed(id: string): void {
    this.unwatch(id);
    void this.subscriptions.get(id)?.then((off) => off());
    this.subscriptions.delete(id);
    this.threadFolds.delete(id);
    this.fire(undefined);
  }

  /** The session's sub-agent threads, folded from its thread events and kept current from its log tail. */
  async threads(id: string): Promise<ThreadView[]> {
    let fold = this.threadFolds.get(id);
    if (!fold) {
      fold = this.loadThreads(this.host.client, id);
      fold.catch(() => this.threadFolds.delete(id));
      this.threadFolds.set(id, fold);
    }
    return (await fold).list();
  }

  /** The files the session's agent left in /mnt/session/outputs/ (captured into the Files API after each idle). */
  async outputs(id: string): Promise<FileMetadata[]> {
    return this.host.client.listOutputs(id);
  }

  async mcp(id: string): Promise<McpView> {
    const client = this.host.client;
    const live = client.mcpStatus(id);
    if (live) return { live: true, servers: live };
    // Driven by another process, or not woken yet: its connections are not here, only the agent's definition is.
    const session = await client.retrieveSession(id);
    return { live: false, servers: session.agent.mcp_servers.map((s) => ({ name: s.name, type: s.type, state: 'disconnected', tools: [], error: null, calls: 0 })) };
  }

  private async loadThreads(client: RuntimeClient, id: string): Promise<ThreadFold> {
    // The live tail is attached first and the listing read after it, so no event falls between the two; the fold
    // drops the ones both deliver.
    this.track(client, id);
    await this.subscriptions.get(id);
    const own = (await client.retrieveSession(id)).agent.model.id;
    const fold = new ThreadFold((e) => client.catalog.lookup(e._hangar?.model ?? own));
    for (const e of await client.sessionEvents(id, THREAD_FOLD_TYPES)) fold.apply(e);
    return fold;
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
        this.reading.delete(id);
        this.track(this.host.client, id);
        this.grew.fire(id);
        this.due.add(id);
      });
    };
    this.watched.set(id, watchWithPoll(file, check));
    check();
  }

  private unwatch(id: string): void {
    this.watched.get(id)?.();
    this.watched.delete(id);
  }

  private track(client: RuntimeClient, id: string): void {
    this.unwatch(id);
    if (this.subscriptions.has(id)) return;
    const sub = client.follow(id, 'now', {
      onEvent: (event) => {
        this.reading.delete(id);
        void this.threadFolds.get(id)?.then((f) => f.apply(event), () => undefined);
        this.eventSeen.fire({ sessionId: id, event });
        this.due.add(id);
      },
    });
    sub.catch(() => this.subscriptions.delete(id));
    this.subscriptions.set(id, sub);
  }

  private reset(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    for (const sub of this.subscriptions.values()) void sub.then((off) => off(), () => undefined);
    this.subscriptions.clear();
    this.threadFolds.clear();
    this.fire(undefined);
  }

  /** Announces a change; a change of the list first drops the listing being read, which may not have it. */
  private fire(id: string | undefined): void {
    if (id === undefined) this.listing = undefined;
    this.changed.fire(id);
  }

  dispose(): void {
    this.listOff?.();
    this.reset();
    this.due.dispose();
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
