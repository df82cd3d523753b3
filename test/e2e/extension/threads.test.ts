import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SessionTreeNode } from '../../../src/extension/tree/nodes';
import { acquireLease, SessionLog } from '../../../src/log';
import { reply } from '../../../src/model/scripted';
import { nowIso, type SessionEvent } from '../../../src/wire';
import { ensureKey, hangar, scriptedModel, startAgent, waitFor, waitForIdle } from './support';

// Thread nodes under a session come from its session.thread_* events. The harness does not start sub-agents yet,
// so this test writes such events into a finished session's log itself (as another process holding the lease would)
// and watches the tree pick them up: from the log when the session is expanded, then live from its tail.

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

export function threadSuite(): void {
  describe('thread nodes in the sessions tree', () => {
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
        ['researcher', 'thread · running', 'sync~spin'],
        ['reviewer', 'thread · Waiting for you', 'bell-dot'],
      ]);
      const first = h.sessionsTree.getTreeItem((await threads())[0]!);
      assert.deepEqual(first.command?.arguments, [{ sessionId: id }], 'a thread opens its session');

      await appendAsAnotherProcess(dir, [
        { type: 'session.thread_status_idle', session_thread_id: 'sthr_research', agent_name: 'researcher', stop_reason: { type: 'end_turn' } },
        { type: 'session.thread_status_terminated', session_thread_id: 'sthr_review', agent_name: 'reviewer' },
      ]);
      await waitFor('the tree to follow the new thread events', async () => {
        const now = await shown();
        return now[0]?.[1] === 'thread · idle' && now[1]?.[1] === 'thread · terminated' ? now : undefined;
      });
      const files = (await h.sessionsTree.getChildren(sessionNode)).map((n) => n.kind);
      assert.deepEqual(files.slice(0, 2), ['thread', 'thread'], 'threads come first, then the rest');
    });
  });
}
