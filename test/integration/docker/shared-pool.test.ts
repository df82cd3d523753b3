import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pidAlive } from '../../../src/log/file-lock';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { SharedRecord, warmDir } from '../../../src/sandbox/docker/shared-pool';
import { makeRepo, requireDocker, TIMEOUT, tmpDir } from './helpers';

const CLAIMER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'shared-claimer.ts');

// Warm containers shared across processes (one-shot CLI runs): a run leaves one behind through a detached keeper, the
// next run in another process claims it; a claim is exclusive across processes, and an unclaimed one expires.

describe('docker sandbox: warm containers shared across processes', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  before(async () => {
    docker = await requireDocker();
  });

  interface Claimer {
    container: string;
    out: string;
    /** Lets the claimer exit (its container is then removed by a detached process) and waits for it. */
    finish(): Promise<void>;
  }

  /** A claimer process, once it has printed its container; it holds the container until finish(). */
  function run(root: string, repo: string, sessionId: string, size: number, idleMs: number): Promise<Claimer> {
    const child = spawn(process.execPath, ['--import', 'tsx', CLAIMER, root, repo, sessionId, String(size), String(idleMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const finish = async () => {
      child.stdin.end();
      const code = await exit;
      if (code !== 0) throw new Error(`claimer ${sessionId} exited ${code}: ${stdout}`);
    };
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('\n')) resolve({ ...(JSON.parse(stdout) as { container: string; out: string }), finish });
      });
      void exit.then((code) => reject(new Error(`claimer ${sessionId} exited ${code} before printing its container: ${stdout}`)));
    });
  }

  /** The announced warm containers of the root, once there are `n` (the keeper makes one after the run exits). */
  async function announced(root: string, n: number): Promise<SharedRecord[]> {
    const dir = warmDir(path.join(root, 'docker'));
    for (let i = 0; i < 600; i++) {
      const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
      if (names.length >= n) return names.map((f) => SharedRecord.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))));
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no ${n} warm containers announced under ${dir}`);
  }

  async function exited(pid: number): Promise<void> {
    for (let i = 0; i < 300 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(!pidAlive(pid), `keeper ${pid} still runs`);
  }

  const running = (id: string) => docker.getContainer(id).inspect().then((i) => i.State.Running, () => false);

  it('two processes race for one warm container: exactly one gets it, the other a fresh one; the keeper leaves', async () => {
    const root = tmpDir('shared');
    const repo = makeRepo({ 'f.txt': 'shared\n' });
    try {
      const first = await run(root, repo, 'first', 1, 120_000);
      await first.finish();
      assert.match(first.out, /^shared/);
      const [warm] = await announced(root, 1);
      assert.ok(warm && warm.containerId !== first.container && (await running(warm.containerId)));
      // Neither racer leaves a keeper behind (size 0): only the race is seen.
      const racers = await Promise.all([run(root, repo, 'racer-a', 0, 120_000), run(root, repo, 'racer-b', 0, 120_000)]);
      const winners = racers.filter((r) => r.container === warm.containerId);
      assert.equal(winners.length, 1, `containers ${racers.map((r) => r.container).join(', ')}; warm ${warm.containerId}`);
      const [a, b] = racers as [Claimer, Claimer];
      assert.notEqual(a.container, b.container);
      for (const r of racers) assert.match(r.out, /^shared/);
      const names = await Promise.all(racers.map((r) => docker.getContainer(r.container).inspect().then((i) => i.Name)));
      assert.deepEqual(names.map((n) => n.replace(/^\/hangar-\w+-/, '')).sort(), ['racer-a', 'racer-b']);
      await exited(warm.keeper);
      assert.ok(await running(warm.containerId), 'the claimed container was removed by its keeper');
      for (const r of racers) await r.finish();
      assert.deepEqual(fs.readdirSync(warmDir(path.join(root, 'docker'))).filter((f) => f.endsWith('.json') || f.endsWith('.claimed')), []);
    } finally {
      const p = new DockerSandboxProvider({ storageRoot: root });
      await p.reap(new Set());
      await p.close();
    }
  });

  it('an unclaimed warm container expires: its keeper removes it with its volume and layer, and leaves', async () => {
    const root = tmpDir('shared');
    const repo = makeRepo({ 'f.txt': 'idle\n' });
    try {
      await (await run(root, repo, 'only', 1, 3000)).finish();
      const [warm] = await announced(root, 1);
      assert.ok(warm);
      await exited(warm.keeper);
      assert.equal(await running(warm.containerId), false);
      assert.deepEqual(await docker.listVolumes({ filters: { name: [warm.volume] } }).then((v) => v.Volumes ?? []), []);
      assert.ok(!fs.existsSync(path.join(root, 'docker', 'layers', warm.layerId)));
      assert.deepEqual(fs.readdirSync(warmDir(path.join(root, 'docker'))).filter((f) => f.endsWith('.json')), []);
    } finally {
      const p = new DockerSandboxProvider({ storageRoot: root });
      await p.reap(new Set());
      await p.close();
    }
  });
});
