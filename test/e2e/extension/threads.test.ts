import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SessionTreeNode } from '../../../src/extension/tree/nodes';
import { acquireLease, SessionLog } from '../../../src/log';
import { byAgent, delegating, DELEGATION_DONE, reply } from '../../../src/model/scripted';
import { nowIso, type SessionEvent } from '../../../src/wire';
import { ensureKey, hangar, scriptedModel, startAgent, waitFor, waitForIdle, workspaceDir } from './support';

// Thread nodes under a session come from its session.thread_* events and each sub-thread's model requests: a real
// multi-agent session shows its sub-agents with status and cost, and a sub-agent's question in the tree and in the
// notification; thread events another process writes are followed live.

type ThreadNode = Extract<SessionTreeNode, { kind: 'thread' }>;
const iconId = (item: vscode.TreeItem) => (item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined);

async function appendAsAnotherProcess(dir: string, events: Record<string, unknown>[]): Promise<void> {
  const lease = await acquireLease(dir, 'thread-test');
  const log = await SessionLog.open<SessionEvent>(dir, { mode: 'writer', lease });
  try {
    await log.append(events.map((e) => ({ id: '', processed_at: nowIso(), ...e }) as SessionEvent), { durable: true });
  } finally {
    await log.close();
    await lease.release();
  }
}

const lead = delegating({ writer: 'Write a.txt', reviewer: 'Check the diff' }, ['wrote a', 'checked']);

