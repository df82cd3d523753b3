import * as vscode from 'vscode';
import type { ModelPricing, Session, SessionEvent } from '../../wire';
import { sessionWorkspacePath } from '../../wire/session-repository';
import { ReadyMessage, type ChangedFile, type HostMessage } from '../../protocol/panel';
import type { ConnectionState } from '../connection/runtime-client';
import type { RuntimeHost } from '../runtime-host';
import { MessageBatcher } from './batcher';
import { panelHtml, webviewOptions } from './html';
import { panelEvents, pricingIn } from './panel-events';
import { ThreadPreviews } from './thread-previews';
import { handleWebviewMessage, type InboundDeps } from './inbound';
import { mentionableFiles } from './mentions';

// One session's panel, host side. On every `ready` (first open, and each time the webview is re-created after being
// hidden or after a window reload) and after every runtime restart (a changed model catalogue reprices the session)
// it sends the whole log as `init` with the session model's pricing, then follows the log tail: batched `events`,
// stream-only `preview`s, and a fresh `session`/`changes` after events that move status, usage or files. The same
// class serves an editor tab (WebviewPanel) and the side-bar chat (WebviewView), which makes a new one per session.

// An evaluation's end changes the session's outcome_evaluations and its cost (the grader's usage).
const STATUS_EVENTS = new Set(['session.status_running', 'session.status_idle', 'session.status_rescheduled', 'session.status_terminated', 'session.error', 'span.model_request_end', 'span.outcome_evaluation_end', 'session.updated']);
const FILE_EVENTS = new Set(['agent.tool_result', 'agent.mcp_tool_result', 'session.status_idle', 'hangar.checkpoint']);

export interface PanelDeps extends InboundDeps {
  host: RuntimeHost;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** What shows a session: an editor tab, or the side-bar chat view. */
export type SessionSurface = vscode.WebviewPanel | vscode.WebviewView;

export class SessionPanel<P extends SessionSurface = vscode.WebviewPanel> implements vscode.Disposable {
  private readonly batcher: MessageBatcher;
  private unsubscribe: (() => void) | undefined;
  /** The previews of a multi-agent session's sub-threads (the session's subscription has the primary's). */
  private threadPreviews: ThreadPreviews | undefined;
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /**
   * Until the page this panel loaded says `ready`, whatever arrives was sent by the page before it (the side-bar
   * chat reuses its webview for another session), so it is dropped rather than applied to this session.
   */
  private awaitingReady = true;
  /** Text for the composer that came before the page could take it. */
  private inserts: string[] = [];
  /** The thread tab to show once the page has the session. */
  private thread: string | undefined;
  private readonly createdAt = Date.now();
  private runtimeUp = true;
  /** Messages posted to the webview since it was created (tests count them). */
  posted = 0;
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closed.event;

