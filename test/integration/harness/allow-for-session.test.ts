import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { errorOutcome } from '../../../src/harness/tools';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';
import type { EventOf, SessionEvent } from '../../../src/wire';

// "Allow for this session" (issue #12 §5): a session update of the agent's tools, logged as session.updated. The
// waiting call runs, later calls of the tool run without asking, also after the runtime restarts; a revoke makes
// them ask again.

const uses = (events: readonly SessionEvent[]) => events.filter((e): e is EventOf<'agent.tool_use'> => e.type === 'agent.tool_use');
const message = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

/**
 * A local provider whose first provision waits for open() (a Docker container slow to start), and whose sandboxes
 * refuse tools once released, as Docker's do. Like both real providers, it hands a provision under way to every caller.
 */
class HeldProvider {
  private readonly gate: Promise<void>;
  open!: () => void;
  private readonly pending = new Map<string, Promise<Sandbox>>();
  private held = true;
  readonly provider: SandboxProvider;

  constructor(storage: string) {
    this.gate = new Promise((resolve) => (this.open = resolve));
    const inner = new LocalSandboxProvider({ storageRoot: storage });
    this.provider = Object.assign(Object.create(inner) as SandboxProvider, {
      provision: (spec: Parameters<SandboxProvider['provision']>[0]) => {
        const under = this.pending.get(spec.sessionId);
        if (under) return under;
        const wait = this.held ? this.gate : Promise.resolve();
        this.held = false;
        const made = wait.then(async () => refusingOnceReleased(await inner.provision(spec))).finally(() => this.pending.delete(spec.sessionId));
        this.pending.set(spec.sessionId, made);
        return made;
      },
    });
  }
}

function refusingOnceReleased(sandbox: Sandbox): Sandbox {
  let released = false;
  return Object.assign(Object.create(sandbox) as Sandbox, {
    execute: (...args: Parameters<Sandbox['execute']>) => (released ? Promise.resolve(errorOutcome('The sandbox was released.')) : sandbox.execute(...args)),
    release: () => {
      released = true;
      return sandbox.release();
    },
  });
}

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

    it('runs the waiting call in a new sandbox when the review asks for one while the allowance releases one still being made', async () => {
      let held: HeldProvider | undefined;
      t = await makeTestRuntime({
        api,
        provider: (storage) => (held = new HeldProvider(storage)).provider,
        script: [reply.tool('bash', { command: 'echo 1 > one.txt' }), reply.text('done')],
      });
      const id = await t.start('run', { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
      await t.waitFor(id, idleAfter(1));
      // The review looks at the session's files while its sandbox is still being made.
      const looks = [t.runtime.sessions.changes(id)];
      const allowed = t.runtime.permissions.allow(id, { name: 'bash' });
      await t.waitFor(id, (events) => events.some((e) => e.type === 'session.updated'));
      // It looks again while the allowance releases the sandbox (which waits for the sandbox to be made).
      for (let i = 0; i < 10; i++) {
        looks.push(t.runtime.sessions.changes(id));
        await new Promise((r) => setTimeout(r, 20));
      }
      held!.open();
      await allowed;
      await Promise.allSettled(looks);
      const events = await t.waitFor(id, idleAfter(2));
      const result = events.find((e) => e.type === 'agent.tool_result');
      assert.ok(result?.type === 'agent.tool_result' && !result.is_error, `the confirmed call ran: ${JSON.stringify(result?.type === 'agent.tool_result' ? result.content : null)}`);
      assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path), ['one.txt']);
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
