import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import { SANDBOX_KIND } from '../../../src/format/sandbox';
import { handleWebviewMessage } from '../../../src/extension/panel/inbound';
import type { SessionTreeNode } from '../../../src/extension/tree/nodes';
import { ensureKey, hangar, scriptedModel, startAgent, waitFor, waitForIdle } from './support';

const iconId = (item: vscode.TreeItem) => (item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined);

export function treeSuite(): void {
  describe('sessions tree and status bar', () => {
    it('shows a running session (spinning icon, status bar), then what waits for review, time, cost and changed files', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([
        reply.tool('write', { file_path: 'notes/todo.md', content: '# todo\n- nothing\n' }),
        reply.text('Wrote the notes.', { delay_ms: 2_500, usage: { input_tokens: 120_000, output_tokens: 20_000 } }),
      ]);
      try {
        const id = await startAgent(h, 'Write a todo list');
        const sessionNode = async () => (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id);
        const running = await waitFor('the tree to show the session running', async () => {
          const node = await sessionNode();
          const item = node && h.sessionsTree.getTreeItem(node);
          return item && iconId(item) === 'sync~spin' ? item : undefined;
        });
        assert.equal(running.contextValue, 'session.running');
        await waitFor('the status bar to count it', async () => (await h.statusBar.update(), h.statusBar.shown?.includes('1 running')));

        await waitForIdle(h, id, 1);
        const item = await waitFor('the to-review icon', async () => {
          const node = await sessionNode();
          const it = node && h.sessionsTree.getTreeItem(node);
          return it && iconId(it) === 'diff' ? it : undefined;
        });
        assert.equal(item.label, 'Write a todo list');
        assert.equal(item.contextValue, 'session.idle.review', 'idle, with changes to review (Apply All / Discard inline)');
        assert.equal(item.resourceUri?.toString(), `hangar-session:/${id}`, 'the row carries the URI its to-review badge decorates');
        const sandbox = SANDBOX_KIND[(await h.host.runtime.sessions.record(id)).environment.hangar.provider ?? 'local'].label;
        assert.match(String(item.description), new RegExp(`^1 file to review · \\d+s · \\$\\d+\\.\\d\\d · ${sandbox}$`), 'what needs review first, the sandbox kind last');
        assert.notEqual(String(item.description).split(' · ')[2], '$0.00', 'the scripted usage has a cost');
        assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);

        const children = await h.sessionsTree.getChildren((await sessionNode())!);
        const files = children.filter((c): c is Extract<SessionTreeNode, { kind: 'file' }> => c.kind === 'file');
        assert.deepEqual(files.map((f) => f.path), ['notes/todo.md']);
        const fileItem = h.sessionsTree.getTreeItem(files[0]!);
        assert.equal(fileItem.contextValue, 'file.pending');
        assert.match(String(fileItem.description), /^A \+2 −0 · 1\/1 to review$/);
        assert.deepEqual((await h.sessionsTree.getChildren(files[0]!)).map((n) => n.kind), ['hunk']);

        await vscode.commands.executeCommand('hangar.discardChanges', { sessionId: id, confirmed: true });
        const reviewed = await waitFor('the idle icon once nothing waits for review', async () => {
          const it = h.sessionsTree.getTreeItem((await sessionNode())!);
          return iconId(it) === 'pass' ? it : undefined;
        });
        assert.equal(reviewed.contextValue, 'session.idle');
        assert.match(String(reviewed.description), new RegExp(`^\\d+s · \\$\\d+\\.\\d\\d · ${sandbox}$`));
        await h.statusBar.update();
        assert.equal(h.statusBar.shown, null, 'nothing runs any more: the status bar item hides');
      } finally {
        await model.close();
      }
    });

    it('follows a session it listed but does not follow yet (listed after a reload) once its log grows', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([
        reply.tool('write', { file_path: 'listed/first.md', content: 'one\n' }),
        reply.text('Wrote the first.'),
        reply.tool('write', { file_path: 'listed/second.md', content: 'two\n' }),
        reply.text('Wrote the second.'),
      ]);
      try {
        const id = await startAgent(h, 'Write two files');
        await waitForIdle(h, id, 1);
        // A new runtime: the tree lists the session from its record and summary, and only watches its log.
        await h.host.restart();
        const sessionItem = async () => {
          const node = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id);
          return node && h.sessionsTree.getTreeItem(node);
        };
        await waitFor('the listed session with its one file to review', async () => String((await sessionItem())?.description).startsWith('1 file to review · '));
        await h.host.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'And a second one.' }] }]);
        await waitForIdle(h, id, 2);
        const item = await waitFor('the second file counted once the log grew', async () => {
          const it = await sessionItem();
          return it && String(it.description).startsWith('2 files to review · ') ? it : undefined;
        });
        assert.equal(item.contextValue, 'session.idle.review');
      } finally {
        await model.close();
      }
    });

    it('shows a session waiting for approval, and the approval from the panel protocol continues it', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.tool('bash', { command: 'echo approved > approved.txt' }), reply.text('done')]);
      try {
        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', {
          name: 'asker',
          model: 'claude-sonnet-5-5',
          tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }],
        });
        const id = (await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Run a command' }))!;
        const all = await waitForIdle(h, id, 1);
        const idle = all.findLast((e) => e.type === 'session.status_idle');
        assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action');
        const view = await h.sessions.view(id);
        assert.equal(view.needsAction, true);
        const node = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id)!;
        await waitFor('the bell icon', () => iconId(h.sessionsTree.getTreeItem(node)) === 'bell-dot');
        await h.statusBar.update();
        assert.match(h.statusBar.shown ?? '', /1 waiting for you/);
        const deps = { host: h.host, log: h.log, openPath: async () => undefined };
        const useId = idle.stop_reason.event_ids[0]!;
        assert.deepEqual(await handleWebviewMessage({ type: 'confirm', id: 'r-1', tool_use_id: useId, result: 'allow' }, id, deps, async () => undefined), { type: 'reply', id: 'r-1', ok: true });
        const after = await waitForIdle(h, id, 2);
        assert.ok(after.some((e) => e.type === 'agent.tool_result' && !e.is_error));
      } finally {
        await model.close();
      }
    });
  });
}
