import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { reply } from '../../../src/model/scripted';
import { useCli } from './harness';

// `hangar events ID --follow` on this machine's storage: the session's history, then what another process adds to
// it, live, each event once and in the log's order, until the user stops it.

describe('cli: events --follow on local storage', function () {
  this.timeout(120_000);
  const t = useCli();

  it('prints the history, then the events another process adds, each once and in order, and ends on SIGTERM with 143', async () => {
    t.model.push(reply.text('first answer'));
    const run = await t.hangar(['--json', 'run', '--repo', t.repo, 'first task']);
    assert.equal(run.code, 0, run.stderr);
    const id = /"(sesn_\w+)"/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);

    const follower = spawn(process.execPath, [t.cli, '--json', 'events', id, '--follow'], { env: t.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
    follower.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('exit', (code) => resolve(code)));
    const until = async (cond: () => boolean, what: string) => {
      for (const deadline = Date.now() + 60_000; !cond(); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout:\n${out}\nstderr:\n${err}`);
      }
    };
    const idles = () => out.split('"session.status_idle"').length - 1;
    try {
      await until(() => out.includes('first answer') && idles() >= 1, 'the history');
      t.model.push(reply.text('second answer'));
      const sent = await t.hangar(['--json', 'send', id, 'second task']);
      assert.equal(sent.code, 0, sent.stderr);
      await until(() => out.includes('second answer') && idles() >= 2, 'the second turn, live');

      const printed = out.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
      const stored = await t.hangar(['--json', 'events', id]);
      assert.equal(stored.code, 0, stored.stderr);
      const logged = stored.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
      assert.deepEqual(printed, logged, 'the follower printed the whole log, each event once, in order');
    } finally {
      follower.kill('SIGTERM');
    }
    assert.equal(await exited, 143, `SIGTERM ends the follower after closing its runtime (exit 143); stderr:\n${err}`);
  });
});
