import assert from 'node:assert/strict';
import { once } from 'node:events';
import { launch, type LaunchedProcess } from '../../../src/tools/spawn-off-loop';

// Live processes started from the launcher thread (the session's bash, ripgrep) must behave like a spawn on the loop:
// pipes both ways, exit codes and signals, kill, a real pid, and a refusal for a program that cannot start.

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function collect(proc: LaunchedProcess): { out: () => string; err: () => string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  return { out: () => Buffer.concat(out).toString('utf8'), err: () => Buffer.concat(err).toString('utf8') };
}

describe('processes launched off the event loop', () => {
  it('relays stdin and both output pipes in order, then the exit code', async () => {
    const proc = await launch('sh', ['-c', 'while read line; do echo "got $line"; done; echo bye >&2; exit 7'], { env, stdin: true });
    const io = collect(proc);
    const closed = once(proc, 'close');
    proc.stdin.write('one\n');
    proc.stdin.write(Buffer.from('two\n'));
    proc.stdin.end();
    const [code, signal] = await closed;
    assert.deepEqual({ code, signal, out: io.out(), err: io.err() }, { code: 7, signal: null, out: 'got one\ngot two\n', err: 'bye\n' });
    assert.equal(proc.kill(), false, 'an exited process is not signalled');
  });

  it('runs in the given directory, in a process group of its own when detached, and can be killed', async () => {
    const proc = await launch('sh', ['-c', 'pwd; ps -o pgid= -p $$; sleep 60'], { cwd: '/tmp', env, detached: true });
    const io = collect(proc);
    const exited = once(proc, 'exit');
    await new Promise<void>((resolve) => proc.stdout.on('data', () => io.out().split('\n').length > 2 && resolve()));
    const [cwd, pgid] = io.out().split('\n');
    assert.deepEqual({ cwd, pgid: Number(pgid) }, { cwd: '/tmp', pgid: proc.pid });
    process.kill(proc.pid, 0);
    assert.equal(proc.kill('SIGKILL'), true);
    assert.deepEqual(await exited, [null, 'SIGKILL']);
  });

  it('refuses a program that cannot start, and later launches still work', async () => {
    await assert.rejects(launch('hangar-no-such-program', [], { env }), /ENOENT/);
    const proc = await launch('sh', ['-c', 'echo ok'], { env });
    const io = collect(proc);
    await once(proc, 'close');
    assert.equal(io.out(), 'ok\n');
  });
});
