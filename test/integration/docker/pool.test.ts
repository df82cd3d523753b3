import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { LABEL_MANAGED, LABEL_ROOT, LABEL_SESSION, rootKey } from '../../../src/sandbox/docker/names';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT } from './helpers';

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
});
