import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScriptedModel } from '../../../src/model/scripted';
import type { Runtime } from '../../../src/runtime';
import { startScriptedFor, type ModelApi } from '../../support/model-apis';
import type { SessionEvent } from '../../../src/wire';
import { makeRepo } from '../../support/runtime';
import { bundleCrashChild, runChild } from './child';
import { wakeRuntime } from './wake-runtime';
import { rng } from './cli-trials';
import { checkThreadsLog, threadsScript } from './threads-script';

// Random SIGKILLs of a process driving a multi-agent session (a coordinator and two sub-agents, each running tools
// in its own thread and shell): each trial kills the child after a random number of acknowledged events (plus a few
// ms), wakes the session in a fresh runtime and checks the log: every acknowledged event is there once, every
// tool_use answered once, every delegation made one thread and got one answer, the session idle at the end, and the
// strict scripted server accepted every request (thinking passed back, no tool_use unanswered). Used with a small
// count by threads-crash.test.ts and a large one by test/bench/thread-crash-trials.bench.ts. Seeded: a failure names
// the seed and trial to replay.

/** Tool calls each sub-agent makes before it answers. */
const STEPS = 3;

export interface ThreadTrialOptions {
  trials: number;
  seed: number;
  /** The model API the scripted model speaks (default: Anthropic's Messages API). */
  api?: ModelApi;
  log?: (line: string) => void;
}

export interface ThreadTrialStats {
  trials: number;
  /** Trials whose wake answered a tool call the kill cut short. */
  repairedToolCalls: number;
  /** Trials killed before every sub-agent thread existed. */
  killedBeforeThreads: number;
  /** Trials killed after both threads existed and before both answers reached the coordinator. */
  killedWhileDelegated: number;
}

const events = async (runtime: Runtime, id: string): Promise<SessionEvent[]> => [...(await runtime.sessions.listEvents(id, { limit: 100_000 })).data];

/** How many events an uncut run logs: kill points are drawn below it. */
async function fullRunLength(api: ModelApi, bundle: string, storage: string, model: ScriptedModel, repo: string): Promise<number> {
  const { sessionId } = await runChild(bundle, storage, model, repo, 'idle', 0, 'threads', api);
  const runtime = wakeRuntime(api, storage, model.url, 'thread-trials-count');
  try {
    const all = await events(runtime, sessionId);
    checkThreadsLog(all);
    return all.length;
  } finally {
    await runtime.close();
  }
}

export async function runThreadCrashTrials(opts: ThreadTrialOptions): Promise<ThreadTrialStats> {
  const random = rng(opts.seed);
  const api = opts.api ?? 'anthropic';
  const model = await startScriptedFor(api, { script: threadsScript(STEPS) });
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-thread-crash-'));
  const repo = makeRepo();
  const stats: ThreadTrialStats = { trials: 0, repairedToolCalls: 0, killedBeforeThreads: 0, killedWhileDelegated: 0 };
  try {
    const bundle = await bundleCrashChild(storage);
    const full = await fullRunLength(api, bundle, storage, model, repo);
    assert.deepEqual(model.rejected.map((r) => r.message), [], 'the uncut run was accepted');
    for (let trial = 0; trial < opts.trials; trial++) {
      const killAfter = 1 + Math.floor(random() * (full - 1));
      const delay = Math.floor(random() * 8);
      const { sessionId, acked } = await runChild(bundle, storage, model, repo, killAfter, delay, 'threads', api);
      const runtime = wakeRuntime(api, storage, model.url, 'thread-trials');
      try {
        const cut = await events(runtime, sessionId);
        const logged = new Set(cut.map((e) => e.id));
        for (const id of acked) assert.ok(logged.has(id), `acknowledged event ${id} survived the kill`);
        const threads = cut.filter((e) => e.type === 'session.thread_created').length;
        if (threads < 2) stats.killedBeforeThreads += 1;
        else if (cut.filter((e) => e.type === 'agent.thread_message_received' && !e._hangar?.thread && e._hangar?.answers).length < 2) stats.killedWhileDelegated += 1;
        if (!cut.some((e) => e.type === 'user.message')) {
          await runtime.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'Split the work' }] }]);
        } else await runtime.sessions.wake(sessionId);
        await runtime.settled(sessionId);
        const after = await events(runtime, sessionId);
        assert.deepEqual(after.slice(0, cut.length).map((e) => e.id), cut.map((e) => e.id), 'the wake only appended');
        if (after.some((e) => e.type === 'agent.tool_result' && JSON.stringify(e.content).includes('interrupted'))) stats.repairedToolCalls += 1;
        checkThreadsLog(after);
        assert.deepEqual(model.rejected.map((r) => r.message), [], 'the strict server accepted every request');
        stats.trials += 1;
        opts.log?.(`trial ${trial}: killed after ${killAfter}/${full} events (+${delay} ms), ${after.length - cut.length} events on wake`);
      } catch (err) {
        throw new Error(`${api}: seed ${opts.seed}, trial ${trial} (kill after ${killAfter} of ${full} events, +${delay} ms): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      } finally {
        await runtime.close();
      }
    }
    return stats;
  } finally {
    await model.close();
    rmSync(storage, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}
