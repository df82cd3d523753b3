import * as vscode from 'vscode';
import { countByStatus } from '../../review/session-review';
import type { Hangar } from '../hangar';
import type { ActionResult } from '../review/review-actions';
import { openChange, offerDiffCodeLens } from '../review/open-diff';
import { fileOf, guarded, hunkOf, resolveSession } from './args';

// Review commands: open a changed file's diff, accept/reject a hunk, a file, or everything.

export function registerReviewCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  const needFile = (arg: unknown) => {
    const f = fileOf(arg);
    if (!f) throw new Error('Run this from a changed file in the Hangar sidebar or a Hangar review diff.');
    return f;
  };
  const needHunk = async (arg: unknown) => {
    const target = await hunkOf(h, arg);
    if (!target) throw new Error('Run this from a hunk in the Hangar sidebar, a CodeLens above it, or with {sessionId, path, hunk}.');
    return target;
  };
  return [
    reg('hangar.openChange', async (arg) => {
      const f = needFile(arg);
      const hunk = await hunkOf(h, arg).catch(() => undefined);
      await openChange(h, f.sessionId, f.path, hunk?.hunkId);
      void offerDiffCodeLens();
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
        files.map((f) => ({ label: f.path, description: `${f.change.status} · ${f.hunks.filter((x) => x.status === 'pending').length}/${f.hunks.length} pending`, path: f.path })),
        { placeHolder: 'Open which changed file?' },
      );
      if (pick) await openChange(h, id, pick.path);
      void offerDiffCodeLens();
      return id;
    }),
    reg('hangar.acceptHunk', async (arg) => {
      const t = await needHunk(arg);
      return report(await h.actions.accept(t.sessionId, t.path, [t.hunkId]));
    }),
    reg('hangar.rejectHunk', async (arg) => {
      const t = await needHunk(arg);
      return report(await h.actions.reject(t.sessionId, t.path, [t.hunkId]));
    }),
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
