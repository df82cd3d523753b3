import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reply, type ScriptedModel, type RecordedRequest } from '../../../src/model/scripted';
import { MODEL_APIS, startScriptedFor } from '../../support/model-apis';
import { makeRepo } from '../../support/runtime';
import type { SessionEvent } from '../../../src/wire';
import { bundleCrashChild, runChild } from './child';
import { wakeRuntime } from './wake-runtime';

// SIGKILL a process that drives a multi-step session at many different points; each time a fresh process wakes
// the session from its log and finishes it, and the log checks out (ARCHITECTURE.md invariant 2).

const STEPS = 4;
const TRIALS = Number(process.env.HANGAR_CRASH_TRIALS ?? 50);
// The kill points are the harness's; the second model API changes only what the model stream looks like, so it
// gets half the trials.
const TRIALS_OF = { anthropic: TRIALS, openai: Math.ceil(TRIALS / 2) };

function responder(req: RecordedRequest) {
  const done = JSON.stringify(req.body.messages).split('"tool_result"').length - 1;
  if (done >= STEPS) return reply.text('all steps done');
  const tools = [
    reply.tool('bash', { command: `echo step${done} >> steps.txt; sleep 0.0${done}` }),
    reply.tool('write', { file_path: `out/${done}.txt`, content: `step ${done}\n` }),
    reply.tool('read', { file_path: 'README.md' }),
    reply.tool('bash', { command: 'ls out | wc -l' }),
  ];
  return tools[done % tools.length]!;
}

function checkLog(events: readonly SessionEvent[]): void {
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'event ids are unique');
  const results = new Map<string, number>();
  for (const e of events) {
    const key = e.type === 'agent.tool_result' ? e.tool_use_id : e.type === 'agent.mcp_tool_result' ? e.mcp_tool_use_id : e.type === 'user.custom_tool_result' ? e.custom_tool_use_id : null;
    if (key) results.set(key, (results.get(key) ?? 0) + 1);
  }
  const uses = events.filter((e) => e.type === 'agent.tool_use');
  for (const u of uses) assert.equal(results.get(u.id), 1, `tool_use ${u.id} has exactly one result`);
  for (const key of results.keys()) assert.ok(ids.includes(key), `result for ${key} answers a logged tool_use`);
  for (const u of uses) {
    const resultIndex = events.findIndex((e) => e.type === 'agent.tool_result' && e.tool_use_id === u.id);
    assert.ok(resultIndex > events.indexOf(u), 'a result comes after its tool_use');
  }
  const times = events.map((e) => e.processed_at ?? '');
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, 'processed_at never goes backwards');
  const last = events.at(-1);
  assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', `the session ends idle end_turn (last: ${last?.type})`);
}

for (const api of MODEL_APIS) {
  describe(`crash: SIGKILL at random points, then wake() finishes the session (${api})`, function () {
    const trials = TRIALS_OF[api];
    this.timeout(trials * 20_000);
    let model: ScriptedModel;
    let storage: string;
    let repo: string;
    let bundle: string;

    before(async () => {
      model = await startScriptedFor(api, { script: responder });
      storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-crash-'));
      repo = makeRepo();
      bundle = await bundleCrashChild(storage);
    });
    after(async () => {
      await model.close();
      rmSync(storage, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    });

    it(`survives ${trials} kills with a consistent log`, async () => {
      const fullRunEvents = 4 + STEPS * 6;
      let repaired = 0;
      for (let trial = 0; trial < trials; trial++) {
        const killAfter = 1 + (trial % fullRunEvents);
        const { sessionId, acked } = await runChild(bundle, storage, model, repo, killAfter, Math.floor(Math.random() * 8), '', api);
        const runtime = wakeRuntime(api, storage, model.url, 'crash-parent');
        try {
          let events = (await runtime.sessions.listEvents(sessionId, { limit: 100_000 })).data;
          const logged = new Set(events.map((e) => e.id));
          for (const id of acked) assert.ok(logged.has(id), `trial ${trial}: acknowledged event ${id} survived the kill`);
          if (!events.some((e) => e.type === 'user.message')) {
            await runtime.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'do the steps' }] }]);
          } else await runtime.sessions.wake(sessionId);
          await runtime.settled(sessionId);
          events = (await runtime.sessions.listEvents(sessionId, { limit: 100_000 })).data;
          if (events.some((e) => e.type === 'agent.tool_result' && JSON.stringify(e.content).includes('interrupted'))) repaired += 1;
          checkLog(events);
          // The server is strict: a wake that left a tool call unanswered (or, with Claude, which thinks as
          // claude-sonnet-5-5 is adaptive, dropped or altered a thinking block) would have been refused with a 400.
          assert.deepEqual(model.rejected.map((r) => r.message), [], 'the strict server accepted every request');
          if (api === 'anthropic') assert.ok(events.some((e) => e.type === 'agent.thinking'), 'the model thought');
        } catch (err) {
          throw new Error(`trial ${trial} (kill after ${killAfter} events): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        } finally {
          await runtime.close();
        }
      }
      // Most kill points fall between a tool_use and its result at least sometimes; the repair path must have run.
      assert.ok(repaired > 0, 'some trials needed an interrupted-tool repair');
      if (api === 'anthropic') assert.ok(model.requests.every((r) => r.body.thinking?.type === 'adaptive'), 'every request asked for thinking');
    });
  });
}
