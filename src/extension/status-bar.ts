import * as vscode from 'vscode';
import { formatCost } from '../format/cost';
import type { SessionsModel } from './sessions-model';

// "$(sync~spin) Hangar: 2 running" in the status bar while sessions run or wait for approval; clicking opens the
// session (a pick when there are several). Hidden when nothing is going on.

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('hangar.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;
  /** What the item shows, null while hidden (tests read it). */
  shown: string | null = null;

  constructor(private readonly sessions: SessionsModel) {
    this.item.name = 'Hangar sessions';
    this.subscription = sessions.onDidChange(() => void this.update());
  }

  async update(): Promise<void> {
    const views = await this.sessions.list().catch(() => []);
    const running = views.filter((v) => v.status === 'running' || v.status === 'rescheduling');
    const waiting = views.filter((v) => v.needsAction);
    const active = [...waiting, ...running];
    if (active.length === 0) {
      this.item.hide();
      this.shown = null;
      return;
    }
    const parts = [running.length > 0 ? `${running.length} running` : '', waiting.length > 0 ? `${waiting.length} waiting for you` : ''].filter(Boolean);
    this.item.text = `${waiting.length > 0 ? '$(bell-dot)' : '$(sync~spin)'} Hangar: ${parts.join(', ')}`;
    this.item.tooltip = active.map((v) => `${v.title} — ${v.needsAction ? 'waiting for you' : v.status === 'rescheduling' ? 'retrying' : v.status} · ${formatCost(v.costCents, v.costEstimated)}`).join('\n');
    this.item.command = active.length === 1 ? { command: 'hangar.openSession', title: 'Open Session', arguments: [{ sessionId: active[0]!.id }] } : 'hangar.openSession';
    this.item.show();
    this.shown = this.item.text;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