export function threadSuite(): void {
  describe('thread nodes in the sessions tree', () => {
    it("lists a multi-agent session's sub-agents with status and cost, and shows a sub-agent's question in the tree and the notification", async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel(
        byAgent({
          lead,
          writer: [reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), reply.text('wrote a')],
          reviewer: [reply.tool('bash', { command: 'git status --short' }), reply.text('checked')],
        }),
      );
      try {
        const runtime = h.host.runtime;
        const toolset = { type: 'agent_toolset_20260401' as const };
        const writer = await runtime.agents.create({ name: 'writer', model: 'claude-sonnet-5-5', tools: [toolset] });
        const reviewer = await runtime.agents.create({ name: 'reviewer', model: 'claude-opus-4-8', tools: [{ ...toolset, configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
        const coordinator = await runtime.agents.create({ name: 'lead', model: 'claude-sonnet-5-5', tools: [toolset], multiagent: { type: 'coordinator', agents: [writer.id, reviewer.id] } });
        const env = await h.host.environment();
        const session = await runtime.sessions.create({ agent: coordinator.id, environment_id: env.id, title: 'Write and review', resources: [{ type: 'local_repository', path: workspaceDir() }] });
        const id = session.id;
        await runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'split the work' }] }]);
        h.sessions.added(id);

        const sessionNode = async () => (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id)!;
        const shown = async () =>
          (await h.sessionsTree.getChildren(await sessionNode()))
            .filter((n): n is ThreadNode => n.kind === 'thread')
            .map((n) => {
              const it = h.sessionsTree.getTreeItem(n);
              return [it.label, it.description, iconId(it)];
            });
        // The session's own row follows within the tree's change pass (its view is re-read with the session's changes,
        // gathered every 250 ms), so the wait covers it too.
        const sessionSays = async () => String(h.sessionsTree.getTreeItem(await sessionNode()).description);
        const waiting = await waitFor('the reviewer waiting for an answer in the tree, and the session saying so', async () => {
          const now = await shown();
          const threads = now.length === 2 && now[1]?.[1]?.toString().startsWith('sub-agent · Waiting for you') && now[0]?.[1]?.toString().startsWith('sub-agent · idle');
          return threads && /^Waiting for you · /.test(await sessionSays()) ? now : undefined;
        });
        assert.deepEqual(waiting.map((r) => [r[0], r[2]]), [['writer', 'pass'], ['reviewer', 'bell-dot']]);
        assert.match(String(waiting[0]![1]), /^sub-agent · idle · \$\d+\.\d+$/, 'each thread shows its cost');
        assert.match(String(waiting[1]![1]), /^sub-agent · Waiting for you · \$\d+\.\d+$/);

        const ask = (await runtime.sessions.listEvents(id, { limit: 1000 })).data.find((e) => e.type === 'agent.tool_use' && e.evaluated_permission === 'ask')!;
        const raised = await waitFor('a notification for the sub-agent call', () => h.approvals.raised.find((r) => r.toolUseId === ask.id));
        assert.match(raised.message, /^Write and review is waiting for you: sub-agent reviewer asks: allow bash \(git status --short\)\?/);

        // "Allow for this session" from the notification: for the reviewer (its call runs), not for the coordinator.
        await vscode.commands.executeCommand('hangar.answerPrompt', { sessionId: id, toolUseId: ask.id, result: 'allowForSession' });
        await waitFor('both sub-agents idle and the coordinator done', async () => {
          const now = await shown();
          const done = (await runtime.sessions.listEvents(id, { limit: 1000 })).data.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(DELEGATION_DONE));
          return done && now.every((r) => String(r[1]).startsWith('sub-agent · idle')) ? now : undefined;
        });
        assert.deepEqual(await runtime.permissions.allowed(id, ask.type === 'agent.tool_use' ? (ask.session_thread_id ?? undefined) : undefined), [{ name: 'bash' }]);
        assert.deepEqual(await runtime.permissions.allowed(id), [], "the coordinator's bash is not allowed by the sub-agent's answer");
        await waitFor('the notification to close once answered', () => !h.approvals.isOpen(ask.id));
      } finally {
        await model.close();
      }
    });

    it('shows each sub-agent thread from the log, and follows new thread events live', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.text('done')]);
      let id: string;
      try {
        id = await startAgent(h, 'A session that will get threads', 'thread-agent');
        await waitForIdle(h, id);
      } finally {
        await model.close();
      }
      // A restart hands the (idle) session back to nobody, so another writer may take its lease.
      await h.host.restart();
      const dir = h.host.sessionDir(id);
      await appendAsAnotherProcess(dir, [
        { type: 'session.thread_created', session_thread_id: 'sthr_research', agent_name: 'researcher', workflow_run_id: null },
        { type: 'session.thread_status_running', session_thread_id: 'sthr_research', agent_name: 'researcher' },
        { type: 'session.thread_created', session_thread_id: 'sthr_review', agent_name: 'reviewer', workflow_run_id: null },
        { type: 'session.thread_status_idle', session_thread_id: 'sthr_review', agent_name: 'reviewer', stop_reason: { type: 'requires_action', event_ids: ['sevt_x'] } },
      ]);
      const sessionNode = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id)!;
      const threads = async () => (await h.sessionsTree.getChildren(sessionNode)).filter((n): n is ThreadNode => n.kind === 'thread');
      const shown = async () => (await threads()).map((n) => { const it = h.sessionsTree.getTreeItem(n); return [it.label, it.description, iconId(it)]; });
      assert.deepEqual(await shown(), [
        ['researcher', 'sub-agent · running · $0.00', 'sync~spin'],
        ['reviewer', 'sub-agent · Waiting for you · $0.00', 'bell-dot'],
      ]);
      const first = h.sessionsTree.getTreeItem((await threads())[0]!);
      assert.deepEqual(first.command?.arguments, [{ sessionId: id, threadId: 'sthr_research' }], 'a thread opens its session on its tab');

      await appendAsAnotherProcess(dir, [
        { type: 'session.thread_status_idle', session_thread_id: 'sthr_research', agent_name: 'researcher', stop_reason: { type: 'end_turn' } },
        { type: 'session.thread_status_terminated', session_thread_id: 'sthr_review', agent_name: 'reviewer' },
      ]);
      await waitFor('the tree to follow the new thread events', async () => {
        const now = await shown();
        return now[0]?.[1] === 'sub-agent · idle · $0.00' && now[1]?.[1] === 'sub-agent · terminated · $0.00' ? now : undefined;
      });
      const files = (await h.sessionsTree.getChildren(sessionNode)).map((n) => n.kind);
      assert.deepEqual(files.slice(0, 2), ['thread', 'thread'], 'threads come first, then the rest');
    });
  });
}
