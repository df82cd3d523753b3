import assert from 'node:assert/strict';
import { MODEL_APIS } from '../../support/model-apis';
import { runThreadCrashTrials } from './thread-trials';

// A bounded run of the multi-agent crash trials (thread-trials.ts) for CI; `npm run bench` runs a long one
// (test/bench/thread-crash-trials.bench.ts). HANGAR_CRASH_SEED replays a failure, HANGAR_THREAD_CRASH_TRIALS sets
// the count (the OpenAI-compatible provider gets half: the kill points are the harness's, the API changes only what
// the model stream looks like).

const TRIALS = Number(process.env.HANGAR_THREAD_CRASH_TRIALS ?? 20);
const SEED = Number(process.env.HANGAR_CRASH_SEED ?? Date.now() % 1_000_000);

for (const api of MODEL_APIS) {
  const trials = api === 'anthropic' ? TRIALS : Math.ceil(TRIALS / 2);
  describe(`crash: a multi-agent session SIGKILLed at random points wakes with every thread finishing (${api})`, function () {
    // A hang guard, not a speed check: the uncut run alone may take minutes on a loaded machine (child.ts).
    this.timeout(trials * 40_000 + 240_000);

    it(`${trials} random SIGKILLs of a coordinator and two sub-agents: nothing lost or doubled, every call and task answered once (seed ${SEED})`, async () => {
      const stats = await runThreadCrashTrials({ trials, seed: SEED, api });
      assert.equal(stats.trials, trials);
    });
  });
}
