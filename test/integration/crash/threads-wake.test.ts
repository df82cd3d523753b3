import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL_APIS } from '../../support/model-apis';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { AGENTS, checkThreadsLog as check, threadsScript as script } from './threads-script';

// A multi-agent session keeps every thread in the one log, so a kill leaves a prefix of it like any session's. This
// runs a coordinator with two sub-agents to the end, cuts the log after every record (between a delegation's thread
// creation and its message, after a sub-agent's answer left it before the coordinator got it, while tools run in
// either thread…), wakes a fresh runtime on each cut against the strict scripted server and checks that every thread
// finishes: each tool_use answered once, each answer delivered to the coordinator once, the session idle at the end.

for (const api of MODEL_APIS) {
  describe(`crash: a multi-agent session cut after any record wakes with every thread finishing (${api})`, function () {
    this.timeout(600_000);
    let t: TestRuntime;
    let sessionId: string;
    let lines: string[];

    before(async () => {
      t = await makeTestRuntime({ api, script: script() });
      const agents = await Promise.all(AGENTS.map((name) => t.agent({ name })));
      const coordinator = await t.agent({ name: 'lead', multiagent: { type: 'coordinator', agents } });
      const s = await t.runtime.sessions.create({ agent: coordinator, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
      sessionId = s.id;
      await t.runtime.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'Split the work' }] }]);
      await t.runtime.settled(sessionId);
      const events = await t.events(sessionId);
      assert.deepEqual(t.model.rejected, [], 'the uncut run was accepted');
      check(events);
      await t.runtime.close();
      lines = (await fsp.readFile(path.join(t.storage, 'sessions', sessionId, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
    });
    after(async () => t?.close());

    it('wakes from a cut after every record of the log', async () => {
      let cutsInsideDelegation = 0;
      for (let cut = 1; cut <= lines.length; cut++) {
        const storage = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-threads-cut-'));
        await fsp.cp(t.storage, storage, { recursive: true });
        await fsp.writeFile(path.join(storage, 'sessions', sessionId, 'events.jsonl'), `${lines.slice(0, cut).join('\n')}\n`);
        const next = await makeTestRuntime({ api, storage, script: script() });
        try {
          const cutEvents = await next.events(sessionId);
          assert.equal(cutEvents.length, cut, 'the cut log opens as cut');
          const last = cutEvents.at(-1)!;
          if (last.type === 'session.thread_created' || (last.type === 'agent.thread_message_sent' && last._hangar?.delegation)) cutsInsideDelegation += 1;
          await next.runtime.sessions.wake(sessionId);
          await next.runtime.settled(sessionId);
          assert.deepEqual(next.model.rejected.map((r) => r.message), [], 'the strict server accepted every request after the wake');
          check(await next.events(sessionId));
        } catch (err) {
          throw new Error(`cut after record ${cut} of ${lines.length}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        } finally {
          await next.close();
          await fsp.rm(storage, { recursive: true, force: true });
        }
      }
      assert.ok(cutsInsideDelegation >= 2, `some cuts fall inside a delegation (${cutsInsideDelegation})`);
    });
  });
}
