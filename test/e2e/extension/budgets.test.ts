import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import type { MessageReply } from '../../../src/model/scripted/script';
import { ensureKey, events, hangar, scriptedModel, waitForIdle, workspaceDir } from './support';

// Budgets in a real VS Code (issue #11 §3): a session started from VS Code gets the hangar.budget.defaultUsd cap,
// stops with budget_reached once its spend reaches it, and Hangar: Raise Budget lets the held turn go on.

// 100,000 input tokens of Sonnet 5.5 ($2 per million): 20 cents a request.
const costly = (r: MessageReply): MessageReply => ({ ...r, usage: { input_tokens: 100_000, output_tokens: 0 } });

export function budgetSuite(): void {
  describe('budgets', () => {
    it('caps a session started from VS Code at the default budget, and Raise Budget lets the held turn go on', async () => {
      const h = await hangar();
      await ensureKey();
      const config = vscode.workspace.getConfiguration('hangar');
      await config.update('budget.defaultUsd', 0.3, vscode.ConfigurationTarget.Global);
      const model = await scriptedModel([costly(reply.tool('bash', { command: 'echo one' })), costly(reply.tool('bash', { command: 'echo two' })), reply.text('went on after the raise')]);
      try {
        const agent = await h.host.runtime.agents.create({ name: 'spender', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId: agent.id, task: 'spend', folder: workspaceDir(), open: 'none' });
        assert.ok(id);
        assert.deepEqual((await h.host.runtime.sessions.retrieve(id)).budget, { type: 'limit', max_list_cost: { amount: '30', currency: 'USD' } });
        const held = await waitForIdle(h, id, 1);
        const idle = held.findLast((e) => e.type === 'session.status_idle');
        assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'budget_reached', JSON.stringify(idle));
        assert.equal((await h.sessions.view(id)).stopReason?.type, 'budget_reached');

        const budget = await vscode.commands.executeCommand('hangar.raiseBudget', { sessionId: id, usd: 1 });
        assert.deepEqual(budget, { type: 'limit', max_list_cost: { amount: '100', currency: 'USD' } });
        const after = await waitForIdle(h, id, 2);
        const last = after.at(-1);
        assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn');
        assert.ok((await events(h, id)).some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('went on after the raise')));
      } finally {
        await config.update('budget.defaultUsd', undefined, vscode.ConfigurationTarget.Global);
        await model.close();
      }
    });
  });
}
