import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { launch, runCollected, setLaunchedNiceness, spawnInThisProcess, type LaunchedProcess } from '../../../src/tools/spawn-off-loop';

// Live processes started from a launcher process (the session's bash, ripgrep) must behave like a spawn on the loop:
// pipes both ways, exit codes and signals, kill, a real pid, and a refusal for a program that cannot start. Started by
// this process itself (spawnInThisProcess: the container's tool server), they must behave the same.

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function collect(proc: LaunchedProcess): { out: () => string; err: () => string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  return { out: () => Buffer.concat(out).toString('utf8'), err: () => Buffer.concat(err).toString('utf8') };
}

/** What every launched process does, whoever starts it. */
function behavesLikeASpawn(): void {
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

  it('a process that exits at once still has its output and close seen by listeners attached after launch resolves', async function () {
    this.timeout(120_000);
    // Its 'spawned', output and 'close' can come in one read of the channel; none may be emitted before the caller listens.
    for (let round = 0; round < 5; round++) {
      const outs = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const proc = await launch('sh', ['-c', `echo ${i}`], { env });
          const io = collect(proc);
          await once(proc, 'close');
          return io.out();
        }),
      );
      assert.deepEqual(outs, Array.from({ length: 40 }, (_, i) => `${i}\n`));
    }
  });

}

describe('processes launched off the event loop', () => {
  behavesLikeASpawn();

  it('forks from launcher processes, a few at once, never from this one', async () => {
    const parents = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const proc = await launch('sh', ['-c', 'sleep 0.5; echo $PPID'], { env });
        const io = collect(proc);
        await once(proc, 'close');
        return Number(io.out());
      }),
    );
    assert.ok(parents.every((ppid) => ppid > 0 && ppid !== process.pid), `parents ${parents.join(', ')}; this process is ${process.pid}`);
    assert.ok(new Set(parents).size > 1, 'eight launches at once went through more than one launcher');
  });

  it('a launcher exits when the process that started it dies', async () => {
    // A Node process that launches a long sleep, prints the launcher's pid (the sleep's parent), and is then SIGKILLed.
    const script = `import('${new URL('../../../src/tools/spawn-off-loop.ts', import.meta.url).href}').then(async ({ launch }) => {
      const p = await launch('sh', ['-c', 'echo $PPID; sleep 60'], { env: { PATH: process.env.PATH } });
      p.stdout.on('data', (c) => process.stdout.write(c));
    });`;
    const host = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(host.stdout, 'data')) as [Buffer];
    const launcherPid = Number(line.toString().trim());
    process.kill(launcherPid, 0);
    host.kill('SIGKILL');
    const gone = async (): Promise<boolean> => {
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(launcherPid, 0);
        } catch {
          return true;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    assert.ok(await gone(), `launcher ${launcherPid} still runs 10 s after its parent was killed`);
  });

  // Last: the launchers of this process keep the niceness (raising it back needs a privilege the user may not have).
  it('gives the processes it launches the niceness asked for, above the niceness of this process, and refuses one out of range', async () => {
    assert.throws(() => setLaunchedNiceness(20), /niceness must be an integer from 0 to 19, not 20/);
    assert.throws(() => setLaunchedNiceness(1.5), /not 1.5/);
    setLaunchedNiceness(3);
    const expected = Math.min(19, os.getPriority() + 3);
    const collected = await runCollected('nice', [], { env });
    const live = await launch('nice', [], { env });
    const io = collect(live);
    await once(live, 'close');
    assert.deepEqual([Number(collected.stdout.toString('utf8')), Number(io.out())], [expected, expected]);
  });
});

describe('processes started by this process (spawnInThisProcess)', () => {
  before(() => spawnInThisProcess());
  after(() => spawnInThisProcess(false));

  behavesLikeASpawn();

  it('forks from this process, with no launcher', async () => {
    const proc = await launch('sh', ['-c', 'echo $PPID'], { env });
    const io = collect(proc);
    await once(proc, 'close');
    const collected = await runCollected('sh', ['-c', 'echo $PPID; cat; echo e >&2; exit 4'], { env, input: 'in\n' });
    assert.deepEqual(
      { launched: Number(io.out()), collected: { ...collected, stdout: collected.stdout.toString('utf8') } },
      { launched: process.pid, collected: { code: 4, stdout: `${process.pid}\nin\n`, stderr: 'e\n' } },
    );
  });

  it('collects a program that cannot start as a run without a code', async () => {
    const missing = await runCollected('hangar-no-such-program', [], { env });
    assert.equal(missing.code, null);
    assert.match(missing.stderr, /ENOENT/);
  });
});
