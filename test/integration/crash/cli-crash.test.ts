import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { runCliTrials, serveStarts, startCli } from './cli-trials';

// A bounded run of the crash-trial harness (cli-trials.ts) for CI; `npm run bench` runs a long one
// (test/bench/crash-trials.bench.ts). HANGAR_CRASH_SEED replays a failure, HANGAR_CLI_CRASH_TRIALS sets the count.

const TRIALS = Number(process.env.HANGAR_CLI_CRASH_TRIALS ?? 4);
const SEED = Number(process.env.HANGAR_CRASH_SEED ?? Date.now() % 1_000_000);

describe('crash: the CLI killed at random moments, as a user would see it', function () {
  this.timeout(TRIALS * 40_000 + 60_000);

  it(`${TRIALS} random SIGKILLs of hangar run (and resume): storage lists, sessions resume, logs hold (seed ${SEED})`, async () => {
    const stats = await runCliTrials({ trials: TRIALS, seed: SEED });
    assert.equal(stats.trials, TRIALS);
  });

  it('a damaged session is listed by hangar sessions with the fix, serve starts, and hangar delete removes it', async () => {
    const cli = await startCli();
    try {
      const run = await cli.hangar(['--json', 'run', '--repo', cli.repo, 'do the steps']);
      const id = /"session_id":"(sesn_\w+)"/.exec(run.stdout)?.[1];
      assert.ok(id, run.stdout + run.stderr);
      await cli.hangar(['--json', 'run', '--repo', cli.repo, 'another']);
      await fsp.writeFile(path.join(cli.home, 'sessions', id, 'session.json'), '');
      const listed = await cli.hangar(['sessions']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${id}\\s+damaged .*session\\.json is not JSON`));
      assert.match(listed.stdout, new RegExp(`hangar delete ${id}`));
      assert.equal(listed.stdout.trim().split('\n').filter((l) => /^sesn_/.test(l)).length, 2, 'the healthy session is listed too');
      await serveStarts(cli.hangar);
      const deleted = await cli.hangar(['delete', id]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.doesNotMatch((await cli.hangar(['sessions'])).stdout, /damaged/);
    } finally {
      await cli.close();
    }
  });
});
