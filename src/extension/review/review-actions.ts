import * as vscode from 'vscode';
import { applyChanges } from '../../review/apply';
import { mergeHunk, minimalEdit } from '../../review/merge';
import type { ReviewedFile, ReviewedHunk } from '../../review/session-review';
import type { Decision } from '../../review/state';
import type { ReviewManager } from './review-manager';

// Accepting and rejecting hunks. An accepted hunk reaches the workspace as one WorkspaceEdit on the file's document
// (so Undo takes it back), merged three-way when the file moved since the sandbox copy; a conflicting hunk is not
// written and stays pending. Files that are not reviewable text (binary, renamed, mode changes) are accepted whole,
// and only while the workspace file still equals the sandbox's baseline.

export interface Conflict {
  path: string;
  /** 1-based, as shown to the user. */
  hunk: number;
  reason: string;
}

export interface ActionResult {
  accepted: number;
  rejected: number;
  conflicts: Conflict[];
}

const none = (): ActionResult => ({ accepted: 0, rejected: 0, conflicts: [] });

export class ReviewActions {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly reviews: ReviewManager) {}

  /** Accepts the given pending hunks of a file (all pending ones when `hunkIds` is omitted). */
  accept(sessionId: string, path: string, hunkIds?: readonly string[]): Promise<ActionResult> {
    return this.serial(sessionId, () => this.acceptIn(sessionId, path, hunkIds));
  }

  reject(sessionId: string, path: string, hunkIds?: readonly string[]): Promise<ActionResult> {
    return this.serial(sessionId, () => this.decideIn(sessionId, path, hunkIds, 'rejected'));
  }

  /** Puts a decided hunk back to pending (an accepted hunk's edit is taken back with Undo in its file). */
  reset(sessionId: string, path: string, hunkIds: readonly string[]): Promise<ActionResult> {
    return this.serial(sessionId, () => this.decideIn(sessionId, path, hunkIds, null));
  }

  acceptAll(sessionId: string): Promise<ActionResult> {
    return this.serial(sessionId, () => this.eachFile(sessionId, (f) => this.acceptIn(sessionId, f.path)));
  }

  rejectAll(sessionId: string): Promise<ActionResult> {
    return this.serial(sessionId, () => this.eachFile(sessionId, (f) => this.decideIn(sessionId, f.path, undefined, 'rejected')));
  }

  private async eachFile(sessionId: string, run: (f: ReviewedFile) => Promise<ActionResult>): Promise<ActionResult> {
    const total = none();
    for (const f of await this.reviews.files(sessionId)) {
      if (!f.hunks.some((h) => h.status === 'pending')) continue;
      const r = await run(f);
      total.accepted += r.accepted;
      total.rejected += r.rejected;
      total.conflicts.push(...r.conflicts);
    }
    return total;
  }

  private async acceptIn(sessionId: string, path: string, hunkIds?: readonly string[]): Promise<ActionResult> {
    const file = await this.reviews.file(sessionId, path);
    const targets = pendingOf(file, hunkIds);
    if (targets.length === 0) return none();
    const result = file.perHunk ? await this.mergeIntoWorkspace(sessionId, file, targets) : await this.applyWhole(sessionId, file);
    const review = await this.reviews.review(sessionId);
    for (const h of result.done) await review.decide(file, h.id, 'accepted');
    this.reviews.touch(sessionId);
    return { accepted: result.done.length, rejected: 0, conflicts: result.conflicts };
  }

  private async mergeIntoWorkspace(sessionId: string, file: ReviewedFile, hunks: ReviewedHunk[]): Promise<{ done: ReviewedHunk[]; conflicts: Conflict[] }> {
    const uri = await this.reviews.workspaceUri(sessionId, file.path);
    const doc = await openIfExists(uri);
    const before = doc ? doc.getText() : null;
    let text = before;
    const done: ReviewedHunk[] = [];
    const conflicts: Conflict[] = [];
    for (const h of hunks) {
      const merged = mergeHunk(file.baseline, text, h);
      if (merged.ok) {
        text = merged.text;
        done.push(h);
      } else conflicts.push({ path: file.path, hunk: h.index + 1, reason: merged.reason });
    }
    if (done.length === 0 || text === null) return { done, conflicts };
    const edit = new vscode.WorkspaceEdit();
    if (file.current === null && text === '') edit.deleteFile(uri, { ignoreIfNotExists: true });
    else if (!doc || before === null) edit.createFile(uri, { contents: Buffer.from(text, 'utf8') });
    else {
      const span = minimalEdit(before, text);
      if (span) edit.replace(uri, new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end)), span.text);
    }
    const wasDirty = doc?.isDirty ?? false;
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit to ${file.path}; nothing was changed.`);
    // Saved unless the user had unsaved edits of their own in it: those stay theirs to save. VS Code closes a document
    // no editor shows (an extension's open lasts minutes): the edit then opened it again, and that document is saved.
    const edited = doc && !wasDirty && file.current !== null ? openDocument(uri) : undefined;
    if (edited?.isDirty) await edited.save();
    return { done, conflicts };
  }

  private async applyWhole(sessionId: string, file: ReviewedFile): Promise<{ done: ReviewedHunk[]; conflicts: Conflict[] }> {
    const repo = await this.reviews.repo(sessionId);
    const r = await applyChanges(repo, { patch: '', files: [file.change] }, this.reviews.reader(sessionId));
    return {
      done: r.applied.length > 0 ? file.hunks : [],
      conflicts: r.conflicts.map((c) => ({ path: c.path, hunk: 1, reason: c.reason })),
    };
  }

  private async decideIn(sessionId: string, path: string, hunkIds: readonly string[] | undefined, decision: Decision | null): Promise<ActionResult> {
    const file = await this.reviews.file(sessionId, path);
    const review = await this.reviews.review(sessionId);
    const targets = decision === null ? file.hunks.filter((h) => h.status !== 'pending' && hunkIds?.includes(h.id)) : pendingOf(file, hunkIds);
    for (const h of targets) await review.decide(file, h.id, decision);
    this.reviews.touch(sessionId);
    return { accepted: 0, rejected: decision === 'rejected' ? targets.length : 0, conflicts: [] };
  }

  private serial<T>(sessionId: string, run: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(sessionId) ?? Promise.resolve()).catch(() => undefined).then(run);
    this.queues.set(sessionId, next);
    return next;
  }
}

function pendingOf(file: ReviewedFile, hunkIds?: readonly string[]): ReviewedHunk[] {
  return file.hunks.filter((h) => h.status === 'pending' && (!hunkIds || hunkIds.includes(h.id)));
}

function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => !d.isClosed && d.uri.toString() === uri.toString());
}

async function openIfExists(uri: vscode.Uri): Promise<vscode.TextDocument | null> {
  const open = openDocument(uri);
  if (open) return open;
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    return null;
  }
  return vscode.workspace.openTextDocument(uri);
}
