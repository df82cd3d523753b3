import * as vscode from 'vscode';
import type { ReviewManager } from './review-manager';
import { isReviewSide, parseSandboxUri, SANDBOX_SCHEME } from './sandbox-content';

// "Accept hunk | Reject hunk" above each hunk in the sandbox side of a review diff (the diff's right editor).

export class HunkCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly reviews: ReviewManager) {
    this.subscription = reviews.onDidChange(() => this.changed.fire());
  }

  static register(reviews: ReviewManager): vscode.Disposable {
    const provider = new HunkCodeLensProvider(reviews);
    return vscode.Disposable.from(provider, vscode.languages.registerCodeLensProvider({ scheme: SANDBOX_SCHEME }, provider));
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const target = parseSandboxUri(doc.uri);
    if (!target || !isReviewSide(target.side)) return [];
    const file = await this.reviews.file(target.sessionId, target.path).catch(() => undefined);
    if (!file) return [];
    const lenses: vscode.CodeLens[] = [];
    const ref = { sessionId: target.sessionId, path: file.path };
    for (const h of file.hunks) {
      const line = Math.min(h.newStart, Math.max(0, doc.lineCount - 1));
      const range = new vscode.Range(line, 0, line, 0);
      const args = [{ ...ref, hunkId: h.id }];
      const label = file.perHunk ? `hunk ${h.index + 1}/${file.hunks.length}` : 'whole file';
      if (h.status === 'pending') {
        lenses.push(new vscode.CodeLens(range, { title: `$(check) Accept ${label}`, command: 'hangar.acceptHunk', arguments: args }));
        lenses.push(new vscode.CodeLens(range, { title: `$(close) Reject ${label}`, command: 'hangar.rejectHunk', arguments: args }));
      } else {
        const title = h.status === 'accepted' ? `$(pass-filled) Accepted ${label} (Undo in the file takes it back)` : `$(circle-slash) Rejected ${label}`;
        lenses.push(new vscode.CodeLens(range, { title, command: 'hangar.resetHunk', arguments: args, tooltip: 'Mark this hunk pending again' }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
