import * as vscode from 'vscode';
import type { PendingReview } from './session-items';

// The number of files a session still has to review, as a badge at the right end of its row in the Sessions view
// (a file decoration on the row's `hangar-session:` URI): unlike the description, a narrow sidebar never cuts it off,
// and the row's label takes the "modified" colour.

const SCHEME = 'hangar-session';

export function sessionBadgeUri(sessionId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/${sessionId}` });
}

export class ReviewBadges implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly pending = new Map<string, PendingReview>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.changed.event;

  set(sessionId: string, review: PendingReview | undefined): void {
    if (review && review.hunks > 0) this.pending.set(sessionId, review);
    else if (!this.pending.delete(sessionId)) return;
    this.changed.fire([sessionBadgeUri(sessionId)]);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== SCHEME) return undefined;
    const review = this.pending.get(uri.path.slice(1));
    if (!review) return undefined;
    const words = `${review.files} file${review.files === 1 ? '' : 's'} to review`;
    return new vscode.FileDecoration(review.files > 99 ? '99' : String(review.files), words, new vscode.ThemeColor('gitDecoration.modifiedResourceForeground'));
  }

  register(): vscode.Disposable {
    return vscode.Disposable.from(vscode.window.registerFileDecorationProvider(this), this);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
