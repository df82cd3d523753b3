import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { handleWebviewMessage } from '../../../src/extension/panel/inbound';
import { reply } from '../../../src/model/scripted';
import type { EventOf, SessionEvent } from '../../../src/wire';
import { ensureKey, events, hangar, scriptedModel, waitFor, waitForIdle, workspaceDir } from './support';

// A tool call waiting for the user while its panel is closed (issue #12 §5): one notification per waiting call
// with Allow / Allow for this session / Deny links, closed when the call is answered anywhere, and the number of
// waiting calls as the Hangar view's badge. "Allow for this session" lets later calls run without asking until the
// allowance is revoked.

const uses = (all: readonly SessionEvent[]) => all.filter((e): e is EventOf<'agent.tool_use'> => e.type === 'agent.tool_use');

export function approvalSuite(): void {
  describe('waiting for you outside the panel', () => {
    it('notifies once per waiting call, badges the view, answers from the notification, closes it when answered elsewhere', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([
        reply.tool('bash', { command: 'echo one > one.txt' }),
        reply.tool('bash', { command: 'echo two > two.txt' }),
        reply.text('two done'),
        reply.tool('bash', { command: 'echo three > three.txt' }),
        reply.text('three done'),
      ]);
      try {
        const runtime = h.host.runtime;
        const agent = await runtime.agents.create({
          name: 'asker',
          model: 'claude-sonnet-5-5',
          tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }],
        });
        const env = await h.host.environment();
        // No panel is opened: the question must reach the user some other way.
        const session = await runtime.sessions.create({ agent: agent.id, environment_id: env.id, title: 'Ask before bash', resources: [{ type: 'local_repository', path: workspaceDir() }] });
        const id = session.id;
        await runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'run things' }] }]);
        h.sessions.added(id);

        const first = uses(await waitForIdle(h, id, 1))[0]!;
        const raised = await waitFor('a notification for the waiting call', () => h.approvals.raised.find((r) => r.toolUseId === first.id));
        assert.match(raised.message, /Ask before bash is waiting for you: allow bash \(echo one > one\.txt\)\?/);
        assert.match(raised.message, /\[Allow for this session\]\(command:hangar\.answerPrompt\?/);
        assert.equal(h.approvals.isOpen(first.id), true);
        assert.deepEqual(h.approvals.badge && { value: h.approvals.badge.value }, { value: 1 });
        await h.approvals.refresh(id);
        assert.equal(h.approvals.raised.filter((r) => r.toolUseId === first.id).length, 1, 'one notification per call, not repeated');

        // The notification's "Allow for this session" link.
        await vscode.commands.executeCommand('hangar.answerPrompt', { sessionId: id, toolUseId: first.id, result: 'allowForSession' });
        let all = await waitForIdle(h, id, 2);
        assert.deepEqual(uses(all).map((u) => u.evaluated_permission), ['ask', 'allow'], 'the next bash call ran without asking');
        assert.deepEqual(await runtime.permissions.allowed(id), [{ name: 'bash' }]);
        await waitFor('the notification to close and the badge to clear', () => !h.approvals.isOpen(first.id) && h.approvals.badge === undefined);

        // Revoked: the next call asks again; answered in the panel (its "Allow for this session" request), the
        // notification closes, and the panel's revoke takes the allowance back.
        await vscode.commands.executeCommand('hangar.revokeAllowance', { sessionId: id, tool: { name: 'bash' } });
        assert.deepEqual(await runtime.permissions.allowed(id), []);
        await runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'once more' }] }]);
        all = await waitForIdle(h, id, 3);
        const third = uses(all)[2]!;
        assert.equal(third.evaluated_permission, 'ask');
        await waitFor('a notification for the third call', () => h.approvals.isOpen(third.id));
        const deps = { host: h.host, log: h.log, openPath: async () => undefined };
        const ask = (msg: Record<string, unknown>) => handleWebviewMessage({ id: 'r-1', ...msg }, id, deps, async () => undefined);
        assert.deepEqual(await ask({ type: 'allowForSession', tool: { name: 'bash' } }), { type: 'reply', id: 'r-1', ok: true });
        await waitFor('the notification to close once answered in the panel', () => !h.approvals.isOpen(third.id));
        await waitForIdle(h, id, 4);
        assert.equal(h.approvals.badge, undefined);
        assert.ok((await events(h, id)).some((e) => e.type === 'agent.tool_result' && e.tool_use_id === third.id && !e.is_error));
        assert.deepEqual(await runtime.permissions.allowed(id), [{ name: 'bash' }]);
        assert.deepEqual(await ask({ type: 'revokeAllowance', tool: { name: 'bash' } }), { type: 'reply', id: 'r-1', ok: true });
        assert.deepEqual(await runtime.permissions.allowed(id), []);
        const again = await ask({ type: 'revokeAllowance', tool: { name: 'bash' } });
        assert.ok(again.type === 'reply' && !again.ok && /nothing to revoke/.test(again.error), 'a second revoke is refused with the reason');
      } finally {
        await model.close();
      }
    });
  });
}
