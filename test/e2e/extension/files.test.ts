import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import type { OutputNode, SessionTreeNode } from '../../../src/extension/tree/nodes';
import { ensureKey, events, hangar, scriptedModel, startAgent, waitFor, waitForIdle, workspaceDir } from './support';

// Files in and out of a session through the commands a user runs, in a real VS Code: the agent's output is listed
// under the session in the Sessions tree, opens in an editor and is saved into the workspace; a workspace file and
// the editor's selection are attached to the running session and read by the agent in its next turn.

type ToolResult = { type: 'agent.tool_result'; content?: Array<{ type: string; text?: string }> | null };
const results = (all: readonly { type: string }[]) => all.filter((e): e is ToolResult => e.type === 'agent.tool_result').map((e) => (e.content ?? []).map((b) => b.text ?? '').join(''));

export function fileSuite(): void {
  describe('files: attach and outputs', () => {
    it('lists, opens and saves an output; attaches a file and the selection, which the agent reads', async function () {
      this.timeout(180_000);
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([
        reply.tool('bash', { command: "printf '# Report\\nall good\\n' > ../mnt/session/outputs/report.md" }),
        reply.text('Wrote the report.'),
        reply.tool('bash', { command: 'cat ../mnt/session/uploads/*' }),
        reply.text('Read the attachment.'),
        reply.tool('bash', { command: 'cat ../mnt/session/uploads/* | wc -l' }),
        reply.text('Read the selection too.'),
      ]);
      try {
        const id = await startAgent(h, 'Write a report');
        await waitForIdle(h, id, 1, 120_000);

        // The output, under the session in the tree, once captured.
        const node = await waitFor('the output in the Sessions tree', async () => {
          const children = await h.sessionsTree.getChildren({ kind: 'session', sessionId: id });
          return children.find((c: SessionTreeNode): c is OutputNode => c.kind === 'output');
        }, 30_000);
        const item = h.sessionsTree.getTreeItem(node);
        assert.equal(item.label, 'report.md');
        assert.equal(item.command?.command, 'hangar.openOutput');
        assert.equal(item.contextValue, 'output');

        const opened = await vscode.commands.executeCommand<string>('hangar.openOutput', node);
        assert.ok(opened?.endsWith('report.md'));
        await waitFor('the output in the editor', () => vscode.window.activeTextEditor?.document.uri.fsPath === opened);
        assert.equal(vscode.window.activeTextEditor!.document.getText(), '# Report\nall good\n');

        const target = vscode.Uri.file(path.join(workspaceDir(), 'saved-report.md'));
        assert.equal(await vscode.commands.executeCommand('hangar.saveOutput', node, target), target.fsPath);
        assert.equal(readFileSync(target.fsPath, 'utf8'), '# Report\nall good\n');

        // A workspace file attached to the session: the agent reads it in the next turn.
        const notes = path.join(workspaceDir(), 'attach-me.txt');
        writeFileSync(notes, 'attached content\n');
        assert.equal(await vscode.commands.executeCommand('hangar.attachFiles', { sessionId: id, paths: [notes] }), id);
        assert.equal(await vscode.commands.executeCommand('hangar.sendMessage', { sessionId: id, text: 'read what I attached' }), id);
        const second = await waitForIdle(h, id, 2, 120_000);
        assert.equal(results(second).at(-1), 'attached content');

        // The editor's selection, attached as a file of its own.
        const doc = await vscode.workspace.openTextDocument({ content: 'one\ntwo\nthree\nfour\n', language: 'plaintext' });
        const editor = await vscode.window.showTextDocument(doc);
        editor.selection = new vscode.Selection(1, 0, 3, 0);
        assert.equal(await vscode.commands.executeCommand('hangar.attachSelection', { sessionId: id }), id);
        const resources = await h.host.runtime.resources.list(id);
        assert.equal(resources.filter((r) => r.type === 'file').length, 2);
        await vscode.commands.executeCommand('hangar.sendMessage', { sessionId: id, text: 'and the selection' });
        const third = await waitForIdle(h, id, 3, 120_000);
        assert.equal(results(third).at(-1)?.trim(), '3', 'the attachment (1 line) and the selection (two, three) are both there');
        assert.ok((await events(h, id)).length > 0);
      } finally {
        await model.close();
      }
    });
  });
}
