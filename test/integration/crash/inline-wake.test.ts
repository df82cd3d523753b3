import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentOf } from '../../../src/model/scripted';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { ALL_DONE, inlineScript, leadParams, LINTER } from './inline-script';
import { checkThreadsLog } from './threads-script';

// An inline sub-agent's definition lives in its thread's session.thread_created (privately), so a wake after a kill
// resumes the thread with the same definition. This runs a coordinator that defines a linter next to a predefined
// writer to the end, cuts the log after every record from the inline thread's creation on, wakes a fresh runtime on
// each cut and checks every thread finishes as in the uncut run and the linter still asks with its own prompt and
// tools only.

describe('crash: an inline sub-agent\'s thread wakes with its definition', function () {
  this.timeout(600_000);
  let t: TestRuntime;
  let sessionId: string;
  let lines: string[];
  let createdAt: number;

  before(async () => {
    t = await makeTestRuntime({ script: inlineScript() });
    const writer = await t.agent({ name: 'writer' });
    const lead = await t.agent(leadParams(writer));
    const s = await t.runtime.sessions.create({ agent: lead, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
    sessionId = s.id;
    await t.runtime.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'Lint and write' }] }]);
    await t.runtime.settled(sessionId);
    const events = await t.events(sessionId);
    checkThreadsLog(events, ALL_DONE);
    createdAt = events.findIndex((e) => e.type === 'session.thread_created' && e._hangar?.inline_agent);
    assert.ok(createdAt > 0, 'the inline thread was created with its definition');
    await t.runtime.close();
    lines = (await fsp.readFile(path.join(t.storage, 'sessions', sessionId, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
  });
  after(async () => t?.close());

  it('wakes from a cut after every record from the inline thread\'s creation on', async () => {
    for (let cut = createdAt + 1; cut <= lines.length; cut++) {
      const storage = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-inline-cut-'));
      await fsp.cp(t.storage, storage, { recursive: true });
      await fsp.writeFile(path.join(storage, 'sessions', sessionId, 'events.jsonl'), `${lines.slice(0, cut).join('\n')}\n`);
      const next = await makeTestRuntime({ storage, script: inlineScript() });
      try {
        await next.runtime.sessions.wake(sessionId);
        await next.runtime.settled(sessionId);
        assert.deepEqual(next.model.rejected.map((r) => r.message), [], 'the strict server accepted every request after the wake');
        checkThreadsLog(await next.events(sessionId), ALL_DONE);
        for (const r of next.model.requests.filter((x) => agentOf(x) === 'linter')) {
          assert.deepEqual((r.body.tools ?? []).map((x) => x.name), ['write'], 'the woken linter has only its own tools');
          assert.ok(JSON.stringify(r.body.system).includes(LINTER.system), 'and its own prompt');
        }
        const threads = await next.runtime.sessions.threads(sessionId);
        assert.deepEqual(threads.map((x) => x.agent.type).sort(), ['agent', 'agent', 'inline']);
      } catch (err) {
        throw new Error(`cut after record ${cut} of ${lines.length}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      } finally {
        await next.close();
        await fsp.rm(storage, { recursive: true, force: true });
      }
    }
  });
});
