import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import path from 'node:path';
import { acquireLease } from '../../../src/log/lease';
import { SessionLog } from '../../../src/log/session-log';
import { Runtime } from '../../../src/runtime';
import { reply } from '../../../src/model/scripted';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';
import type { SessionEvent } from '../../../src/wire';

// A window reload or extension update closes the runtime in the middle of work; a new runtime on the same storage
// must continue the session (ARCHITECTURE.md invariant 2), not end it as if the user had interrupted.

for (const api of MODEL_APIS) {
  describe(`harness: a runtime closed mid-turn is continued by the next one (${api})`, () => {
    let t: TestRuntime;
    afterEach(async () => t?.close());

    const reopen = () => t.reopen();

    const finished = async (rt: Runtime, id: string): Promise<SessionEvent[]> => {
      await rt.settled(id);
      return (await rt.sessions.listEvents(id, { limit: 1000 })).data;
    };

    it('during a model request: the next runtime asks the model again and answers', async () => {
      t = await makeTestRuntime({ api, script: (req) => (req.seq === 0 ? reply.text('too late', { delay_ms: 3000 }) : reply.text('answered after reload')) });
      const id = await t.start('hi');
      await t.waitFor(id, (e) => e.some((x) => x.type === 'span.model_request_start'));
      // The span starts before the request is sent (the SDK loads on first use): close only once it is in flight.
      while (t.model.requests.length === 0) await sleep(10);
      await t.runtime.close();
      const rt = reopen();
      assert.deepEqual(await rt.sessions.resumeInterrupted(), [id]);
      const events = await finished(rt, id);
      const ends = events.filter((e) => e.type === 'span.model_request_end');
      assert.equal(ends.length, 2);
      assert.ok(ends[0]?.type === 'span.model_request_end' && ends[0].is_error, 'the cut-off request is closed as failed');
      assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('answered after reload')), JSON.stringify(events.map((e) => [e.type, 'content' in e ? e.content : ''])));
      const last = events.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn');
    });

    it('during a tool call: the call gets an "interrupted, effects unknown" result and the model carries on', async () => {
      t = await makeTestRuntime({ api, script: [reply.tool('bash', { command: 'sleep 20' }), reply.text('saw the interruption')] });
      const id = await t.start('run it');
      await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.tool_use'));
      await new Promise((r) => setTimeout(r, 200));
      await t.runtime.close();
      const rt = reopen();
      await rt.sessions.resumeInterrupted();
      const events = await finished(rt, id);
      const results = events.filter((e) => e.type === 'agent.tool_result');
      assert.equal(results.length, 1);
      assert.match(JSON.stringify(results[0]), /may or may not have happened/);
      assert.match(JSON.stringify(t.model.requests[1]!.body.messages), /may or may not have happened/);
      assert.equal(events.at(-1)?.type, 'session.status_idle');
    });

    it('after the message was logged, before its turn began: the next runtime answers it', async () => {
      t = await makeTestRuntime({ api, script: [reply.text('answered the logged message')] });
      const session = await t.runtime.sessions.create({ agent: await t.agent(), environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
      await t.runtime.close();
      // What a process killed right after delivering the message leaves: the message, durable, and nothing after it
      // (the driver logs status_running with its first request).
      const dir = path.join(t.storage, 'sessions', session.id);
      const lease = await acquireLease(dir, 'killed');
      const log = await SessionLog.open<SessionEvent>(dir, { mode: 'writer', lease });
      await log.append([{ id: '', type: 'user.message', processed_at: new Date().toISOString(), content: [{ type: 'text', text: 'the logged message' }] }], { durable: true });
      await log.close();
      await lease.release();
      const rt = reopen();
      assert.deepEqual(await rt.sessions.resumeInterrupted(), [session.id]);
      const events = await finished(rt, session.id);
      assert.match(JSON.stringify(t.model.requests[0]!.body.messages), /the logged message/);
      assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('answered the logged message')));
      const last = events.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', JSON.stringify(last));
    });
  });
}
