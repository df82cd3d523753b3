import * as vscode from 'vscode';
import * as z from 'zod';
import { ChatView, type ChatDeps } from './chat-view';
import { SessionPanel, panelTitle } from './session-panel';

// Where sessions show: the side-bar chat (one session at a time, beside the editors) or editor tabs, one panel per
// session, restored after a window reload by the serializer. `hangar.openSessionsIn` picks where "Open Session" and
// a new agent go; both kinds stay available (Open in Editor / Open in Side Bar). A restored tab's saved state may
// carry the session id; when it does not, the panel is matched by its title against the panels this workspace had
// open.

export const PANEL_VIEW_TYPE = 'hangar.session';
const OPEN_KEY = 'hangar.openPanels';
const OpenPanels = z.array(z.object({ sessionId: z.string(), title: z.string() }));
const SavedState = z.looseObject({ sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) });

export type SessionPlace = 'sideBar' | 'editor';

export class PanelManager implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly panels = new Map<string, SessionPanel>();
  readonly chat: ChatView;

  constructor(
    private readonly deps: ChatDeps,
    private readonly memento: vscode.Memento,
  ) {
    this.chat = new ChatView(deps);
  }

  static register(manager: PanelManager): vscode.Disposable {
    return vscode.Disposable.from(manager, vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, manager), ChatView.register(manager.chat));
  }

  /** Where sessions open by default (`hangar.openSessionsIn`). */
  static place(): SessionPlace {
    return vscode.workspace.getConfiguration('hangar').get<string>('openSessionsIn') === 'editor' ? 'editor' : 'sideBar';
  }

  /** Shows a session where the user wants sessions (or where `place` says). */
  async show(sessionId: string, place: SessionPlace = PanelManager.place(), preserveFocus = false): Promise<void> {
    if (place === 'sideBar') await this.chat.show(sessionId, preserveFocus);
    else await this.open(sessionId, preserveFocus);
  }

  /** Shows a session on one thread's tab (a sub-agent node of the tree). */
  async showThread(sessionId: string, threadId: string, place: SessionPlace = PanelManager.place()): Promise<void> {
    await this.show(sessionId, place);
    // A side-bar chat VS Code has not resolved yet opens on the coordinator's tab.
    const panel = place === 'sideBar' ? this.chat.current : this.panels.get(sessionId);
    if (panel?.sessionId === sessionId) panel.showThread(threadId);
  }

  /** Opens (or reveals) the session's editor tab. */
  async open(sessionId: string, preserveFocus = false): Promise<SessionPanel> {
    const existing = this.panels.get(sessionId);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return existing;
    }
    const session = await this.deps.host.client.retrieveSession(sessionId);
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, panelTitle(session), { viewColumn: vscode.ViewColumn.Active, preserveFocus }, {});
    return this.adopt(panel, sessionId);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const saved = SavedState.safeParse(state);
    const remembered = this.remembered().find((p) => p.title === panel.title && !this.panels.has(p.sessionId));
    const sessionId = saved.success ? saved.data.sessionId : remembered?.sessionId;
    if (!sessionId) {
      panel.dispose();
      return;
    }
    try {
      await this.deps.host.client.retrieveSession(sessionId);
    } catch {
      panel.dispose();
      return;
    }
    this.adopt(panel, sessionId);
  }

  get(sessionId: string): SessionPanel | undefined {
    return this.panels.get(sessionId);
  }

  /** The session of the panel the user is looking at: the active editor tab's, else the visible side-bar chat's. */
  activeSessionId(): string | undefined {
    return [...this.panels.values()].find((p) => p.panel.active)?.sessionId ?? (this.chat.visible ? this.chat.sessionId : undefined);
  }

  close(sessionId: string): void {
    this.panels.get(sessionId)?.dispose();
    this.chat.forget(sessionId);
  }

  private adopt(panel: vscode.WebviewPanel, sessionId: string): SessionPanel {
    const media = (name: string) => vscode.Uri.joinPath(this.deps.extensionUri, 'media', name);
    panel.iconPath = { light: media('hangar-light.svg'), dark: media('hangar-dark.svg') };
    const sp = new SessionPanel(panel, sessionId, this.deps);
    this.panels.set(sessionId, sp);
    void this.remember();
    sp.onDidClose(() => {
      if (this.panels.get(sessionId) === sp) this.panels.delete(sessionId);
      void this.remember();
    });
    return sp;
  }

  private remembered(): z.infer<typeof OpenPanels> {
    const parsed = OpenPanels.safeParse(this.memento.get(OPEN_KEY));
    return parsed.success ? parsed.data : [];
  }

  private remember(): Thenable<void> {
    return this.memento.update(OPEN_KEY, [...this.panels.values()].map((p) => ({ sessionId: p.sessionId, title: p.panel.title })));
  }

  /** Deactivation: panels stay open (VS Code restores them through the serializer); only the following stops. */
  dispose(): void {
    for (const p of this.panels.values()) p.detach();
    this.panels.clear();
  }
}
