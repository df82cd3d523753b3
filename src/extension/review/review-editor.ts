import * as vscode from 'vscode';
import { naturalSort } from '../../format/natural';
import type { ReviewedFile, ReviewedHunk } from '../../review/session-review';
import type { ReviewManager } from './review-manager';
import { isReviewSide, parseSandboxUri } from './sandbox-content';

// The review in the active editor group: a review diff (workspace file ↔ sandbox copy), a new file's sandbox copy
// alone or a deleted file's old content alone. Commands run from the keyboard or the editor title act on it, whichever side of the diff has focus, and
// move between its hunks. The context keys `hangar.reviewEditor` and `hangar.reviewPending` (the file still has
// hunks to decide) drive the keybindings and the title buttons.

export interface ReviewTarget {
  sessionId: string;
  path: string;
  uri: vscode.Uri;
}

/** The Hangar review shown in the active editor group, if any. */
export function activeReview(): ReviewTarget | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputTextDiff ? input.modified : input instanceof vscode.TabInputText ? input.uri : undefined;
  const parsed = uri ? parseSandboxUri(uri) : null;
  return uri && parsed && isReviewSide(parsed.side) ? { sessionId: parsed.sessionId, path: parsed.path, uri } : undefined;
}

/** The editor showing a file's review document (the sandbox copy, the right side of its review diff), if visible. */
export function sandboxEditor(sessionId: string, path: string): vscode.TextEditor | undefined {
  const shows = (e: vscode.TextEditor) => {
    const p = parseSandboxUri(e.document.uri);
    return p !== null && p.sessionId === sessionId && p.path === path && isReviewSide(p.side);
  };
  const active = vscode.window.activeTextEditor;
  if (active && shows(active)) return active;
  return vscode.window.visibleTextEditors.find(shows);
}

/** The line a hunk is shown at in the sandbox copy (0-based). */
export function hunkLine(h: ReviewedHunk, lineCount: number): number {
  return Math.max(0, Math.min(h.newStart, lineCount - 1));
}

/** The hunk whose lines hold `line` in the sandbox copy. */
export function hunkAt(file: ReviewedFile, line: number): ReviewedHunk | undefined {
  return file.hunks.find((x) => line >= x.newStart && line < x.newStart + Math.max(1, x.added.length));
}

export function revealHunk(editor: vscode.TextEditor, h: ReviewedHunk): void {
  const line = hunkLine(h, editor.document.lineCount);
  editor.selection = new vscode.Selection(line, 0, line, 0);
  editor.revealRange(new vscode.Range(line, 0, line + Math.max(0, h.added.length - 1), 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export type Step = 1 | -1;

/** Where "next/previous hunk" goes: a pending hunk of this file past the cursor, else of the next file with any. */
export interface StepTarget {
  path: string;
  hunk: ReviewedHunk;
}

export function stepTarget(files: readonly ReviewedFile[], path: string, line: number, step: Step): StepTarget | undefined {
  const pending = (f: ReviewedFile) => f.hunks.filter((h) => h.status === 'pending');
  const here = files.find((f) => f.path === path);
  const mine = here ? pending(here) : [];
  const inFile = step === 1 ? mine.find((h) => h.newStart > line) : mine.findLast((h) => h.newStart < line);
  if (inFile) return { path, hunk: inFile };
  const ordered = naturalSort(files, (f) => f.path);
  const at = ordered.findIndex((f) => f.path === path);
  for (let i = 1; i <= ordered.length; i++) {
    const f = ordered[(((at + step * i) % ordered.length) + ordered.length) % ordered.length]!;
    const hunks = pending(f);
    const hunk = step === 1 ? hunks[0] : hunks.at(-1);
    if (hunk) return { path: f.path, hunk };
  }
  return undefined;
}

/** Keeps the context keys in step with the active editor and the review's decisions. */
export class ReviewContext implements vscode.Disposable {
  /** The values last set (tests read them: VS Code has no API to read a context key back). */
  readonly keys = { reviewEditor: false, reviewPending: false };
  private readonly disposables: vscode.Disposable[];
  private generation = 0;

  constructor(private readonly reviews: ReviewManager) {
    const update = () => void this.update();
    this.disposables = [
      vscode.window.tabGroups.onDidChangeTabs(update),
      vscode.window.tabGroups.onDidChangeTabGroups(update),
      vscode.window.onDidChangeActiveTextEditor(update),
      reviews.onDidChange(update),
    ];
    update();
  }

  private async update(): Promise<void> {
    const generation = ++this.generation;
    const target = activeReview();
    const file = target ? await this.reviews.file(target.sessionId, target.path).catch(() => undefined) : undefined;
    if (generation !== this.generation) return;
    const keys = { reviewEditor: target !== undefined, reviewPending: file?.hunks.some((h) => h.status === 'pending') ?? false };
    await vscode.commands.executeCommand('setContext', 'hangar.reviewEditor', keys.reviewEditor);
    await vscode.commands.executeCommand('setContext', 'hangar.reviewPending', keys.reviewPending);
    Object.assign(this.keys, keys);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
