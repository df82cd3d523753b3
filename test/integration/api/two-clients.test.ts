import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import { collect, idleWith, startApi, type ApiFixture } from './helpers';

// Two clients of one runtime (two VS Code windows on a detached runtime, or a window and a script) answer the same
// waiting tool call at the same moment (issue #15): one answer wins and runs, the other gets a 400 that says the call
// was already answered, and the log holds one confirmation.

describe('api: two clients answer one prompt', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('takes the first answer and refuses the second with the reason', async () => {
    f = await startApi({ script: [reply.tool('bash', { command: 'echo ran-once >> once.txt' }), reply.text('done')] });
    const agent = await f.agent({ tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
    const session = await f.session(agent.id);
    const other = new Anthropic({ apiKey: f.server.token, baseURL: f.server.url });
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'run it' }] }] });
    const asked = await collect(stream, idleWith('requires_action'));
    const use = asked.find((e) => e.type === 'agent.tool_use');
    assert.ok(use?.type === 'agent.tool_use');

    const after = await f.client.beta.sessions.events.stream(session.id);
    const answers = await Promise.allSettled([
      f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }] }),
      other.beta.sessions.events.send(session.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'no' }] }),
    ]);
    const won = answers.filter((a) => a.status === 'fulfilled');
    const lost = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    assert.equal(won.length, 1, 'exactly one answer is taken');
    assert.equal(lost.length, 1);
    const err = lost[0]!.reason as InstanceType<typeof Anthropic.APIError>;
    assert.equal(err.status, 400);
    assert.match(err.message, new RegExp(`Tool call ${use.id} is not waiting for a confirmation \\(it was already answered`));

    await collect(after, idleWith('end_turn'));
    const confirmations = (await f.client.beta.sessions.events.list(session.id, { types: ['user.tool_confirmation'] })).data;
    assert.equal(confirmations.length, 1, 'the log holds the winning answer only');
    const result = (await f.client.beta.sessions.events.list(session.id, { types: ['agent.tool_result'] })).data;
    assert.equal(result.length, 1);
  });
});
