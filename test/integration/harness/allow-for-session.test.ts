import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';
import type { EventOf, SessionEvent } from '../../../src/wire';

// "Allow for this session" (issue #12 §5): a session update of the agent's tools, logged as session.updated. The
// waiting call runs, later calls of the tool run without asking, also after the runtime restarts; a revoke makes
// them ask again.

const uses = (events: readonly SessionEvent[]) => events.filter((e): e is EventOf<'agent.tool_use'> => e.type === 'agent.tool_use');
const message = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

for (const api of MODEL_APIS) {
  describe(`harness: allow a tool for the rest of the session (${api})`, () => {
    let t: TestRuntime;
    afterEach(async () => t?.close());

    it('runs the waiting call and later ones without asking, across a restart, and asks again after a revoke', async () => {
      t = await makeTestRuntime({
        api,
        script: [
          reply.tool('bash', { command: 'echo 1 > one.txt' }),
          reply.tool('bash', { command: 'echo 2 > two.txt' }),
          reply.text('two done'),
          reply.tool('bash', { command: 'echo 3 > three.txt' }),
          reply.text('three done'),
          reply.tool('bash', { command: 'echo 4 > four.txt' }),
        ],
      });
      const id = await t.start('run', { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
      let events = await t.waitFor(id, idleAfter(1));
      assert.equal(uses(events)[0]?.evaluated_permission, 'ask');
      assert.deepEqual(await t.runtime.permissions.allowed(id), []);

      await t.runtime.permissions.allow(id, { name: 'bash' });
      events = await t.waitFor(id, idleAfter(2));
      const updated = events.find((e) => e.type === 'session.updated');
      assert.ok(updated?.type === 'session.updated' && updated.agent, 'the allowance is a session.updated in the log');
      assert.ok(events.some((e) => e.type === 'user.tool_confirmation' && e.result === 'allow'), 'the waiting call was confirmed');
      assert.deepEqual(uses(events).map((u) => u.evaluated_permission), ['ask', 'allow']);
      const idles = events.filter((e) => e.type === 'session.status_idle');
      assert.ok(idles[1]?.type === 'session.status_idle' && idles[1].stop_reason.type === 'end_turn');
      assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path).sort(), ['one.txt', 'two.txt']);

      // A new runtime on the same storage (a window reload) keeps the allowance.
      await t.runtime.close();
      const rt = t.reopen();
      assert.deepEqual(await rt.permissions.allowed(id), [{ name: 'bash' }]);
      assert.equal((await rt.sessions.retrieve(id)).agent.tools.find((x) => x.type === 'agent_toolset_20260401')?.configs.find((c) => c.name === 'bash')?.permission_policy.type, 'always_allow');
      await rt.sessions.send(id, [message('again')]);
      await rt.settled(id);
      events = (await rt.sessions.listEvents(id, { limit: 1000 })).data;
      assert.deepEqual(uses(events).map((u) => u.evaluated_permission), ['ask', 'allow', 'allow']);
      const again = events.at(-1);
      assert.ok(again?.type === 'session.status_idle' && again.stop_reason.type === 'end_turn', 'no question was asked');

      await rt.permissions.revoke(id, { name: 'bash' });
      assert.deepEqual(await rt.permissions.allowed(id), []);
      await assert.rejects(rt.permissions.revoke(id, { name: 'bash' }), /nothing to revoke/);
      await rt.sessions.send(id, [message('once more')]);
      await rt.settled(id);
      events = (await rt.sessions.listEvents(id, { limit: 1000 })).data;
      assert.deepEqual(uses(events).map((u) => u.evaluated_permission), ['ask', 'allow', 'allow', 'ask']);
      const last = events.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'requires_action', 'the call after the revoke waits for the user');
      assert.equal(events.filter((e) => e.type === 'session.updated').length, 2, 'allow and revoke are both in the log');
    });

    it('refuses a revoke while the agent runs, saying when it can be done', async () => {
      t = await makeTestRuntime({ api, script: [reply.tool('bash', { command: 'true' }), reply.text('slow answer', { delay_ms: 3000 })] });
      const id = await t.start('run', { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
      await t.waitFor(id, idleAfter(1));
      await t.runtime.permissions.allow(id, { name: 'bash' });
      await t.waitFor(id, (events) => events.filter((e) => e.type === 'span.model_request_start').length >= 2);
      await assert.rejects(t.runtime.permissions.revoke(id, { name: 'bash' }), /bash stays allowed until the agent stops.*Revoke it once the turn ends, or interrupt the agent first/);
      await t.waitFor(id, idleAfter(2));
      await t.runtime.permissions.revoke(id, { name: 'bash' });
      assert.deepEqual(await t.runtime.permissions.allowed(id), []);
    });
  });
}
