import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reply, withGrader } from '../../../src/model/scripted';
import { ensureKey, hangar, scriptedModel, waitForIdle, workspaceDir } from './support';

// Outcomes in a real VS Code (issue #11 §1): Start Agent with a rubric sends the task as an outcome; the grader asks
// for one revision and is then satisfied, and the session's evaluations say so. A rubric the wire refuses starts nothing.

export function outcomeSuite(): void {
  describe('outcomes', () => {
    it('starts the agent on a task graded against a rubric: one revision, then satisfied', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel(
        withGrader([reply.verdict('needs_revision', 'Say hello too.'), reply.verdict('satisfied', 'It says hello.')], [reply.text('done'), reply.text('hello, done')]),
      );
      try {
        const agent = await h.host.runtime.agents.create({ name: 'graded', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId: agent.id, task: 'greet', rubric: '- says hello', folder: workspaceDir(), open: 'none' });
        assert.ok(id);
        const events = await waitForIdle(h, id, 1);
        assert.deepEqual(events.flatMap((e) => (e.type === 'span.outcome_evaluation_end' ? [e.result] : [])), ['needs_revision', 'satisfied']);
        const [evaluation] = (await h.host.runtime.sessions.retrieve(id)).outcome_evaluations;
        assert.equal(evaluation?.result, 'satisfied');
        assert.equal(evaluation?.description, 'greet');
        // Refused before a session is made (the command shows the error and answers nothing).
        const before = (await h.host.runtime.sessions.list({ limit: 100 })).data.length;
        const refused = await vscode.commands.executeCommand('hangar.startAgent', { agentId: agent.id, task: 'greet', rubric: 'x'.repeat(262_145), folder: workspaceDir(), open: 'none' });
        assert.equal(refused, undefined);
        assert.equal((await h.host.runtime.sessions.list({ limit: 100 })).data.length, before);
      } finally {
        await model.close();
      }
    });
  });
}
