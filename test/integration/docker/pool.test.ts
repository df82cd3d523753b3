import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { LABEL_LAYER, LABEL_MANAGED, LABEL_POOL_OWNER, LABEL_ROOT, LABEL_SESSION, rootKey, volumeName } from '../../../src/sandbox/docker/names';
import { sweepOrphanPools } from '../../../src/sandbox/docker/reaper';
import { layerDirs } from '../../../src/sandbox/docker/volume';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT, tmpDir } from './helpers';

const POOL_OWNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pool-owner.ts');

// Warm pool: containers started ahead on the repository's current snapshot are claimed by new sessions, refilled in
// the background, kept by the reaper once claimed, and dropped when the repository moves on or the provider closes.

describe('docker sandbox: warm pool', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  before(async () => {
    docker = await requireDocker();
  });

  // Unclaimed warm containers (a claimed one keeps its pool label but is renamed after its session).
  const poolContainers = async (root: string) =>
    (await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(root)}`, `${LABEL_SESSION}=pool`] } })).filter((c) =>
      c.Names.some((n) => n.includes('-pool-')),
    );

  it('a session claims a warm container; the pool refills; the reaper keeps the claimed one; close drains the pool', async () => {
    const repo = makeRepo({ 'f.txt': 'f\n' });
    const p = newProvider({ warmPool: 1 });
    try {
      await p.prewarm({ repoPath: repo, environment: env() });
      const [warm] = await poolContainers(p.root);
      assert.ok(warm);
      const sb = await p.provision({ sessionId: 'claimer', repoPath: repo, environment: env() });
      assert.equal(sandboxContainerId(sb), warm.Id);
      assert.equal((await docker.getContainer(warm.Id).inspect()).Name, `/hangar-${rootKey(p.root)}-claimer`);
      await ok(sb, 'write', { file_path: 'mine.txt', content: 'm\n' });
      assert.deepEqual((await sb.changes()).files.map((f) => f.path), ['mine.txt']);
      await p.prewarm({ repoPath: repo, environment: env() });
      const refilled = await poolContainers(p.root);
      assert.equal(refilled.filter((c) => c.Id !== warm.Id).length, 1);
      assert.deepEqual(await p.reap(new Set(['claimer'])), []);
      assert.equal(await ok(sb, 'bash', { command: 'cat mine.txt f.txt' }), 'm\nf');

      // The repository moved on: the stale warm container is not used, and is replaced.
      fs.writeFileSync(path.join(repo, 'f.txt'), 'changed\n');
      const fresh = await p.provision({ sessionId: 'after-change', repoPath: repo, environment: env() });
      assert.equal(await ok(fresh, 'bash', { command: 'cat f.txt' }), 'changed');
      assert.ok(!refilled.some((c) => c.Id === sandboxContainerId(fresh)));
    } finally {
      await p.close();
    }
    assert.deepEqual((await poolContainers(p.root)).map((c) => c.Names), []);
    await p.reap(new Set());
  });

  /** What a session's container runs with: the settings a warm container must share with the session it serves. */
  const shape = async (id: string) => {
    const info = await docker.getContainer(id).inspect();
    return { user: info.Config.User, memory: info.HostConfig.Memory, cpus: info.HostConfig.NanoCpus, pids: info.HostConfig.PidsLimit, network: info.HostConfig.NetworkMode, image: info.Image };
  };

  it('serves only a session whose environment matches (limits, network, user), and never a second session', async () => {
    const repo = makeRepo({ 'f.txt': 'f\n' });
    const small = env({ hangar: { limits: { memory_mb: 300, cpus: 0.5, pids: 100 } } });
    const open = env({ networking: { type: 'unrestricted' } });
    const p = newProvider({ warmPool: 1 });
    const control = newProvider();
    try {
      await p.prewarm({ repoPath: repo, environment: small });
      const [warm] = await poolContainers(p.root);
      assert.ok(warm);
      const fresh = async (id: string, environment: typeof small) => shape(sandboxContainerId(await control.provision({ sessionId: id, repoPath: repo, environment })));
      const served = await p.provision({ sessionId: 'served', repoPath: repo, environment: small });
      assert.equal(sandboxContainerId(served), warm.Id);
      assert.deepEqual(await shape(warm.Id), await fresh('control-small', small));
      assert.equal(await ok(served, 'bash', { command: 'whoami && cat f.txt' }), 'agent\nf');

      // Other limits, other network: not a container warmed for `small`, and each gets what its environment asks for.
      await p.prewarm({ repoPath: repo, environment: small });
      const warmed = (await poolContainers(p.root)).map((c) => c.Id);
      assert.equal(warmed.length, 1);
      const big = await p.provision({ sessionId: 'big', repoPath: repo, environment: env() });
      const online = await p.provision({ sessionId: 'online', repoPath: repo, environment: open });
      assert.ok(![sandboxContainerId(big), sandboxContainerId(online)].some((id) => warmed.includes(id)));
      assert.deepEqual(await shape(sandboxContainerId(big)), await fresh('control-big', env()));
      assert.deepEqual(await shape(sandboxContainerId(online)), await fresh('control-online', open));

      // Used once: after its session is gone, the next session with the same environment gets another container.
      await p.destroy('served');
      await assert.rejects(docker.getContainer(warm.Id).inspect(), /no such container/i);
      await p.prewarm({ repoPath: repo, environment: small });
      const next = await p.provision({ sessionId: 'next', repoPath: repo, environment: small });
      assert.notEqual(sandboxContainerId(next), warm.Id);
      assert.equal(await ok(next, 'bash', { command: 'cat f.txt' }), 'f');
    } finally {
      await p.close();
      await p.reap(new Set());
      await control.reap(new Set());
      await control.close();
    }
  });

  it("another process' pool is kept while it runs; after a SIGKILL it is removed with its volume and layer", async () => {
    const repo = makeRepo({ 'f.txt': 'f\n' });
    const root = tmpDir('pool-owner-');
    const child = spawn(process.execPath, ['--import', 'tsx', POOL_OWNER, root, repo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const here = new DockerSandboxProvider({ storageRoot: root });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
        child.on('exit', (code) => reject(new Error(`the pool owner exited (${code}) before its pool was ready`)));
      });
      const [warm] = await poolContainers(here.root);
      assert.ok(warm);
      assert.equal(warm.Labels[LABEL_POOL_OWNER], String(child.pid));
      const layer = warm.Labels[LABEL_LAYER] as string;

      assert.deepEqual(await here.reap(new Set()), []);
      assert.equal(await sweepOrphanPools(docker, here.root), 0, 'its owner is alive');
      assert.equal((await poolContainers(here.root)).length, 1);
      assert.ok(fs.existsSync(layerDirs(here.root, layer).upper));

      child.kill('SIGKILL');
      await exited;
      assert.equal(await sweepOrphanPools(docker, here.root), 1);
      assert.deepEqual(await poolContainers(here.root), []);
      await assert.rejects(docker.getVolume(volumeName(layer)).inspect(), /no such volume/i);
      assert.ok(!fs.existsSync(layerDirs(here.root, layer).root));
    } finally {
      child.kill('SIGKILL');
      await here.reap(new Set());
      await here.close();
    }
  });
});
