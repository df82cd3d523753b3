import * as vscode from 'vscode';
import * as z from 'zod';
import { parseWebviewMessage, ReadyMessage, requestIdOf, type HostMessage } from '../../protocol/panel';
import { panelHtml, webviewOptions } from './html';
import { mentionableFiles } from './mentions';
import { SessionPanel, type PanelDeps } from './session-panel';

// The chat in the Hangar side bar: the same page and protocol as the editor-tab panel, in a WebviewView, so the
// chat stays beside the diffs it opens. It shows one session at a time (the one opened last, e.g. picked in the
// Sessions tree) through a SessionPanel made for it, or, with no session, an empty composer whose task starts one.

export const CHAT_VIEW_ID = 'hangar.chat';
const SavedState = z.looseObject({ sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) });

export interface ChatDeps extends PanelDeps {
  /** The most recent session, shown when the view opens with nothing chosen. */
  latestSession(): Promise<string | undefined>;
}

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private session: SessionPanel<vscode.WebviewView> | undefined;
  private blank: BlankChat | undefined;
  /** What to show: a session, null for the empty composer, undefined when nothing was chosen yet. */
  private wanted: string | null | undefined;
  private pendingInserts: string[] = [];
  /** The agent a new session from the empty composer runs, when Start Agent already asked. */
  private agentId: string | undefined;

  constructor(private readonly deps: ChatDeps) {}

  static register(chat: ChatView): vscode.Disposable {
    return vscode.Disposable.from(chat, vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat));
  }

  async resolveWebviewView(view: vscode.WebviewView, context: vscode.WebviewViewResolveContext): Promise<void> {
    this.view = view;
    view.webview.options = webviewOptions(this.deps.extensionUri);
    view.onDidDispose(() => {
      if (this.view !== view) return;
      this.unbind();
      this.view = undefined;
    });
    // A runtime this window cannot use yet (a detached one without its token) has no sessions to show: the view
    // opens empty instead of failing to load (the refusal itself is said once, with its fix, by the runtime host).
    if (this.wanted === undefined) this.wanted = (await this.firstSession(context.state).catch(() => undefined)) ?? null;
    this.bind(this.wanted);
  }

  /** The session the view showed before the window closed, if it still exists, else the latest one. */
  private async firstSession(state: unknown): Promise<string | undefined> {
    const saved = SavedState.safeParse(state);
    const restored = saved.success && (await this.exists(saved.data.sessionId)) ? saved.data.sessionId : undefined;
    return restored ?? (await this.deps.latestSession());
  }

  /** The session the chat shows, if any. */
  get sessionId(): string | undefined {
    return this.session?.sessionId;
  }

  /** The session panel in the view (tests read what it posted). */
  get current(): SessionPanel<vscode.WebviewView> | undefined {
    return this.session;
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  /** Shows a session (null: the empty composer for a new one) and brings the view up. */
  async show(sessionId: string | null, preserveFocus = false): Promise<void> {
    this.wanted = sessionId;
    if (this.view) {
      if (sessionId !== (this.session?.sessionId ?? null) || (sessionId === null && !this.blank)) this.bind(sessionId);
      this.view.show(preserveFocus);
      return;
    }
    // Not resolved yet (the view was never opened, or is collapsed): focusing it makes VS Code resolve it.
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  /** Shows the empty composer for a new session of this agent (asked for when undefined), with `text` in it. */
  async compose(agentId?: string, text = ''): Promise<void> {
    this.agentId = agentId;
    await this.show(null);
    if (text.trim()) await this.insert(text);
  }

  /** Puts text into the chat's composer, showing the chat first. */
  async insert(text: string): Promise<void> {
    if (this.session) this.session.insert(text);
    else if (this.blank) this.blank.insert(text);
    else this.pendingInserts.push(text);
    if (!this.view?.visible) await this.show(this.wanted ?? null);
    else this.view.show(false);
  }

  /** A session went away: the chat falls back to the empty composer. */
  forget(sessionId: string): void {
    if (this.wanted === sessionId) this.wanted = null;
    if (this.session?.sessionId === sessionId) this.bind(null);
  }

  private bind(sessionId: string | null): void {
    const view = this.view;
    if (!view) return;
    this.unbind();
    const inserts = this.pendingInserts.splice(0);
    // The view's "Open Session in Editor Tab" button needs a session.
    void vscode.commands.executeCommand('setContext', 'hangar.chatHasSession', sessionId !== null);
    if (sessionId === null) {
      this.blank = new BlankChat(view, this.deps, () => this.agentId, (id) => void this.show(id));
      inserts.forEach((t) => this.blank?.insert(t));
      return;
    }
    this.session = new SessionPanel(view, sessionId, this.deps);
    inserts.forEach((t) => this.session?.insert(t));
  }

  private unbind(): void {
    this.session?.detach();
    this.session = undefined;
    this.blank?.dispose();
    this.blank = undefined;
  }

  private async exists(sessionId: string): Promise<boolean> {
    return this.deps.host.client.retrieveSession(sessionId).then(() => true, () => false);
  }

  dispose(): void {
    this.unbind();
  }
}

/**
 * The chat with no session: the page shows an empty composer (`newSession`) whose text starts an agent on the
 * workspace (`start`, through "Hangar: Start Agent"); then the chat shows the new session. It answers only what makes
 * sense without a session.
 */
class BlankChat implements vscode.Disposable {
  private readonly listener: vscode.Disposable;
  private awaitingReady = true;
  private ready = false;
  private inserts: string[] = [];

  constructor(
    private readonly view: vscode.WebviewView,
    private readonly deps: PanelDeps,
    private readonly agentId: () => string | undefined,
    private readonly started: (sessionId: string) => void,
  ) {
    view.description = undefined;
    view.webview.html = panelHtml(view.webview, deps.extensionUri, 'Hangar: new session');
    this.listener = view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw));
  }

  insert(text: string): void {
    if (this.ready) this.post({ type: 'insert', text });
    else this.inserts.push(text);
  }

  private async receive(raw: unknown): Promise<void> {
    // As in SessionPanel: what comes before this page's `ready` was sent by the page it replaced.
    if (this.awaitingReady && !ReadyMessage.safeParse(raw).success) return;
    this.awaitingReady = false;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      const id = requestIdOf(raw);
      return this.post(id ? { type: 'reply', id, ok: false, error: parsed.error } : { type: 'error', message: parsed.error });
    }
    const msg = parsed.value;
    const refuse = (error: string) => this.post({ type: 'reply', id: msg.id, ok: false, error });
    if (msg.type === 'ready') {
      this.post({ type: 'newSession' });
      this.post({ type: 'reply', id: msg.id, ok: true });
      const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (root) this.post({ type: 'files', paths: await mentionableFiles(root) });
      this.ready = true;
      for (const text of this.inserts.splice(0)) this.post({ type: 'insert', text });
      return;
    }
    if (msg.type !== 'start') return refuse('No session is shown here; describe a task to start one.');
    try {
      const id = await vscode.commands.executeCommand<string | undefined>('hangar.startAgent', { task: msg.text, agentId: this.agentId(), open: 'none' });
      if (!id) return refuse('The agent was not started.');
      this.post({ type: 'reply', id: msg.id, ok: true });
      this.started(id);
    } catch (err) {
      refuse(err instanceof Error ? err.message : String(err));
    }
  }

  private post(message: HostMessage): void {
    void this.view.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log.warn(`chat post failed: ${String(err)}`));
  }

  dispose(): void {
    this.listener.dispose();
  }
}
