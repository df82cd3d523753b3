import assert from 'node:assert/strict';
import { runCliTrials } from './cli-trials';

// A bounded run of the crash-trial harness (cli-trials.ts) for CI; `npm run bench` runs a long one
// (test/bench/crash-trials.bench.ts). HANGAR_CRASH_SEED replays a failure, HANGAR_CLI_CRASH_TRIALS sets the count.

const TRIALS = Number(process.env.HANGAR_CLI_CRASH_TRIALS ?? 5);
const SEED = Number(process.env.HANGAR_CRASH_SEED ?? Date.now() % 1_000_000);

describe('crash: the CLI killed at random moments, as a user would see it', function () {
  this.timeout(TRIALS * 40_000 + 60_000);

  it(`${TRIALS} random SIGKILLs of hangar run (and resume): storage lists, sessions resume, logs hold (seed ${SEED})`, async () => {
    const stats = await runCliTrials({ trials: TRIALS, seed: SEED });
    assert.equal(stats.trials, TRIALS);
  });
});
