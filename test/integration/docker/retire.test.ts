import assert from 'node:assert/strict';
import fs from 'node:fs';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { removeContainer } from '../../../src/sandbox/docker/container';
import { markRetired, retiredDir } from '../../../src/sandbox/docker/retire';
import { readState } from '../../../src/sandbox/docker/state';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT, tmpDir, retireAll } from './helpers';

// Detached teardown (the CLI's): release() returns without waiting for the engine, the container is still removed
// (by a detached process), and a container whose remover never ran (killed) is removed by the next provider.

async function exists(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Polls until the container is gone; fails after `ms`. */
async function gone(docker: Docker, id: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (await exists(docker, id)) {
    if (Date.now() > until) assert.fail(`container ${id} still exists after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('docker sandbox: detached teardown', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  const providers: DockerSandboxProvider[] = [];
  const make = (storageRoot?: string) => {
    const p = newProvider({ teardown: 'detached', ...(storageRoot ? { storageRoot } : {}) });
    providers.push(p);
    return p;
  };

  before(async () => {
    docker = await requireDocker();
  });
  after(() => retireAll(providers));

  it('release() hands the container to a detached remover: it goes, its entry goes, the files stay', async () => {
    const p = make();
    const sb = await p.provision({ sessionId: 'detached', repoPath: makeRepo({ 'a.txt': 'a\n' }), environment: env() });
    await ok(sb, 'bash', { command: 'echo b > b.txt' });
    const id = sandboxContainerId(sb);
    await sb.release();
    assert.equal((await readState(p.root, 'detached'))?.containerId, null, 'the session no longer names the container');
    await gone(docker, id);
    const until = Date.now() + 10_000;
    while (fs.readdirSync(retiredDir(p.root)).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(fs.readdirSync(retiredDir(p.root)), [], 'the remover clears its entry');
    const again = await p.provision({ sessionId: 'detached', environment: env() });
    assert.deepEqual((await again.changes()).files.map((f) => f.path), ['b.txt'], 'a new container on the same files');
    assert.notEqual(sandboxContainerId(again), id);
  });

  it('a container whose remover was killed is removed by the next provider on that storage', async () => {
    const store = tmpDir('store');
    const first = make(store);
    const sb = await first.provision({ sessionId: 'orphan', environment: env() });
    const id = sandboxContainerId(sb);
    // What a kill right after retiring leaves: the entry written, no remover, the container still running.
    await first.close();
    await markRetired(first.root, [id]);
    assert.equal(await exists(docker, id), true);
    const next = make(store);
    await next.provision({ sessionId: 'next', environment: env() });
    await next.close();
    assert.equal(await exists(docker, id), false, 'the next provider removed the retired container');
    assert.deepEqual(fs.readdirSync(retiredDir(first.root)), []);
  });

  it('a removal already under way elsewhere is waited for, not an error (the engine answers 409 to the second)', async () => {
    const p = make();
    const sb = await p.provision({ sessionId: 'twice', environment: env() });
    const id = sandboxContainerId(sb);
    await Promise.all([removeContainer(docker, id), removeContainer(docker, id), removeContainer(docker, id)]);
    assert.equal(await exists(docker, id), false);
  });

  it('entries that are not container ids are left alone', async () => {
    const p = make();
    const sb = await p.provision({ sessionId: 'odd', environment: env() });
    const id = sandboxContainerId(sb);
    fs.mkdirSync(retiredDir(p.root), { recursive: true });
    fs.writeFileSync(`${retiredDir(p.root)}/not-an-id`, '');
    await sb.release();
    await gone(docker, id);
    assert.ok(fs.readdirSync(retiredDir(p.root)).includes('not-an-id'));
  });
});
