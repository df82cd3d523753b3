import * as vscode from 'vscode';
import { parseCompareSavedState, parseCompareWebviewMessage, type CompareAttempt, type CompareHostMessage } from '../../protocol/compare';
import { countByStatus } from '../../review/session-review';
import type { Hangar } from '../hangar';
import { panelHtml, webviewOptions } from '../panel/html';

// The compare view of a best-of-N task (issue #13 §4): an editor tab showing the attempts side by side
// (webview/compare/). The figures are runtime/best-of.ts's compareRows, the ones the CLI's table prints, plus how far
// each attempt's review got. Accepting goes through the review every session has: Accept All is Hangar: Apply All
// Changes for that session (each hunk merged three-way into the workspace, a conflict left pending and reported), and
// Review Hunks opens the session's review, so hunks can be taken from several attempts one after another (a later
// attempt's hunk merges onto what an earlier one put in the file, or is a conflict when both changed the same lines).
// After a window reload the serializer reopens each view on the attempts its page saved in its webview state.

export const COMPARE_VIEW_TYPE = 'hangar.compare';
/** Several events land together (a tool result, its checkpoint, an idle): one refresh for them. */
const REFRESH_DELAY_MS = 250;

export class CompareViews implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly views = new Map<string, CompareView>();

  constructor(private readonly h: () => Hangar) {}

  static register(views: CompareViews): vscode.Disposable {
    return vscode.Disposable.from(views, vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, views));
  }

  /** Opens (or reveals) the compare view of these sessions, in attempt order. */
  show(sessionIds: readonly string[], task: string): CompareView {
    const existing = this.views.get(sessionIds.join(','));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const h = this.h();
    return this.adopt(vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Compare: ${task.slice(0, 40)}`, vscode.ViewColumn.Active, webviewOptions(h.context.extensionUri)), sessionIds, task);
  }

  /**
   * Restores a view after a window reload from the attempts its page saved. A state that does not parse, a view
   * already open, or a session that is gone (deleted since) closes the restored tab instead of showing an error page.
   */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const h = this.h();
    const saved = parseCompareSavedState(state);
    if (!saved.ok || this.views.has(saved.value.sessionIds.join(','))) {
      if (!saved.ok) h.log.warn(`compare view not restored: ${saved.error}`);
      panel.dispose();
      return;
    }
    try {
      await Promise.all(saved.value.sessionIds.map((id) => h.host.client.retrieveSession(id)));
    } catch (err) {
      h.log.warn(`compare view not restored: ${err instanceof Error ? err.message : String(err)}`);
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(h.context.extensionUri);
    this.adopt(panel, saved.value.sessionIds, saved.value.task);
  }

  private adopt(panel: vscode.WebviewPanel, sessionIds: readonly string[], task: string): CompareView {
    const key = sessionIds.join(',');
    const view = new CompareView(this.h(), panel, sessionIds, task, () => this.views.delete(key));
    this.views.set(key, view);
    return view;
  }

  /** The open view that shows this session, if any. */
  find(sessionId: string): CompareView | undefined {
    return [...this.views.values()].find((v) => v.sessionIds.includes(sessionId));
  }

  dispose(): void {
    for (const v of [...this.views.values()]) v.panel.dispose();
  }
}

export class CompareView {
  /** The attempts as last sent to the page (tests read them). */
  shown: CompareAttempt[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly h: Hangar,
    readonly panel: vscode.WebviewPanel,
    readonly sessionIds: readonly string[],
    private readonly task: string,
    onDispose: () => void,
  ) {
    panel.webview.html = panelHtml(this.panel.webview, h.context.extensionUri, `Compare: ${task}`, { script: 'compare.js', style: 'compare.css' });
    const mine = (id: string) => sessionIds.includes(id);
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((raw: unknown) => void this.handle(raw)),
      h.sessions.onEvent(({ sessionId }) => mine(sessionId) && this.soon()),
      h.reviews.onDidChange((sessionId) => mine(sessionId) && this.soon()),
      this.panel.onDidDispose(() => {
        clearTimeout(this.timer);
        this.disposables.forEach((d) => d.dispose());
        onDispose();
      }),
    );
  }

  /**
   * Acts on one message from the page (validated first; a bad one is logged and ignored). Resolves with what the
   * command it ran returned: the review's ActionResult for accept.
   */
  async handle(raw: unknown): Promise<unknown> {
    const parsed = parseCompareWebviewMessage(raw);
    if (!parsed.ok) {
      this.h.log.warn(`compare view: ${parsed.error}`);
      return undefined;
    }
    const msg = parsed.value;
    if (msg.type !== 'ready' && !this.sessionIds.includes(msg.sessionId)) {
      this.h.log.warn(`compare view: ${msg.type} names session ${msg.sessionId}, which this view does not compare`);
      return undefined;
    }
    switch (msg.type) {
      case 'ready':
        return this.refresh();
      case 'accept':
        return vscode.commands.executeCommand('hangar.applyAll', { sessionId: msg.sessionId });
      case 'review':
        return vscode.commands.executeCommand('hangar.reviewChanges', { sessionId: msg.sessionId });
      case 'open':
        return vscode.commands.executeCommand('hangar.openSession', { sessionId: msg.sessionId });
    }
  }

  /** Reads every attempt again and sends them to the page; refreshes run one after another. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.send()).catch((err: unknown) => this.h.log.error(`compare view: ${err instanceof Error ? err.message : String(err)}`));
    return this.refreshing;
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  private async send(): Promise<void> {
    const rows = await this.h.host.client.bestOf.compare(this.sessionIds);
    const reviews = await Promise.all(this.sessionIds.map(async (id) => countByStatus(await this.h.reviews.files(id))));
    this.shown = rows.map((row, k) => ({ ...row, review: reviews[k]! }));
    const message: CompareHostMessage = { type: 'attempts', task: this.task, attempts: this.shown };
    await this.panel.webview.postMessage(message);
  }
}
