// The crash-trial harness (test/integration/crash/cli-trials.ts) with a long count: random SIGKILLs of `hangar run`
// and of the following resume, each checked as a user would. Prints what the trials covered.
// Run: npx tsx test/bench/crash-trials.bench.ts [--trials 100] [--seed N]
import { runCliTrials } from '../integration/crash/cli-trials';
import { printTable, writeResults } from './lib';

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const trials = Number(arg('--trials')) || 100;
const seed = Number(arg('--seed')) || Date.now() % 1_000_000;
const start = performance.now();
const stats = await runCliTrials({ trials, seed, log: (l) => process.stderr.write(`${l}\n`) });
const seconds = (performance.now() - start) / 1000;
const rows = [{ seed, ...stats, 'wall s': seconds, 's per trial': seconds / trials }];
printTable(`Crash trials: random SIGKILLs of hangar run and resume (seed ${seed})`, rows);
console.log(`\nresults: ${await writeResults('crash-trials', rows)}`);
