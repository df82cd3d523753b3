import assert from 'node:assert/strict';
import { byAgent, delegating, DELEGATION_DONE, reply } from '../../../src/model/scripted';
import { sessionRoster, type EventOf, type SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// "Allow for this session" on a sub-agent's call: it allows the tool for that thread's agent for the rest of the
// session, while another thread keeps running (no release, no refusal because the session runs); the waiting call
// runs, the next one does not ask; the coordinator's own allowances are untouched; a revoke makes it ask again.

const asks = (events: readonly SessionEvent[]) => events.filter((e): e is EventOf<'agent.tool_use'> => e.type === 'agent.tool_use' && e._hangar?.thread !== undefined);
const askBash = { type: 'agent_toolset_20260401' as const, configs: [{ name: 'bash' as const, permission_policy: { type: 'always_ask' as const } }] };

describe('harness: allow a tool for the rest of the session in a sub-agent thread', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it("allows the tool for that sub-agent's thread while another runs, and a revoke makes it ask again", async () => {
    t = await makeTestRuntime({
      script: byAgent({
        lead: delegating({ tester: 'Write the files', sleeper: 'Take a nap' }, ['tested', 'slept']),
        tester: [reply.tool('bash', { command: 'echo 1 > one.txt' }), reply.tool('bash', { command: 'echo 2 > two.txt' }), reply.text('tested')],
        sleeper: [reply.tool('bash', { command: 'sleep 6' }), reply.text('slept')],
      }),
    });
    const tester = await t.agent({ name: 'tester', tools: [askBash] });
    const sleeper = await t.agent({ name: 'sleeper' });
    const lead = await t.agent({ name: 'lead', tools: [askBash], multiagent: { type: 'coordinator', agents: [tester, sleeper] } });
    const id = (await t.runtime.sessions.create({ agent: lead, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
    await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'Split the work' }] }]);

    let events = await t.waitFor(id, (e) => asks(e).some((u) => u.evaluated_permission === 'ask'), 20_000);
    const first = asks(events).find((u) => u.evaluated_permission === 'ask')!;
    const thread = first.session_thread_id!;
    assert.equal((await t.runtime.sessions.retrieve(id)).status, 'running', 'the sleeper still runs while the tester waits');
    assert.deepEqual(await t.runtime.permissions.allowed(id, thread), []);
    await assert.rejects(t.runtime.permissions.allow(id, { name: 'bash' }, 'sthr_011nothing'), /has no thread sthr_011nothing/);

    await t.runtime.permissions.allow(id, { name: 'bash' }, thread);
    events = await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE)) && e.at(-1)?.type === 'session.status_idle', 30_000);
    const testerUses = asks(events).filter((u) => u.session_thread_id === thread);
    assert.deepEqual(testerUses.map((u) => u.evaluated_permission), ['ask', 'allow'], 'the waiting call ran and the next did not ask');
    assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path).sort(), ['one.txt', 'two.txt']);
    assert.ok(events.some((e) => e.type === 'session.updated'), 'the allowance is in the log');

    assert.deepEqual(await t.runtime.permissions.allowed(id, thread), [{ name: 'bash' }]);
    assert.deepEqual(await t.runtime.permissions.allowed(id), [], "the coordinator's own bash still asks");
    const snapshot = sessionRoster((await t.runtime.sessions.retrieve(id)).agent).find((m) => m.name === 'tester')!;
    assert.equal(snapshot.tools.find((x) => x.type === 'agent_toolset_20260401')?.configs.find((c) => c.name === 'bash')?.permission_policy.type, 'always_allow');

    await t.runtime.permissions.revoke(id, { name: 'bash' }, thread);
    assert.deepEqual(await t.runtime.permissions.allowed(id, thread), []);
    await assert.rejects(t.runtime.permissions.revoke(id, { name: 'bash' }, thread), /nothing to revoke/);
  });
});
