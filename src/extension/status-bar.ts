import * as vscode from 'vscode';
import { formatCost } from '../format/cost';
import type { SessionsModel, SessionView } from './sessions-model';

// "$(sync~spin) Hangar: 2 running" in the status bar while sessions run or wait for approval; clicking opens the
// session (a pick when there are several). Hidden when nothing is going on.
// Kept current from the sessions' changes without listing them again for each: a change of one session re-reads that
// session (when it is announced, so the read is shared with the tree's), a change of the list re-lists. Listing on
// every change cost the extension host a full listing per session per repaint, 20 sessions' views 130 times a second
// with 20 running (test/bench/extension-host.bench.ts).

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('hangar.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;
  private readonly views = new Map<string, SessionView>();
  /** Reads run one after another, so an older read never overwrites a newer one. */
  private reads: Promise<void> = Promise.resolve();
  /** Reads not applied yet: the item is painted once the last of an announcement's reads is in. */
  private queued = 0;
  /** What the item shows, null while hidden (tests read it). */
  shown: string | null = null;

  constructor(private readonly sessions: SessionsModel) {
    this.item.name = 'Hangar sessions';
    this.subscription = sessions.onDidChange((id) => void this.read(id));
  }

  /** Lists the sessions again and repaints (at start, and when a caller needs the item current now). */
  update(): Promise<void> {
    return this.read(undefined);
  }

  /** Re-reads one session, or (no id) lists them all, then repaints. The read starts now, to share the tree's. */
  private read(id: string | undefined): Promise<void> {
    const read = id === undefined ? this.sessions.list().catch(() => []) : this.sessions.view(id).then((v) => [v], () => []);
    this.queued += 1;
    this.reads = this.reads.then(async () => {
      const views = await read;
      if (id === undefined) this.views.clear();
      else this.views.delete(id);
      for (const v of views) this.views.set(v.id, v);
      if (--this.queued === 0) this.paint([...this.views.values()]);
    });
    return this.reads;
  }

  private paint(views: readonly SessionView[]): void {
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
