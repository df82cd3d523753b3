import * as vscode from 'vscode';
import type { RuntimeHost } from '../runtime-host';
import type { SessionsModel } from '../sessions-model';
import { notificationText, pendingPrompts, type PendingPrompt } from './pending-prompts';

// Questions a session waits on must not go unseen when its panel is not in view (issue #12 §5): one VS Code
// notification per waiting prompt (never repeated; closed as soon as the prompt is answered anywhere), with Allow,
// Allow for this session and Deny, and the number of waiting prompts as a badge on the Hangar view.
//
// The notification is a progress notification because it is the only kind an extension can close: a message
// notification stays until the user dismisses it, which would leave a stale question behind an answer given in the
// panel. Its actions are command links in the message (VS Code renders links in every notification).

export interface ApprovalDeps {
  host: RuntimeHost;
  sessions: SessionsModel;
  /** True when the session's panel is visible (the panel shows the prompt itself). */
  panelVisible(sessionId: string): boolean;
}

export class ApprovalNotifier implements vscode.Disposable {
  private readonly prompts = new Map<string, PendingPrompt[]>();
  /** Open notifications by tool use id: closing resolves the notification's task. */
  private readonly open = new Map<string, () => void>();
  /** Every prompt a notification was raised for (or skipped because the panel showed it): one per prompt. */
  private readonly seen = new Set<string>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** The waiting prompts changed (after notifications and the badge were brought up to date). */
  readonly onDidChange = this.changed.event;
  /** The notifications raised so far, oldest first (tests read them). */
  readonly raised: { toolUseId: string; message: string }[] = [];
  /** The Hangar sessions view, badged with the number of waiting prompts (made after the runtime started). */
  private view: Pick<vscode.TreeView<unknown>, 'badge'> | undefined;

  constructor(private readonly deps: ApprovalDeps) {
    this.disposables.push(deps.sessions.onDidChange((id) => void this.refresh(id)), this.changed);
  }

  attachView(view: Pick<vscode.TreeView<unknown>, 'badge'>): void {
    this.view = view;
    this.updateBadge();
  }

  /** Every waiting prompt, oldest session first. */
  all(): PendingPrompt[] {
    return [...this.prompts.values()].flat();
  }

  /** The prompt a tool use id names, while it waits. */
  find(sessionId: string, toolUseId: string): PendingPrompt | undefined {
    return this.prompts.get(sessionId)?.find((p) => p.toolUseId === toolUseId);
  }

  /** Brings one session (or, without an id, every listed one) up to date. */
  async refresh(sessionId?: string): Promise<void> {
    if (sessionId) return this.queue(sessionId);
    const views = await this.deps.sessions.list().catch(() => []);
    await Promise.all(views.filter((v) => v.needsAction || this.prompts.has(v.id)).map((v) => this.queue(v.id)));
  }

  /** Refreshes of one session run one after another, so an older read never overwrites a newer one. */
  private queue(sessionId: string): Promise<void> {
    const next = (this.queues.get(sessionId) ?? Promise.resolve()).then(() => this.refreshOne(sessionId)).catch(() => undefined);
    this.queues.set(sessionId, next);
    return next;
  }

  private async refreshOne(sessionId: string): Promise<void> {
    const view = await this.deps.sessions.view(sessionId).catch(() => undefined);
    const prompts = view?.needsAction ? await pendingPrompts(this.deps.host.client, sessionId) : [];
    const ids = new Set(prompts.map((p) => p.toolUseId));
    for (const old of this.prompts.get(sessionId) ?? []) if (!ids.has(old.toolUseId)) this.close(old.toolUseId);
    if (prompts.length > 0) this.prompts.set(sessionId, prompts);
    else this.prompts.delete(sessionId);
    for (const p of prompts) {
      if (this.seen.has(p.toolUseId)) continue;
      this.seen.add(p.toolUseId);
      if (!this.deps.panelVisible(sessionId)) this.notify(p, view?.title ?? sessionId);
    }
    this.updateBadge();
    this.changed.fire();
  }

  private notify(p: PendingPrompt, title: string): void {
    const message = notificationText(p, title);
    this.raised.push({ toolUseId: p.toolUseId, message });
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Hangar', cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        progress.report({ message });
        this.open.set(p.toolUseId, resolve);
        // Cancel only closes the notification; the question still waits in the panel, the tree and the badge.
        token.onCancellationRequested(() => resolve());
      }).finally(() => this.open.delete(p.toolUseId)),
    );
  }

  /** Closes the notification of a prompt (it was answered, here or anywhere else). */
  close(toolUseId: string): void {
    this.open.get(toolUseId)?.();
  }

  /** The badge on the Hangar view (tests read it). */
  get badge(): vscode.ViewBadge | undefined {
    return this.view?.badge;
  }

  /** True while a notification for the prompt is open (tests read it). */
  isOpen(toolUseId: string): boolean {
    return this.open.has(toolUseId);
  }

  private updateBadge(): void {
    if (!this.view) return;
    const n = this.all().length;
    // Set only when it changes: each set is a message to the workbench, and every session's refresh comes here.
    if ((this.view.badge?.value ?? 0) === n) return;
    this.view.badge = n > 0 ? { value: n, tooltip: n === 1 ? '1 question waits for you' : `${n} questions wait for you` } : undefined;
  }

  dispose(): void {
    for (const close of this.open.values()) close();
    this.disposables.forEach((d) => d.dispose());
  }
}
