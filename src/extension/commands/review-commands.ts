import * as vscode from 'vscode';
import { naturalSort } from '../../format/natural';
import { countByStatus } from '../../review/session-review';
import type { Hangar } from '../hangar';
import type { ActionResult } from '../review/review-actions';
import { openChange } from '../review/open-diff';
import { activeReview, revealHunk, sandboxEditor, stepTarget, type Step } from '../review/review-editor';
import { fileOf, guarded, hunkOf, resolveSession } from './args';

// Review commands: open a changed file's diff, move between pending hunks, accept/reject a hunk, a file, or
// everything. Accepting or rejecting from the review editor (keyboard, title button: no hunk named) moves on to the
// file's next pending hunk. `hangar.review.acceptHunk`/`rejectHunk`/`nextHunk` are the same commands without an icon
// or a keybinding, so the editor title shows them as buttons labelled with their title alone.

export function registerReviewCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  const needFile = (arg: unknown) => {
    const f = fileOf(arg);
    if (!f) throw new Error('Run this from a changed file in the Hangar sidebar or a Hangar review diff.');
    return f;
  };
  const needHunk = async (arg: unknown) => {
    const target = await hunkOf(h, arg);
    if (!target) throw new Error('Run this in a Hangar review diff (the hunk under the cursor), from a hunk in the Hangar sidebar, or with {sessionId, path, hunk}.');
    return target;
  };
  /** Goes to the next/previous pending hunk of the active review, opening the next file's diff past this file's last. */
  const step = async (direction: Step): Promise<{ path: string; hunk: number } | undefined> => {
    const review = activeReview();
    if (!review) throw new Error('Open a Hangar review diff first (a changed file in the Hangar sidebar).');
    const line = sandboxEditor(review.sessionId, review.path)?.selection.active.line ?? (direction === 1 ? -1 : Number.MAX_SAFE_INTEGER);
    const target = stepTarget(await h.reviews.files(review.sessionId), review.path, line, direction);
    if (!target) {
      void vscode.window.showInformationMessage('Hangar: every hunk of this session is decided. Apply All or Discard from the Sessions view when you are done.');
      return undefined;
    }
    const editor = target.path === review.path ? sandboxEditor(review.sessionId, review.path) : undefined;
    if (editor) revealHunk(editor, target.hunk);
    else await openChange(h, review.sessionId, target.path, target.hunk.id);
    return { path: target.path, hunk: target.hunk.index + 1 };
  };
  /** After a decision in the review editor: the file's next pending hunk, if it has one. */
  const moveOn = async (t: { sessionId: string; path: string }) => {
    const editor = sandboxEditor(t.sessionId, t.path);
    const file = await h.reviews.file(t.sessionId, t.path).catch(() => undefined);
    if (!editor || !file) return;
    const target = stepTarget([file], t.path, editor.selection.active.line, 1);
    if (target?.path === t.path) revealHunk(editor, target.hunk);
  };
  return [
    reg('hangar.openChange', async (arg) => {
      const f = needFile(arg);
      const hunk = await hunkOf(h, arg).catch(() => undefined);
      await openChange(h, f.sessionId, f.path, hunk?.hunkId);
      return f;
    }),
    reg('hangar.reviewChanges', async (arg) => {
      const id = await resolveSession(h, arg, 'Review the changes of which session?');
      if (!id) return undefined;
      const files = await h.reviews.files(id);
      if (files.length === 0) {
        void vscode.window.showInformationMessage('Hangar: this session has not changed any files.');
        return id;
      }
      const pick = files.length === 1 ? { path: files[0]!.path } : await vscode.window.showQuickPick(
        naturalSort(files, (f) => f.path).map((f) => ({ label: f.path, description: `${f.change.status} · ${f.hunks.filter((x) => x.status === 'pending').length}/${f.hunks.length} pending`, path: f.path })),
        { placeHolder: 'Open which changed file?' },
      );
      if (pick) await openChange(h, id, pick.path);
      return id;
    }),
    ...['hangar.acceptHunk', 'hangar.review.acceptHunk'].map((id) =>
      reg(id, async (arg) => {
        const t = await needHunk(arg);
        const result = report(await h.actions.accept(t.sessionId, t.path, [t.hunkId]));
        if (fromEditor(arg)) await moveOn(t);
        return result;
      }),
    ),
    ...['hangar.rejectHunk', 'hangar.review.rejectHunk'].map((id) =>
      reg(id, async (arg) => {
        const t = await needHunk(arg);
        const result = report(await h.actions.reject(t.sessionId, t.path, [t.hunkId]));
        if (fromEditor(arg)) await moveOn(t);
        return result;
      }),
    ),
    ...['hangar.nextHunk', 'hangar.review.nextHunk'].map((id) => reg(id, () => step(1))),
    reg('hangar.previousHunk', () => step(-1)),
    reg('hangar.resetHunk', async (arg) => {
      const t = await needHunk(arg);
      return h.actions.reset(t.sessionId, t.path, [t.hunkId]);
    }),
    reg('hangar.acceptFile', async (arg) => {
      const f = needFile(arg);
      return report(await h.actions.accept(f.sessionId, f.path));
    }),
    reg('hangar.rejectFile', async (arg) => {
      const f = needFile(arg);
      return report(await h.actions.reject(f.sessionId, f.path));
    }),
    reg('hangar.applyAll', async (arg) => {
      const id = await resolveSession(h, arg, 'Apply the changes of which session?');
      if (!id) return undefined;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Hangar: applying changes' }, () => h.actions.acceptAll(id));
      return report(result, true);
    }),
    reg('hangar.discardChanges', async (arg) => {
      const id = await resolveSession(h, arg, 'Discard the changes of which session?');
      if (!id) return undefined;
      const pending = countByStatus(await h.reviews.files(id)).pending;
      if (pending === 0) return report({ accepted: 0, rejected: 0, conflicts: [] }, true);
      const confirmed = (arg as { confirmed?: unknown } | undefined)?.confirmed === true
        || (await vscode.window.showWarningMessage(`Reject all ${pending} pending hunk(s)?`, { modal: true, detail: 'Nothing is written to the workspace. The sandbox copy is kept, so you can reconsider a hunk later.' }, 'Reject All')) === 'Reject All';
      return confirmed ? report(await h.actions.rejectAll(id), true) : undefined;
    }),
  ];
}

/** Run from the review editor (the keyboard passes nothing, an editor title button the document's URI), not for a named hunk. */
function fromEditor(arg: unknown): boolean {
  return arg === undefined || arg instanceof vscode.Uri;
}

/** Tells the user what happened, conflicts first; returns the result for callers (and tests). */
function report(result: ActionResult, summarize = false): ActionResult {
  if (result.conflicts.length > 0) {
    const [first] = result.conflicts;
    const more = result.conflicts.length > 1 ? ` (and ${result.conflicts.length - 1} more)` : '';
    void vscode.window.showWarningMessage(
      `Hangar did not apply hunk ${first!.hunk} of ${first!.path}${more}: ${first!.reason}. Nothing was overwritten; the hunk stays pending — edit the file or reject the hunk.`,
    );
  } else if (summarize) {
    void vscode.window.showInformationMessage(`Hangar: ${result.accepted} hunk(s) applied, ${result.rejected} rejected.`);
  }
  return result;
}
