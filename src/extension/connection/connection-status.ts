import * as vscode from 'vscode';
import type { RuntimeHost } from '../runtime-host';

// Says which runtime a window uses when it is a detached one, and when that runtime stops answering: a status bar item
// ("$(plug) Hangar: runtime" while connected, a warning while it is gone) and one warning per loss. Reconnecting is
// the client's (polls and streams retry with backoff); nothing is lost meanwhile, the log is the runtime's.

export class ConnectionStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('hangar.runtime', vscode.StatusBarAlignment.Left, 49);
  private readonly subscriptions: vscode.Disposable[];
  private lost = false;
  /** What the item shows, null while hidden (tests read it). */
  shown: string | null = null;

  constructor(private readonly host: RuntimeHost) {
    this.item.name = 'Hangar runtime';
    this.item.command = { command: 'workbench.action.openSettings', title: 'Runtime Settings', arguments: ['hangar.runtime'] };
    this.subscriptions = [host.onDidStart(() => this.update()), host.onConnection(() => this.update())];
  }

  update(): void {
    if (!this.host.detached) {
      this.item.hide();
      this.shown = null;
      return;
    }
    const refusal = this.host.refusal;
    if (refusal !== undefined) {
      this.item.text = '$(error) Hangar: runtime not usable';
      this.item.tooltip = refusal;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.item.show();
      this.shown = this.item.text;
      return;
    }
    const state = this.host.connectionState;
    const where = this.host.client.where;
    if (state.up) {
      if (this.lost) void vscode.window.showInformationMessage(`Hangar: the runtime at ${where} answers again.`);
      this.lost = false;
      this.item.text = '$(plug) Hangar: detached runtime';
      this.item.tooltip = `Sessions run in the detached runtime at ${where} (setting hangar.runtime.url); they go on when this window closes.`;
      this.item.backgroundColor = undefined;
    } else {
      if (!this.lost) void vscode.window.showWarningMessage(`Hangar: lost the runtime at ${where}: ${state.reason} Reconnecting; nothing is lost (the session logs are the runtime's).`);
      this.lost = true;
      this.item.text = '$(debug-disconnect) Hangar: runtime gone, reconnecting';
      this.item.tooltip = `${state.reason}\nNext attempt in ${Math.ceil(state.retryInMs / 1000)} s.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
    this.item.show();
    this.shown = this.item.text;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
