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
        // update() paints only once no announced read is queued after it, so it may leave the item as it was for a moment.
        await waitFor('the status bar item to hide: nothing runs any more', async () => (await h.statusBar.update(), h.statusBar.shown === null));
      } finally {
        await model.close();
      }
    });

    it('answers an expanded running session\'s children from what it read: the tick of its elapsed time re-reads nothing', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.tool('write', { file_path: 'ticking/clock.md', content: 'tick\n' }), reply.text('Done.', { delay_ms: 12_000 })]);
      const tree = h.sessionsTree;
      try {
        const id = await startAgent(h, 'Write while the clock ticks');
        const node = await waitFor('the session row', async () => (await tree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id));
        // The view may not have the session yet (the listing announces it a moment after it starts): try until it has.
        await waitFor('the session row expanded in the view', () => tree.reveal(node, { expand: true }).then(() => true));
        await waitFor('the written file under the running session', async () => (await tree.getChildren(node)).some((n) => n.kind === 'file' && n.path === 'ticking/clock.md'));
        // From now on VS Code asks for the session's children each time the tick repaints its row; each read of its
        // changes must answer an announcement that they moved.
        let asked = 0;
        let reads = 0;
        let announced = 0;
        const getChildren = tree.getChildren.bind(tree);
        tree.getChildren = (n) => ((n?.kind === 'session' && n.sessionId === id && asked++), getChildren(n));
        const files = h.reviews.files.bind(h.reviews);
        h.reviews.files = (sessionId) => ((sessionId === id && reads++), files(sessionId));
        const announcements = h.reviews.onDidChange((sessionId) => sessionId === id && announced++);
        try {
          await waitFor('VS Code to ask for the running session\'s children twice', () => asked >= 2 && h.sessionsTree.snapshot().find((v) => v.id === id)?.status === 'running');
          assert.ok(reads <= announced, `${reads} reads of the changes for ${announced} announcements while VS Code asked ${asked} times`);
        } finally {
          Reflect.deleteProperty(tree, 'getChildren');
          Reflect.deleteProperty(h.reviews, 'files');
          announcements.dispose();
        }
        await waitForIdle(h, id, 1, 60_000);
      } finally {
        await model.close();
      }
    });

    it('answers an expanded session\'s children at once while its changes are read again', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.tool('write', { file_path: 'src/math.js', content: 'export const one = 1;\n' }), reply.text('Wrote it.')]);
      const tree = h.sessionsTree;
      try {
        const id = await startAgent(h, 'Write a module');
        await waitForIdle(h, id, 1);
        const node = await waitFor('the session row', async () => (await tree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id));
        const file = await waitFor('the changed file under the session', async () => (await tree.getChildren(node)).find((n) => n.kind === 'file' && n.path === 'src/math.js'));
        // The changes are read again (a decision, the agent touching files) and the read takes its time; meanwhile
        // VS Code, which dropped the row's children when it was repainted, asks for them.
        let release = () => undefined as void;
        const gate = new Promise<void>((r) => (release = r));
        const files = h.reviews.files.bind(h.reviews);
        h.reviews.files = async (sessionId) => (await gate, files(sessionId));
        try {
          h.reviews.touch(id);
          let answer: SessionTreeNode[] | undefined;
          void tree.getChildren(node).then((kids) => (answer = kids));
          const kids = await waitFor('an answer while the changes are being read', () => answer);
          assert.ok(kids.includes(file), 'the same row, so VS Code finds the child it expands or reveals');
          assert.deepEqual((await tree.getChildren(file)).map((n) => n.kind), ['hunk'], 'and the file its hunk');
        } finally {
          release();
          Reflect.deleteProperty(h.reviews, 'files');
        }
      } finally {
        await model.close();
      }
    });

    it('sends no second refresh of the list before VS Code has asked for the first, and then lists every new session', async () => {
      // Each refresh of the list makes VS Code forget every row until it asks again; a second one in that gap left
      // rows it then neither repainted nor expanded (the UI suite's "1 file to review" never showing, under load).
      const h = await hangar();
      const tree = h.sessionsTree;
      const steps: string[] = [];
      const ask = tree.getChildren.bind(tree);
      tree.getChildren = (node) => (node === undefined && steps.push('ask'), ask(node));
      const off = tree.onDidChangeTreeData((node) => void (node === undefined && steps.push('refresh')));
      const repo = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
      const agent = await h.host.runtime.agents.create({ name: 'listed', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
      const env = await h.host.runtime.environments.ensureDefault();
      const create = () => h.host.runtime.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }] });
      try {
        const refreshes = () => steps.filter((x) => x === 'refresh').length;
        const first = await create();
        await waitFor('a refresh of the list for the first new session', () => refreshes() >= 1);
        // Past the storage watch's and the model's coalescing (250 ms each), with room for a loaded machine.
        const second = await create();
        await new Promise((r) => setTimeout(r, 2_000));
        const doubled = steps.findIndex((x, i) => x === 'refresh' && steps[i + 1] === 'refresh');
        assert.equal(doubled, -1, `a refresh of the list followed another VS Code had not asked for: ${steps.join(' ')}`);
        const ids = (await tree.getChildren()).flatMap((n) => (n.kind === 'session' ? [n.sessionId] : []));
        assert.ok(ids.includes(first.id) && ids.includes(second.id), 'asked, VS Code gets both');
        const asked = steps.length;
        const third = await create();
        await waitFor('a refresh of the list for the next one, once VS Code has asked', () => steps.slice(asked).includes('refresh'));
        assert.ok((await tree.getChildren()).some((n) => n.kind === 'session' && n.sessionId === third.id));
      } finally {
        off.dispose();
        Reflect.deleteProperty(tree, 'getChildren');
      }
    });

    it('holds a refresh of the list while a fetch of the list is answered, sends it once answered, and lists the new session', async () => {
      // A refresh of the root cancels the fetch of the list the extension host is answering (VS Code 1.100): that
      // fetch then answers nothing and VS Code keeps rows the host no longer knows.
      const h = await hangar();
      const tree = h.sessionsTree;
      const steps: string[] = [];
      const list = h.sessions.list.bind(h.sessions);
      let slow = true;
      const listing = new Promise<void>((resolve) => {
        h.sessions.list = async () => {
          if (!slow) return list();
          slow = false;
          resolve();
          await new Promise((r) => setTimeout(r, 1_500));
          return list();
        };
      });
      const off = tree.onDidChangeTreeData((node) => void (node === undefined && steps.push('refresh')));
      const repo = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
      const agent = await h.host.runtime.agents.create({ name: 'mid-fetch', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
      const env = await h.host.runtime.environments.ensureDefault();
      try {
        const fetch = tree.getChildren().then(() => steps.push('answered'));
        await listing;
        steps.push('asked');
        const created = await h.host.runtime.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }] });
        await fetch;
        const answeredAt = steps.indexOf('answered');
        assert.deepEqual(steps.slice(steps.indexOf('asked'), answeredAt), ['asked'], `no refresh while the fetch was answered: ${steps.join(' ')}`);
        await waitFor('the refresh held for the new session, once the fetch was answered', () => steps.indexOf('refresh', answeredAt) > answeredAt);
        assert.ok((await tree.getChildren()).some((n) => n.kind === 'session' && n.sessionId === created.id), 'then listed');
      } finally {
        off.dispose();
        Reflect.deleteProperty(h.sessions, 'list');
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
