import assert from 'node:assert/strict';
import { reply, type RecordedRequest } from '../../../src/model/scripted';
import { BestOfStarted, CompareList, type BestOfParams } from '../../../src/wire/best-of';
import { raw, startApi, type ApiFixture } from './helpers';

// Best-of-N through Hangar's API (issue #15, src/api/best-of.ts), with the real SDK's raw post and get as a detached
// VS Code sends them: N sessions of one task, the one agent's copy on each model asked for, compared once they have
// stopped; bad input refused with what to send instead, starting nothing.

const MODELS = ['claude-sonnet-5-5', 'claude-opus-4-1'];

describe('API: best-of (start N attempts, compare them)', function () {
  this.timeout(90_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  function responder(): (req: RecordedRequest) => ReturnType<typeof reply.text> {
    let attempt = 0;
    return (req) => (JSON.stringify(req.body.messages).includes('tool_result') ? reply.text('attempt done') : reply.tool('bash', { command: `echo ${++attempt} > attempt.txt && npm test || true` }));
  }

  it('starts the attempts on one agent across models and compares them', async () => {
    f = await startApi({ script: responder() });
    const agent = await f.agent();
    const params: BestOfParams = {
      n: 2,
      agents: [agent.id],
      models: MODELS,
      environment_id: f.t.envId,
      resources: [{ type: 'local_repository', path: f.t.repo }],
      title: 'number the attempt',
      first: { type: 'user.message', content: [{ type: 'text', text: 'write your attempt number' }] },
    };
    const started = BestOfStarted.parse(await f.client.post('/v1/best_of', { body: params }));
    assert.equal(started.session_ids.length, 2);
    const sessions = await Promise.all(started.session_ids.map((id) => f.client.beta.sessions.retrieve(id)));
    assert.deepEqual(sessions.map((s) => s.title), ['number the attempt (1/2)', 'number the attempt (2/2)']);
    assert.deepEqual(sessions.map((s) => s.agent.model.id), MODELS, "one attempt on each model (the agent's copy)");
    for (const id of started.session_ids) {
      for (let i = 0; i < 200 && !((await f.client.beta.sessions.retrieve(id)).status === 'idle' && (await f.client.beta.sessions.events.list(id, { types: ['agent.message'] })).data.length > 0); i++) await new Promise((r) => setTimeout(r, 100));
    }
    const rows = CompareList.parse(await f.client.get('/v1/best_of/compare', { query: { session_ids: started.session_ids } })).data;
    assert.deepEqual(rows.map((r) => r.id), started.session_ids);
    assert.deepEqual(rows.map((r) => [r.model, r.status, r.stop, r.files]), MODELS.map((m) => [m, 'idle', 'end_turn', 1]));
    assert.deepEqual(rows.flatMap((r) => r.tests.map((t) => `${t.command} ${t.passed}`)).sort(), ['echo 1 > attempt.txt && npm test || true true', 'echo 2 > attempt.txt && npm test || true true'], 'the test command each attempt ran');
    assert.ok(rows.every((r) => /attempt\.txt/.test(r.patch) && r.tokens > 0), 'each row has its changes and spend');
  });

  it('refuses bad best-of input with the reason and starts nothing', async () => {
    f = await startApi({ script: [reply.text('unused')] });
    const agent = await f.agent();
    const base = { n: 2, agents: [agent.id], environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }], title: 't', first: { type: 'user.message', content: [{ type: 'text', text: 'x' }] } };
    const post = (body: unknown) => raw(f.server, 'POST', '/v1/best_of', { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const cases: [unknown, number, RegExp][] = [
      [{ ...base, n: 5 }, 400, /Best-of takes 1 to 4 attempts/],
      [{ ...base, n: 0 }, 400, /n is the number of attempts, 1 to 4/],
      [{ ...base, agents: [] }, 400, /agents names at least one agent/],
      [{ ...base, n: 1, agents: [agent.id, agent.id] }, 400, /more agents than there are attempts/],
      [{ ...base, agents: [agent.id, agent.id], models: MODELS }, 400, /models go with one agent/],
      [{ ...base, first: { type: 'user.interrupt' } }, 400, /first/],
      [{ ...base, agents: ['agent_nosuch'] }, 404, /agent_nosuch/],
      [{ ...base, surprise: 1 }, 400, /surprise/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.json().error.message, message, JSON.stringify(body));
    }
    assert.equal((await f.client.beta.sessions.list()).data.length, 0, 'no attempt was started');
    for (const [query, message] of [['', /session_ids/], ['?session_ids[]=a&session_ids[]=b&session_ids[]=c&session_ids[]=d&session_ids[]=e', /1 to 4 sessions/]] as const) {
      const res = await raw(f.server, 'GET', `/v1/best_of/compare${query}`);
      assert.equal(res.status, 400, res.text);
      assert.match(res.json().error.message, message);
    }
    assert.equal((await raw(f.server, 'GET', '/v1/best_of/compare?session_ids[]=sesn_nosuch')).status, 404);
  });
});
