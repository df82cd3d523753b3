import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import type { ActionResult } from '../../../src/extension/review/review-actions';
import { REVIEW_FILE } from '../../../src/review/state';
import { ensureKey, hangar, scriptedModel, startAgent, waitFor, waitForIdle, workspaceDir } from './support';

const ORIGINAL = readLines(['export function add(a, b) {', '  return a - b;', '}', '', 'export function mul(a, b) {', '  return a + b;', '}', '', 'export function neg(a) {', '  return a;', '}']);
const FIXED = ORIGINAL.replace('return a - b;', 'return a + b;').replace('  return a;\n', '  return -a;\n');

function readLines(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export function reviewSuite(): void {
  describe('review: per-hunk accept and reject into the workspace', () => {
    let sessionId: string;
    let model: Awaited<ReturnType<typeof scriptedModel>>;
    const file = () => path.join(workspaceDir(), 'src/math.js');

    before(async () => {
      const h = await hangar();
      await ensureKey();
      writeFileSync(file(), ORIGINAL);
      model = await scriptedModel([
        reply.tool('write', { file_path: 'src/math.js', content: FIXED }),
        reply.tool('write', { file_path: 'src/extra.js', content: 'export const extra = 1;\n' }),
        reply.text('Fixed add and neg.'),
      ]);
      sessionId = await startAgent(h, 'Fix the math');
      await waitForIdle(h, sessionId, 1);
    });
    after(async () => {
      await model.close();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('lists the changed files with their hunks, all pending', async () => {
      const h = await hangar();
      const files = await h.reviews.files(sessionId);
      assert.deepEqual(files.map((f) => [f.path, f.hunks.length, f.hunks.every((x) => x.status === 'pending')]).sort(), [['src/extra.js', 1, true], ['src/math.js', 2, true]]);
    });

    it('opens the diff (workspace ↔ read-only sandbox document) titled by the file name, hunks labelled with their keys, review context keys set', async () => {
      const h = await hangar();
      await vscode.commands.executeCommand('hangar.openChange', { sessionId, path: 'src/math.js' });
      const right = await waitFor('the sandbox side of the diff', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'hangar-sandbox'));
      assert.equal(right.document.getText(), FIXED);
      assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === file()), 'the workspace file is the left side');
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputTextDiff);
      assert.equal(tab.label, 'math.js (Hangar review)');
      await waitFor('the review context keys', () => h.reviewContext.keys.reviewEditor && h.reviewContext.keys.reviewPending);
      const labels = await waitFor('the hunk labels', () => (h.reviewDecorations.shown.get(right.document.uri.toString())?.length ? h.reviewDecorations.shown.get(right.document.uri.toString()) : undefined));
      const keys = process.platform === 'darwin' ? '⌥⌘Y · Reject ⌥⌘N' : 'Ctrl+Alt+Y · Reject Ctrl+Alt+N';
      assert.deepEqual(labels, [`Hunk 1/2: Accept ${keys}`, `Hunk 2/2: Accept ${keys}`]);
      assert.equal(right.selection.active.line, 1, 'the diff opens on the first pending hunk');
    });

    it('binds the review keys, only in a focused Hangar review, to commands that exist', async () => {
      const pkg = vscode.extensions.getExtension('hangar-dev.hangar')!.packageJSON as { contributes: { keybindings: { command: string; key: string; when: string }[] } };
      const bound = pkg.contributes.keybindings.filter((k) => k.when.includes('hangar.reviewEditor'));
      assert.deepEqual(bound.map((k) => [k.command, k.key]), [['hangar.acceptHunk', 'ctrl+alt+y'], ['hangar.rejectHunk', 'ctrl+alt+n'], ['hangar.nextHunk', 'ctrl+alt+]'], ['hangar.previousHunk', 'ctrl+alt+[']]);
      const commands = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(bound.filter((k) => !commands.has(k.command) || !k.when.includes('editorFocus')), []);
    });

    it('CodeLenses (for those who turn on diffEditor.codeLens) offer Accept/Reject per hunk', async () => {
      const right = await waitFor('the sandbox side of the diff', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'hangar-sandbox'));
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', right.document.uri);
      const titles = lenses.map((l) => l.command?.title ?? '');
      assert.deepEqual(titles.filter((t) => /Accept|Reject/.test(t)), ['$(check) Accept hunk 1/2', '$(close) Reject hunk 1/2', '$(check) Accept hunk 2/2', '$(close) Reject hunk 2/2']);
      assert.deepEqual(lenses.map((l) => l.range.start.line).filter((_, i) => i % 2 === 0), [1, 9]);
    });

    it('next/previous hunk walk the pending hunks across files; a new file opens alone, not against an empty line', async () => {
      const h = await hangar();
      const step = (id: string) => vscode.commands.executeCommand<{ path: string; hunk: number } | undefined>(id);
      assert.deepEqual(await step('hangar.nextHunk'), { path: 'src/math.js', hunk: 2 });
      assert.deepEqual(await step('hangar.nextHunk'), { path: 'src/extra.js', hunk: 1 });
      const tab = await waitFor('the new file in the active tab', () => {
        const t = vscode.window.tabGroups.activeTabGroup.activeTab;
        return t?.input instanceof vscode.TabInputText && t.input.uri.path === '/src/extra.js' ? t : undefined;
      });
      assert.equal((tab.input as vscode.TabInputText).uri.scheme, 'hangar-sandbox', 'the sandbox copy alone: no diff against an empty document');
      await waitFor('the new file to be the active review', () => h.reviewContext.keys.reviewEditor && h.reviewContext.keys.reviewPending);
      assert.deepEqual(await step('hangar.previousHunk'), { path: 'src/math.js', hunk: 2 });
      assert.deepEqual(await step('hangar.previousHunk'), { path: 'src/math.js', hunk: 1 });
      const right = await waitFor('the diff back', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.path === '/src/math.js' && e.document.uri.scheme === 'hangar-sandbox'));
      assert.equal(right.selection.active.line, 1, 'the cursor is on hunk 1');
    });

    it('accepting hunk 1 and rejecting hunk 2 from the keyboard (no argument: the hunk at the cursor) writes only hunk 1, as an undoable edit', async () => {
      const h = await hangar();
      const accepted = await vscode.commands.executeCommand<ActionResult>('hangar.acceptHunk');
      assert.deepEqual(accepted, { accepted: 1, rejected: 0, conflicts: [] });
      const right = vscode.window.visibleTextEditors.find((e) => e.document.uri.path === '/src/math.js' && e.document.uri.scheme === 'hangar-sandbox')!;
      assert.equal(right.selection.active.line, 9, 'accepting moved on to the next pending hunk');
      const rejected = await vscode.commands.executeCommand<ActionResult>('hangar.rejectHunk');
      assert.deepEqual(rejected, { accepted: 0, rejected: 1, conflicts: [] });
      await waitFor('the review context to see no pending hunk in the file', () => !h.reviewContext.keys.reviewPending);
      const labels = await waitFor('the decided labels', () => {
        const l = h.reviewDecorations.shown.get(right.document.uri.toString());
        return l?.[1]?.includes('rejected') ? l : undefined;
      });
      assert.deepEqual(labels, ['Hunk 1/2 accepted: it is in your workspace file', 'Hunk 2/2 rejected: it stays out of your workspace']);
      const expected = ORIGINAL.replace('return a - b;', 'return a + b;');
      assert.equal(readFileSync(file(), 'utf8'), expected);
      const statuses = (await h.reviews.file(sessionId, 'src/math.js')).hunks.map((x) => x.status);
      assert.deepEqual(statuses, ['accepted', 'rejected']);
      const doc = await vscode.workspace.openTextDocument(file());
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('undo');
      assert.equal(doc.getText(), ORIGINAL, 'Undo takes the accepted hunk back');
      await vscode.commands.executeCommand('redo');
      assert.equal(doc.getText(), expected);
      await doc.save();
    });

    it('keeps the decisions in the session directory across a runtime restart', async () => {
      const h = await hangar();
      assert.ok(existsSync(path.join(h.host.sessionDir(sessionId), REVIEW_FILE)));
      await h.host.restart();
      const statuses = (await h.reviews.file(sessionId, 'src/math.js')).hunks.map((x) => x.status);
      assert.deepEqual(statuses, ['accepted', 'rejected']);
    });

    it('shows a conflict, and writes nothing, when the workspace changed the same lines', async () => {
      const h = await hangar();
      const before = readFileSync(file(), 'utf8');
      await vscode.commands.executeCommand('hangar.resetHunk', { sessionId, path: 'src/math.js', hunk: 2 });
      const mine = before.replace('  return a;\n', '  return a * -1;\n');
      writeFileSync(file(), mine);
      await waitFor('VS Code to see the file change', async () => (await vscode.workspace.openTextDocument(file())).getText() === mine);
      const result = await vscode.commands.executeCommand<ActionResult>('hangar.acceptHunk', { sessionId, path: 'src/math.js', hunk: 2 });
      assert.equal(result.accepted, 0);
      assert.equal(result.conflicts.length, 1);
      assert.match(result.conflicts[0]!.reason, /changed the same lines/);
      assert.equal(readFileSync(file(), 'utf8'), mine);
      assert.equal((await h.reviews.file(sessionId, 'src/math.js')).hunks[1]!.status, 'pending');
    });

    it('merges three-way when the workspace changed elsewhere, and Apply All lands the rest', async () => {
      const h = await hangar();
      writeFileSync(file(), readFileSync(file(), 'utf8').replace('  return a * -1;\n', '  return a;\n').replace('export function mul', '// user note\nexport function mul'));
      await waitFor('VS Code to see the file change', async () => (await vscode.workspace.openTextDocument(file())).getText().includes('// user note'));
      const result = await vscode.commands.executeCommand<ActionResult>('hangar.applyAll', { sessionId });
      assert.deepEqual(result, { accepted: 2, rejected: 0, conflicts: [] });
      assert.equal(readFileSync(file(), 'utf8'), FIXED.replace('export function mul', '// user note\nexport function mul'));
      assert.equal(readFileSync(path.join(workspaceDir(), 'src/extra.js'), 'utf8'), 'export const extra = 1;\n');
      const files = await h.reviews.files(sessionId);
      assert.ok(files.every((f) => f.hunks.every((x) => x.status === 'accepted')));
    });
  });

  describe('review: a file the agent deleted', () => {
    const doomed = () => path.join(workspaceDir(), 'src/doomed.js');
    const OLD = 'export const doomed = true;\nexport const still = "here";\n';
    let sessionId: string;
    let model: Awaited<ReturnType<typeof scriptedModel>>;

    before(async () => {
      const h = await hangar();
      await ensureKey();
      writeFileSync(doomed(), OLD);
      model = await scriptedModel([reply.tool('bash', { command: 'rm src/doomed.js' }), reply.text('Removed it.')]);
      sessionId = await startAgent(h, 'Delete doomed.js');
      await waitForIdle(h, sessionId, 1);
    });
    after(async () => {
      await model.close();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(doomed(), { force: true });
    });

    it('opens alone with its old content (no diff against an empty document), tinted as removed, with Accept/Reject; accepting deletes it', async () => {
      const h = await hangar();
      const reviewed = await h.reviews.file(sessionId, 'src/doomed.js');
      assert.equal(reviewed.change.status, 'deleted');
      await vscode.commands.executeCommand('hangar.openChange', { sessionId, path: 'src/doomed.js' });
      const tab = await waitFor('the deleted file in the active tab', () => {
        const t = vscode.window.tabGroups.activeTabGroup.activeTab;
        return t?.input instanceof vscode.TabInputText && t.input.uri.path === '/src/doomed.js' ? t : undefined;
      });
      const uri = (tab.input as vscode.TabInputText).uri;
      assert.equal(uri.scheme, 'hangar-sandbox', 'the old content alone: no diff');
      const editor = await waitFor('its editor', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString()));
      assert.equal(editor.document.getText(), OLD);
      await waitFor('the review context keys', () => h.reviewContext.keys.reviewEditor && h.reviewContext.keys.reviewPending);
      const keys = process.platform === 'darwin' ? '⌥⌘Y · Reject ⌥⌘N' : 'Ctrl+Alt+Y · Reject Ctrl+Alt+N';
      const labels = await waitFor('the hunk label', () => h.reviewDecorations.shown.get(uri.toString()));
      assert.deepEqual(labels, [`Hunk 1/1: Accept ${keys}`]);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      assert.deepEqual(lenses.map((l) => l.command?.title), ['$(check) Accept hunk 1/1', '$(close) Reject hunk 1/1']);
      const accepted = await vscode.commands.executeCommand<ActionResult>('hangar.acceptHunk');
      assert.deepEqual(accepted, { accepted: 1, rejected: 0, conflicts: [] });
      await waitFor('the workspace file to be deleted', () => !existsSync(doomed()));
    });
  });
}
