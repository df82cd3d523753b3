import assert from 'node:assert/strict';
import { runThreadCrashTrials } from './thread-trials';

// A bounded run of the multi-agent crash trials (thread-trials.ts) for CI; `npm run bench` runs a long one
// (test/bench/thread-crash-trials.bench.ts). HANGAR_CRASH_SEED replays a failure, HANGAR_THREAD_CRASH_TRIALS sets
// the count.

const TRIALS = Number(process.env.HANGAR_THREAD_CRASH_TRIALS ?? 20);
const SEED = Number(process.env.HANGAR_CRASH_SEED ?? Date.now() % 1_000_000);

describe('crash: a multi-agent session SIGKILLed at random points wakes with every thread finishing', function () {
  // A hang guard, not a speed check: the uncut run alone may take minutes on a loaded machine (child.ts).
  this.timeout(TRIALS * 40_000 + 240_000);

  it(`${TRIALS} random SIGKILLs of a coordinator and two sub-agents: nothing lost or doubled, every call and task answered once (seed ${SEED})`, async () => {
    const stats = await runThreadCrashTrials({ trials: TRIALS, seed: SEED });
    assert.equal(stats.trials, TRIALS);
  });
});
