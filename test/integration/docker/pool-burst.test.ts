import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { LABEL_MANAGED, LABEL_ROOT, LABEL_SESSION, rootKey } from '../../../src/sandbox/docker/names';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT } from './helpers';

// A pool that learns bursts (warmPoolMax): after sessions asked for containers together, it keeps as many ready as
// the burst took, so the next burst of that size claims warm containers only; once the burst is forgotten it shrinks
// back to its size.

describe('docker sandbox: warm pool after a burst', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  before(async () => {
    docker = await requireDocker();
  });

  const warmIds = async (p: DockerSandboxProvider) =>
    (await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(p.root)}`, `${LABEL_SESSION}=pool`] } }))
      .filter((c) => c.Names.some((n) => n.includes('-pool-')))
      .map((c) => c.Id);

  it('grows to the burst, serves the next burst from warm containers that work, and shrinks back', async () => {
    const repo = makeRepo({ 'f.txt': 'f\n' });
    const rememberMs = 15_000;
    const p = newProvider({ warmPool: 1, warmPoolMax: 3, warmPoolRememberMs: rememberMs });
    const burst = (round: string) => Promise.all([1, 2, 3].map((i) => p.provision({ sessionId: `${round}-${i}`, repoPath: repo, environment: env() })));
    try {
      await p.prewarm({ repoPath: repo, environment: env() });
      assert.equal((await warmIds(p)).length, 1);

      const first = await burst('first');
      await p.poolSettled();
      const warm = await warmIds(p);
      assert.equal(warm.length, 3, 'the pool holds as many as the burst took');
      assert.ok(!first.some((sb) => warm.includes(sandboxContainerId(sb))));

      const second = await burst('second');
      assert.deepEqual(second.map(sandboxContainerId).sort(), [...warm].sort(), 'every session of the second burst got a warm container');
      for (const [i, sb] of second.entries()) {
        await ok(sb, 'write', { file_path: 'mine.txt', content: `${i}\n` });
        assert.equal(await ok(sb, 'bash', { command: 'cat f.txt mine.txt && whoami' }), `f\n${i}\nagent`);
        assert.deepEqual((await sb.changes()).files.map((f) => f.path), ['mine.txt']);
      }
      await p.poolSettled();
      assert.equal((await warmIds(p)).length, 3, 'refilled for the burst it remembers');

      // Forgotten after rememberMs: the entries above the pool's size go.
      await new Promise((r) => setTimeout(r, rememberMs + 500));
      for (let waited = 0; (await warmIds(p)).length > 1 && waited < 30_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
      assert.equal((await warmIds(p)).length, 1);
    } finally {
      await p.close();
      await p.reap(new Set());
    }
    assert.deepEqual(await warmIds(p), []);
  });
});
