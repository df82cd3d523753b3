import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { makeTestRuntime, types, idleAfter, type TestRuntime, type TestRuntimeOptions } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';
import type { SessionEvent } from '../../../src/wire';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import { LocalSandboxProvider } from '../../../src/sandbox/local';

const idle = (e: readonly SessionEvent[]) => e.some((x) => x.type === 'session.status_idle');

for (const api of MODEL_APIS) {
  describe(`harness: steering, interrupts, retries, limits (${api})`, () => {
    const make = (opts: TestRuntimeOptions = {}) => makeTestRuntime({ ...opts, api });
    let t: TestRuntime;
    afterEach(async () => t?.close());

    it('delivers a message sent mid-run at the next model call (steering)', async () => {
      t = await make({ script: [reply.tool('bash', { command: 'sleep 1; echo slept' }), reply.text('noted the steer')] });
      const id = await t.start('start');
      await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.tool_use'));
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'STEER: use python instead' }] }]);
      await t.waitFor(id, idle);
      const second = t.model.requests[1]!.body.messages;
      const lastUser = second.at(-1)!;
      assert.equal(lastUser.role, 'user');
      const text = JSON.stringify(lastUser.content);
      assert.match(text, /STEER: use python instead/);
      assert.ok(text.indexOf('tool_result') < text.indexOf('STEER'), 'tool results lead the user turn');
      assert.equal(t.model.requests.length, 2, 'the steer did not cost an extra request');
    });

    it('interrupt stops a running command fast and leaves the session idle', async () => {
      t = await make({ script: [reply.tool('bash', { command: 'sleep 30 & echo $! > bg.pid; wait' }), reply.text('after')] });
      const id = await t.start('long');
      await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.tool_use'));
      await new Promise((r) => setTimeout(r, 300));
      await t.runtime.sessions.send(id, [{ type: 'user.interrupt' }]);
      // Well before the command's 30 s: the kill waits up to 2 s for the shell and 2 s for its group, zombies
      // included, and where PID 1 reaps orphans slowly (these machines: 1.5-2 s for the background sleep) both can
      // run out before the checkpoint; 5 s failed once in CI.
      const events = await t.waitFor(id, idle, 15_000);
      const result = events.find((e) => e.type === 'agent.tool_result');
      assert.ok(result?.type === 'agent.tool_result' && result.is_error);
      assert.match(JSON.stringify(result.content), /interrupted/);
      const last = events.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn');
      assert.equal(t.model.requests.length, 1, 'the model is not called after an interrupt');
      // A new message starts a new turn.
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go on' }] }]);
      await t.waitFor(id, idleAfter(2));
      assert.equal(t.model.requests.length, 2);
    });

    it('interrupt during a model stream ends the span and goes idle', async () => {
      t = await make({ script: [{ kind: 'fault', fault: 'hang' }, reply.text('fresh')] });
      const id = await t.start('hang');
      await t.waitFor(id, (e) => e.some((x) => x.type === 'span.model_request_start'));
      await t.runtime.sessions.send(id, [{ type: 'user.interrupt' }]);
      const events = await t.waitFor(id, idle, 5000);
      assert.deepEqual(types(events).slice(-3), ['user.interrupt', 'span.model_request_end', 'session.status_idle']);
    });

    it('interrupt on an idle session is a no-op besides its echo', async () => {
      t = await make({ script: [reply.text('hi')] });
      const id = await t.start('hi');
      await t.waitFor(id, idle);
      const before = (await t.events(id)).length;
      await t.runtime.sessions.send(id, [{ type: 'user.interrupt' }]);
      await t.runtime.settled(id);
      const after = await t.events(id);
      assert.deepEqual(types(after.slice(before)), ['user.interrupt']);
    });

    for (const fault of ['rate_limit', 'overloaded', 'server_error', 'drop_mid_stream', 'malformed_sse', 'no_finish_reason'] as const) {
      it(`retries a ${fault} fault with backoff and session.status_rescheduled`, async () => {
        t = await make({ script: [{ kind: 'fault', fault, retry_after_s: 0 }, reply.text('ok after retry')] });
        const id = await t.start('retry');
        const events = await t.waitFor(id, idle);
        const err = events.find((e) => e.type === 'session.error');
        assert.ok(err?.type === 'session.error');
        assert.equal(err.error.retry_status.type, 'retrying');
        const expected = fault === 'rate_limit' ? 'model_rate_limited_error' : fault === 'overloaded' ? 'model_overloaded_error' : 'model_request_failed_error';
        assert.equal(err.error.type, expected);
        assert.ok(types(events).includes('session.status_rescheduled'));
        const last = events.at(-1);
        assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn');
        assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('ok after retry')));
      });
    }

    it('gives up after the retry budget: session.error exhausted and idle retries_exhausted', async () => {
      t = await make({ script: Array.from({ length: 5 }, () => ({ kind: 'fault' as const, fault: 'server_error' as const })) });
      const id = await t.start('doomed');
      const events = await t.waitFor(id, idle);
      const errors = events.filter((e) => e.type === 'session.error');
      assert.equal(errors.length, 4);
      assert.equal(errors.at(-1)?.type === 'session.error' && errors.at(-1)?.error.retry_status.type, 'exhausted');
      const last = events.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'retries_exhausted');
    });

    it('does not retry a request the API rejects as invalid', async () => {
      t = await make({ script: [reply.text('never')], runtime: { maxTokens: -1 } });
      const id = await t.start('bad');
      const events = await t.waitFor(id, idle);
      assert.equal(events.filter((e) => e.type === 'session.error').length, 1);
      assert.equal(t.model.requests.length, 0);
    });

    it('stops a runaway tool loop at the per-turn request limit', async () => {
      t = await make({ script: () => reply.tool('bash', { command: 'true' }), runtime: { maxRequestsPerTurn: 4 } });
      const id = await t.start('loop');
      const events = await t.waitFor(id, idle);
      assert.equal(t.model.requests.length, 4);
      const err = events.find((e) => e.type === 'session.error');
      assert.ok(err?.type === 'session.error' && err.error.type === 'tool_use_limit_reached_error');
    });

    it('sends the first model request without waiting for a slow sandbox (brain before hands)', async () => {
      let provisioned = 0;
      let requestSeenBeforeProvisioned = false;
      t = await make({
        script: (req) => {
          if (provisioned === 0) requestSeenBeforeProvisioned = true;
          return req.seq === 0 ? reply.tool('bash', { command: 'echo hands' }) : reply.text('done');
        },
        provider: (storage) => slowProvider(new LocalSandboxProvider({ storageRoot: storage }), 1500, () => (provisioned = Date.now())),
      });
      const id = await t.start('go');
      const events = await t.waitFor(id, idle);
      assert.ok(requestSeenBeforeProvisioned, 'the model was asked before the sandbox was ready');
      assert.ok(events.some((e) => e.type === 'agent.tool_result' && JSON.stringify(e.content).includes('hands')));
    });
  });
}

export function slowProvider(inner: SandboxProvider, delayMs: number, onReady: () => void): SandboxProvider {
  return {
    kind: inner.kind,
    async provision(spec): Promise<Sandbox> {
      await new Promise((r) => setTimeout(r, delayMs));
      const sb = await inner.provision(spec);
      onReady();
      return sb;
    },
    mount: (id, m) => inner.mount(id, m),
    destroy: (id) => inner.destroy(id),
    reap: (live) => inner.reap(live),
    close: () => inner.close(),
  };
}
