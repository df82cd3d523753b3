import * as vscode from 'vscode';
import type { RuntimeHost, SessionProgress } from '../runtime-host';

// What the runtime says about long work on a session (cloning repositories, pulling or building an image) shows in the
// status bar while it lasts; a notice (the local sandbox's caveats: no isolation, what it does not apply) is a warning
// notification, once, so a user who picked or fell back to the local provider is told when the session starts.

const STATUS_MS = 8_000;

export class ProgressNotices implements vscode.Disposable {
  /** The notices shown so far, oldest first (tests read them). */
  readonly notices: SessionProgress[] = [];
  private status: vscode.Disposable | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(host: RuntimeHost, log: vscode.LogOutputChannel) {
    this.subscription = host.onProgress((p) => {
      log.info(`session ${p.sessionId}: ${p.message}`);
      if (p.notice) {
        this.notices.push(p);
        void vscode.window.showWarningMessage(`Hangar: ${p.message}`);
        return;
      }
      this.status?.dispose();
      this.status = vscode.window.setStatusBarMessage(`$(sync~spin) Hangar: ${p.message}`, STATUS_MS);
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.status?.dispose();
  }
}
