import assert from 'node:assert/strict';
import { RuntimeRefusal } from '../../../src/extension/connection/remote-client';
import { reply } from '../../../src/model/scripted';
import type { MessageReply } from '../../../src/model/scripted/script';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { costBudget, type SessionEvent } from '../../../src/wire';
import { makeTestRuntime } from '../../support/runtime';
import { serveOverHttp, type ServedRuntime } from '../../support/served-runtime';

// Session budgets through the VS Code seam over a detached runtime (issue #15): Hangar: Raise Budget's
// RuntimeClient.setBudget, with the real SDK against the real API server. A session stopped by its cap goes on in the
// same turn when it is raised; a cap not above what was spent is refused with the runtime's reason.

// 100,000 input tokens of the default model: 20 cents a request.
const costly = (r: MessageReply): MessageReply => ({ ...r, usage: { input_tokens: 100_000, output_tokens: 0 } });

describe('session budgets through the VS Code seam over HTTP', function () {
  this.timeout(60_000);
  let served: ServedRuntime | undefined;
  after(async () => served?.close());

  it('raises a spent budget so the held turn goes on, and refuses one that is not above the spend', async () => {
    const t = await makeTestRuntime({ script: [costly(reply.tool('bash', { command: 'echo one' })), costly(reply.tool('bash', { command: 'echo two' })), reply.text('all done')] });
    served = await serveOverHttp(t);
    const { client } = served;
    const agent = await client.createAgent({ name: 'budgeted', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const env = await client.defaultEnvironment({});
    const session = await client.createSession({ agent: agent.id, environment_id: env.id, budget: costBudget(30), resources: [{ type: 'local_repository', path: t.repo }] });
    await client.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    const stopped = await t.waitFor(session.id, (e) => e.some((x) => x.type === 'session.status_idle'));
    const idle = stopped.findLast((e): e is Extract<SessionEvent, { type: 'session.status_idle' }> => e.type === 'session.status_idle');
    assert.equal(idle?.stop_reason.type, 'budget_reached');
    assert.equal((await client.sessionView(session.id)).stopReason?.type, 'budget_reached', 'the tree sees why it stopped');

    await assert.rejects(client.setBudget(session.id, costBudget(40)), (err: unknown) => err instanceof RuntimeRefusal && err.status === 400 && /must be above what the session has spent \(\d+ cents\)/.test(err.message));
    assert.deepEqual((await client.retrieveSession(session.id)).budget, costBudget(30), 'a refused budget changes nothing');

    const raised = await client.setBudget(session.id, costBudget(100));
    assert.deepEqual(raised.budget, costBudget(100));
    const done = await t.waitFor(session.id, (e) => e.filter((x) => x.type === 'session.status_idle').length >= 2);
    const last = done.at(-1);
    assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', `ended with ${JSON.stringify(last)}`);
    assert.equal(done.filter((e) => e.type === 'user.message').length, 1, 'the same turn went on, without a new message');
  });
});
