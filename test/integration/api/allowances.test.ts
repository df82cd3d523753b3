import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import type { AgentCreateParams } from '../../../src/wire';
import { SessionAllowances } from '../../../src/wire/allowances';
import { collect, idleWith, raw, startApi, type ApiFixture } from './helpers';

// "Allow for this session" through Hangar's API (issue #15, src/api/allowances.ts), with the real SDK's raw get and
// post as a detached VS Code sends them: the waiting call runs at once, later calls of the tool do not ask, a revoke
// makes them ask again; bad input is refused with what to send instead and changes nothing.

const ASKING_BASH: Partial<AgentCreateParams> = { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', enabled: true, permission_policy: { type: 'always_ask' } }] }] };

describe('API: allowances (allow for this session)', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  const allowances = async (id: string, path = '', body?: unknown) =>
    SessionAllowances.parse(body === undefined ? await f.client.get(`/v1/sessions/${id}/allowances${path}`) : await f.client.post(`/v1/sessions/${id}/allowances${path}`, { body }));

  it('allows a tool for the session (the waiting call runs, the next does not ask) and revokes it', async () => {
    f = await startApi({ script: [reply.tool('bash', { command: 'echo one' }), reply.tool('bash', { command: 'echo two' }), reply.text('both ran'), reply.tool('bash', { command: 'echo three' })] });
    const session = await f.session((await f.agent(ASKING_BASH)).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'run them' }] }] });
    await collect(stream, idleWith('requires_action'));
    assert.deepEqual(await allowances(session.id), { type: 'session_allowances', tools: [], sub_agents: [] });

    const resumed = await f.client.beta.sessions.events.stream(session.id);
    const after = await allowances(session.id, '', { tool: { name: 'bash' } });
    assert.deepEqual(after.tools, [{ name: 'bash' }]);
    await collect(resumed, idleWith('end_turn'));
    const uses = (await f.client.beta.sessions.events.list(session.id, { types: ['agent.tool_use'] })).data;
    assert.deepEqual(uses.map((u) => u.type === 'agent.tool_use' && u.evaluated_permission), ['ask', 'allow'], 'the waiting call ran, the next was allowed');
    const retrieved = await f.client.beta.sessions.retrieve(session.id);
    assert.match(JSON.stringify(retrieved.agent.tools), /"name":"bash"[^}]*"permission_policy":\{"type":"always_allow"\}/, JSON.stringify(retrieved.agent.tools));

    assert.deepEqual((await allowances(session.id, '/revoke', { tool: { name: 'bash' } })).tools, []);
    const again = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'once more' }] }] });
    await collect(again, idleWith('requires_action'));
    const last = (await f.client.beta.sessions.events.list(session.id, { types: ['agent.tool_use'], order: 'desc', limit: 1 })).data[0];
    assert.equal(last?.type === 'agent.tool_use' && last.evaluated_permission, 'ask', 'after the revoke, bash asks again');
  });

  it('refuses what it cannot allow or revoke, with the reason, and changes nothing', async () => {
    f = await startApi({ script: [reply.text('hi')] });
    const session = await f.session((await f.agent({ tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'grep', enabled: false }] }] })).id);
    const post = (path: string, body: unknown) => raw(f.server, 'POST', `/v1/sessions/${session.id}/allowances${path}`, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const cases: [string, unknown, number, RegExp][] = [
      ['', { tool: { name: 'nosuch' } }, 400, /tool\.name is not a built-in tool \(bash, read.*mcp_server_name/],
      ['', { tool: { name: 'search', mcp_server_name: 'nowhere' } }, 400, /nowhere\/search is not a tool session .* offers/],
      ['', { tool: { name: 'grep' } }, 400, /grep is not a tool session .* offers \(disabled/],
      ['', { tool: { name: 'bash' }, extra: true }, 400, /extra/],
      ['', { tool: { name: 'bash' }, session_thread_id: 'sthr_nosuch' }, 400, /has no thread sthr_nosuch/],
      ['', {}, 400, /tool/],
      ['/revoke', { tool: { name: 'bash' } }, 400, /bash is not allowed for session .*nothing to revoke/],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await post(path, body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.json().error.message, message, JSON.stringify(body));
    }
    assert.equal((await raw(f.server, 'GET', '/v1/sessions/sesn_nosuch/allowances')).status, 404);
    assert.deepEqual(await allowances(session.id), { type: 'session_allowances', tools: [], sub_agents: [] });
    assert.equal((await f.client.beta.sessions.events.list(session.id, { types: ['session.updated'] })).data.length, 0, 'nothing was logged');
  });
});
