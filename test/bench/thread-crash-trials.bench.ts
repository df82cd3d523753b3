// The multi-agent crash trials (test/integration/crash/thread-trials.ts) with a long count: random SIGKILLs of a
// process driving a coordinator and two sub-agents, each woken and checked. Prints what the trials covered.
// Run: npx tsx test/bench/thread-crash-trials.bench.ts [--trials 200] [--seed N]
import { runThreadCrashTrials } from '../integration/crash/thread-trials';
import { printTable, writeResults } from './lib';

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const trials = Number(arg('--trials')) || 200;
const seed = Number(arg('--seed')) || Date.now() % 1_000_000;
const start = performance.now();
const stats = await runThreadCrashTrials({ trials, seed, log: (l) => process.stderr.write(`${l}\n`) });
const seconds = (performance.now() - start) / 1000;
const rows = [{ seed, ...stats, 'wall s': seconds, 's per trial': seconds / trials }];
printTable(`Crash trials: random SIGKILLs of a multi-agent session (seed ${seed})`, rows);
console.log(`\nresults: ${await writeResults('thread-crash-trials', rows)}`);