  constructor(
    readonly panel: P,
    readonly sessionId: string,
    private readonly deps: PanelDeps,
  ) {
    this.batcher = new MessageBatcher(
      (m) => this.post(m),
      (model) => this.priced(model),
      (events) => this.afterBatch(events),
    );
    panel.webview.options = webviewOptions(deps.extensionUri);
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, panel.title ?? 'Hangar');
    // A hidden webview is torn down; it asks for everything again with `ready` when shown.
    const hidden = () => panel.visible || this.stopFollowing();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      isEditorPanel(panel) ? panel.onDidChangeViewState(hidden) : panel.onDidChangeVisibility(hidden),
      panel.onDidDispose(() => this.dispose()),
      deps.host.onDidStart(() => void this.init()),
      deps.host.onConnection((state) => this.connectionMoved(state)),
    );
  }

  private async receive(raw: unknown): Promise<void> {
    if (this.awaitingReady && !ReadyMessage.safeParse(raw).success) return this.deps.log.warn(`panel ${this.sessionId}: dropped a request the previous page sent`);
    this.awaitingReady = false;
    this.post(await handleWebviewMessage(raw, this.sessionId, this.deps, () => this.init()));
  }

  /** Sends the whole log and starts following it. */
  private async init(): Promise<void> {
    this.deps.log.info(`panel ${this.sessionId}: webview ready ${Date.now() - this.createdAt} ms after the panel was made; sending the log`);
    this.stopFollowing();
    const generation = ++this.generation;
    try {
      const client = this.deps.host.client;
      const [session, events, view] = await Promise.all([client.retrieveSession(this.sessionId), client.sessionEvents(this.sessionId), client.sessionView(this.sessionId)]);
      if (generation !== this.generation || this.disposed) return;
      this.showTitle(session);
      this.post({ type: 'init', session, ...panelEvents(events, (model) => this.priced(model)), pricing: this.priced(session.agent.model.id), sandbox: view.sandbox });
      const off = await client.follow(this.sessionId, events, { onEvent: (e) => this.batcher.event(e), onPreview: (p) => this.batcher.preview(p) });
      if (generation !== this.generation || this.disposed) return off();
      this.unsubscribe = off;
      this.threadPreviews = new ThreadPreviews(client, this.sessionId, (p, thread) => this.batcher.preview(p, thread));
      this.threadPreviews.follow(events);
      await Promise.all([this.postChanges(), this.postAllowed(), this.postFiles()]);
      for (const text of this.inserts.splice(0)) this.post({ type: 'insert', text });
      if (this.thread) this.post({ type: 'showThread', session_thread_id: this.thread });
      this.thread = undefined;
    } catch (err) {
      this.post({ type: 'error', message: `Cannot load the session: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /**
   * A detached runtime stopped answering or answers again: the panel says so. Its event stream reconnects by itself
   * and delivers what was logged meanwhile.
   */
  private connectionMoved(state: ConnectionState): void {
    if (state.up === this.runtimeUp) return;
    this.runtimeUp = state.up;
    const where = this.deps.host.client.where;
    this.post({ type: 'error', message: state.up ? `Reconnected to the runtime at ${where}; the session's events are up to date.` : `Lost the runtime at ${where}: ${state.reason} Reconnecting; nothing is lost (the session's log is the runtime's).` });
  }

  /** A model's pricing in the running runtime's catalogue (a restart may change it). */
  private priced(model: string): ModelPricing {
    return pricingIn(this.deps.host.client.catalog, model);
  }

  private stopFollowing(): void {
    this.generation += 1;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.threadPreviews?.dispose();
    this.threadPreviews = undefined;
    this.batcher.dispose();
  }

  private afterBatch(events: readonly SessionEvent[]): void {
    this.threadPreviews?.follow(events);
    if (events.some((e) => STATUS_EVENTS.has(e.type))) void this.postSession();
    if (events.some((e) => FILE_EVENTS.has(e.type))) void this.postChanges();
    if (events.some((e) => e.type === 'session.updated' || e.type === 'session.thread_created')) void this.postAllowed();
  }

  /** The tools allowed for this session, the coordinator's and each sub-agent thread's (they change with `session.updated`; a new thread starts with its roster agent's). */
  private async postAllowed(): Promise<void> {
    const allowed = await this.deps.host.client.permissions.all(this.sessionId).catch(() => undefined);
    if (!allowed) return;
    const threads = Object.fromEntries(allowed.sub_agents.flatMap((a) => a.threads.map((t) => [t, a.tools])));
    this.post({ type: 'allowed', tools: allowed.tools, ...(allowed.sub_agents.length > 0 ? { threads } : {}) });
  }

  private async postSession(): Promise<void> {
    const session = await this.deps.host.client.retrieveSession(this.sessionId).catch(() => undefined);
    if (!session) return;
    this.showTitle(session);
    this.post({ type: 'session', session });
  }

  private async postChanges(): Promise<void> {
    const changes = await this.deps.host.client.changes(this.sessionId).catch(() => undefined);
    if (!changes) return;
    const files: ChangedFile[] = changes.files.map((f) => ({
      path: f.path,
      status: f.status === 'added' || f.status === 'deleted' ? f.status : 'modified',
      additions: f.additions,
      deletions: f.deletions,
    }));
    this.post({ type: 'changes', files });
  }

  /** The repository's files, for `@` mentions in the composer. */
  private async postFiles(): Promise<void> {
    const session = await this.deps.host.client.retrieveSession(this.sessionId).catch(() => undefined);
    const root = session && sessionWorkspacePath(session.resources);
    if (root) this.post({ type: 'files', paths: await mentionableFiles(root) });
  }

  /** Shows a thread's tab (now, or once the page has loaded the session). */
  showThread(threadId: string): void {
    if (this.unsubscribe) this.post({ type: 'showThread', session_thread_id: threadId });
    else this.thread = threadId;
  }

  /** Puts text into the composer (now, or once the page has loaded the session). */
  insert(text: string): void {
    if (this.unsubscribe) this.post({ type: 'insert', text });
    else this.inserts.push(text);
  }

  /** An editor tab shows the session's title; the side-bar view keeps its name and shows it beside. */
  private showTitle(session: Session): void {
    if (isEditorPanel(this.panel)) this.panel.title = panelTitle(session);
    else this.panel.description = session.title ?? session.id;
  }

  private post(message: HostMessage): void {
    if (this.disposed) return;
    this.posted += 1;
    void this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log.warn(`panel post failed: ${String(err)}`));
  }

  reveal(preserveFocus = false): void {
    if (isEditorPanel(this.panel)) this.panel.reveal(undefined, preserveFocus);
    else this.panel.show(preserveFocus);
  }

  /** Stops following without closing the editor (the extension is deactivating; the panel is restored later). */
  detach(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopFollowing();
    this.disposables.forEach((d) => d.dispose());
    this.closed.dispose();
  }

  /** Closes the panel (the side-bar view stays; its owner shows something else in it). */
  dispose(): void {
    if (this.disposed) return;
    this.closed.fire();
    this.detach();
    if (isEditorPanel(this.panel)) this.panel.dispose();
  }
}

function isEditorPanel(surface: SessionSurface): surface is vscode.WebviewPanel {
  return 'reveal' in surface;
}

export function panelTitle(session: Pick<Session, 'title' | 'id'>): string {
  const t = session.title ?? session.id;
  return `Hangar: ${t.length > 40 ? `${t.slice(0, 39)}…` : t}`;
}
