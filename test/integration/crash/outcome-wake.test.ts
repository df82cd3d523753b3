import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isGrader, reply, type RecordedRequest } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { MODEL_APIS, startScriptedFor, type ModelApi } from '../../support/model-apis';
import { makeRepo, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { bundleCrashChild, runChild } from './child';
import { wakeRuntime } from './wake-runtime';

// A kill during an outcome's loop (issue #11 §1): what a kill leaves of the log is a prefix of it, so this cuts the log
// of an outcome that takes a revision after every record (inside the agent's turns, between an evaluation's start and
// its end, right after a verdict), wakes a fresh runtime on each cut and checks that the loop finishes satisfied with
// one start and one end per iteration, every end under its start, and the grader asked once per evaluation still owed.

const FEEDBACK = 'README.md must mention hello.txt.';

/** The grader judges the diff only: satisfied once README.md mentions hello.txt. */
const grader = (rec: RecordedRequest) => (JSON.stringify(rec.body.messages).includes('See hello.txt') ? reply.verdict('satisfied', 'Both criteria are met.') : reply.verdict('needs_revision', FEEDBACK));

/** The agent writes hello.txt first, the README after each feedback, and otherwise says it is done. */
function agent(rec: RecordedRequest) {
  const all = JSON.stringify(rec.body.messages);
  const last = JSON.stringify(rec.body.messages.at(-1));
  if (last.includes('grader_feedback')) return reply.tool('write', { file_path: 'README.md', content: '# sample\nSee hello.txt.\n' });
  if (!all.includes('"hello\\n"')) return reply.tool('write', { file_path: 'hello.txt', content: 'hello\n' });
  return reply.text('done');
}
const script = (rec: RecordedRequest) => (isGrader(rec) ? grader(rec) : agent(rec));

const evaluations = (events: readonly SessionEvent[]) => ({
  starts: events.filter((e) => e.type === 'span.outcome_evaluation_start'),
  ends: events.filter((e) => e.type === 'span.outcome_evaluation_end'),
});

function checkLoop(events: readonly SessionEvent[]): void {
  const { starts, ends } = evaluations(events);
  assert.deepEqual(starts.map((e) => e.iteration), starts.map((_, i) => i), 'one start per iteration, in order');
  assert.deepEqual(ends.map((e) => e.iteration), starts.map((_, i) => i), 'one end (one verdict) per iteration');
  ends.forEach((e, i) => assert.equal(e.outcome_evaluation_start_id, starts[i]!.id, 'each end closes its own start'));
  assert.equal(ends.at(-1)?.result, 'satisfied', `the loop ends satisfied (results: ${ends.map((e) => e.result).join(', ')})`);
  assert.ok(ends.slice(0, -1).every((e) => e.result === 'needs_revision'));
  const last = events.at(-1);
  assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', `the session ends idle (last: ${last?.type})`);
}

function outcomeCuts(api: ModelApi): void {
  describe(`crash: a kill anywhere in an outcome loop, then wake(), grades each iteration once (${api})`, function () {
    this.timeout(300_000);
    let t: TestRuntime;
    let sessionId: string;
    let lines: string[];

    before(async () => {
      t = await makeTestRuntime({ api, script });
      const s = await t.runtime.sessions.create({ agent: await t.agent(), environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
      sessionId = s.id;
      await t.runtime.sessions.send(sessionId, [{ type: 'user.define_outcome', description: 'Write hello.txt and document it', rubric: { type: 'text', content: '- hello.txt\n- README mentions it' } }]);
      const events = await t.waitFor(sessionId, (ev) => ev.some((e) => e.type === 'span.outcome_evaluation_end' && e.result === 'satisfied') && ev.at(-1)?.type === 'session.status_idle');
      checkLoop(events);
      assert.equal(evaluations(events).ends.length, 2, 'the uncut run took one revision');
      await t.runtime.close();
      lines = (await fsp.readFile(path.join(t.storage, 'sessions', sessionId, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
    });
    after(async () => t?.close());

    it('wakes from a cut after every record of the log', async () => {
      let cutInGrading = 0;
      for (let cut = 1; cut <= lines.length; cut++) {
        const storage = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-outcome-cut-'));
        await fsp.cp(t.storage, storage, { recursive: true });
        // The sandbox's files are kept as they were at the end: what a tool did before the kill may or may not be there.
        await fsp.writeFile(path.join(storage, 'sessions', sessionId, 'events.jsonl'), `${lines.slice(0, cut).join('\n')}\n`);
        await fsp.rm(path.join(storage, 'sessions', sessionId, 'summary.json'), { force: true });
        const next = await makeTestRuntime({ api, storage, script });
        try {
          const cutEvents = await next.events(sessionId);
          const open = evaluations(cutEvents);
          if (open.starts.length > open.ends.length) cutInGrading += 1;
          await next.runtime.sessions.wake(sessionId);
          for (let i = 0; i < 400; i++) {
            await next.runtime.settled(sessionId);
            const ev = await next.events(sessionId);
            if (ev.at(-1)?.type === 'session.status_idle' && evaluations(ev).ends.at(-1)?.result === 'satisfied') break;
            await new Promise((r) => setTimeout(r, 25));
          }
          const events = await next.events(sessionId);
          checkLoop(events);
          const owed = evaluations(events).ends.length - open.ends.length;
          assert.equal(next.model.requests.filter(isGrader).length, owed, 'the grader was asked once for each evaluation still owed');
          const session = await next.runtime.sessions.retrieve(sessionId);
          assert.equal(session.outcome_evaluations[0]?.result, 'satisfied');
        } catch (err) {
          throw new Error(`cut after record ${cut} of ${lines.length} (${(JSON.parse(lines[cut - 1]!) as { e?: { type?: string } }).e?.type}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        } finally {
          await next.close();
          await fsp.rm(storage, { recursive: true, force: true });
        }
      }
      assert.ok(cutInGrading >= 2, `cuts inside an evaluation: ${cutInGrading}`);
    });
  });
}

function killDuringGrading(api: ModelApi): void {
  describe(`crash: SIGKILL during grading (while the evidence is gathered or the grader request is in flight), then wake() (${api})`, function () {
    this.timeout(120_000);

    it('grades the open iteration once more under the same start: one verdict, and the session finishes', async () => {
      // The killed process's grader request never answers (if it got as far as asking: the kill may also land while the
      // evidence is gathered); after the kill every grader request is satisfied.
      let graded = 0;
      let killed = false;
      const model = await startScriptedFor(api, {
        script: (rec) => {
          if (!isGrader(rec)) return reply.text('done');
          graded += 1;
          return killed ? reply.verdict('satisfied', 'The steps are done.') : reply.fault('hang');
        },
      });
      const storage = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-outcome-kill-'));
      const repo = makeRepo();
      try {
        const bundle = await bundleCrashChild(storage);
        const { sessionId, acked } = await runChild(bundle, storage, model, repo, 'span.outcome_evaluation_start', 500, 'outcome', api);
        killed = true;
        const askedBefore = graded;
        const runtime = wakeRuntime(api, storage, model.url, 'crash-parent');
        try {
          const cut = [...(await runtime.sessions.listEvents(sessionId, { limit: 100_000 })).data];
          for (const id of acked) assert.ok(cut.some((e) => e.id === id), `acknowledged event ${id} survived the kill`);
          assert.equal(evaluations(cut).starts.length, 1);
          assert.equal(evaluations(cut).ends.length, 0, 'killed before the verdict');
          await runtime.sessions.wake(sessionId);
          await runtime.settled(sessionId);
          const events = [...(await runtime.sessions.listEvents(sessionId, { limit: 100_000 })).data];
          const { starts, ends } = evaluations(events);
          assert.equal(starts.length, 1, 'no second start for the iteration');
          assert.deepEqual(ends.map((e) => [e.iteration, e.result, e.outcome_evaluation_start_id]), [[0, 'satisfied', starts[0]!.id]]);
          assert.equal(graded, askedBefore + 1, 'the grader was asked once after the wake');
          const last = events.at(-1);
          assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', `ends idle (last: ${last?.type})`);
          assert.equal((await runtime.sessions.retrieve(sessionId)).outcome_evaluations[0]?.result, 'satisfied');
        } finally {
          await runtime.close();
        }
      } finally {
        await model.close();
        await fsp.rm(storage, { recursive: true, force: true });
        await fsp.rm(repo, { recursive: true, force: true });
      }
    });
  });
}

for (const api of MODEL_APIS) {
  outcomeCuts(api);
  killDuringGrading(api);
}
