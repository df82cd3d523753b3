import assert from 'node:assert/strict';
import { StartGate, startsAtOnce, type StartPriority } from '../../../src/sandbox/docker/start-gate';

// The provider's bound on containers made at once: never more than the limit, sessions ahead of pool refills, and a
// start that fails gives its slot back.

/** A start that runs until released, recording the order starts began in and the most running at once. */
function harness(gate: StartGate) {
  const began: string[] = [];
  const release = new Map<string, (ok: boolean) => void>();
  let running = 0;
  let most = 0;
  const start = (name: string, priority: StartPriority) =>
    gate.run(priority, async () => {
      began.push(name);
      most = Math.max(most, ++running);
      const ok = await new Promise<boolean>((r) => release.set(name, r));
      running--;
      if (!ok) throw new Error(`${name} failed`);
      return name;
    });
  const tick = () => new Promise((r) => setImmediate(r));
  return { began, release: async (name: string, ok = true) => (release.get(name)?.(ok), await tick(), await tick()), start, most: () => most, tick };
}

describe('StartGate', () => {
  it('runs at most `limit` starts at once, sessions before pool refills, in arrival order within each', async () => {
    const h = harness(new StartGate(2));
    const done = [h.start('pool-1', 'pool'), h.start('pool-2', 'pool'), h.start('pool-3', 'pool'), h.start('s-1', 'session'), h.start('pool-4', 'pool'), h.start('s-2', 'session')];
    await h.tick();
    assert.deepEqual(h.began, ['pool-1', 'pool-2']);
    await h.release('pool-1');
    assert.deepEqual(h.began, ['pool-1', 'pool-2', 's-1']);
    await h.release('pool-2');
    await h.release('s-1');
    await h.release('s-2');
    await h.release('pool-3');
    await h.release('pool-4');
    assert.deepEqual(h.began, ['pool-1', 'pool-2', 's-1', 's-2', 'pool-3', 'pool-4']);
    assert.deepEqual(await Promise.all(done), ['pool-1', 'pool-2', 'pool-3', 's-1', 'pool-4', 's-2']);
    assert.equal(h.most(), 2);
  });

  it('gives the slot of a failed start to the next one', async () => {
    const h = harness(new StartGate(1));
    const failed = h.start('a', 'session');
    const next = h.start('b', 'session');
    await h.tick();
    const rejected = assert.rejects(failed, /a failed/);
    await h.release('a', false);
    await rejected;
    assert.deepEqual(h.began, ['a', 'b']);
    await h.release('b');
    assert.equal(await next, 'b');
  });

  it('without a bound, every start goes at once', async () => {
    const h = harness(new StartGate(Infinity));
    const all = ['a', 'b', 'c', 'd'].map((n) => h.start(n, 'pool'));
    await h.tick();
    assert.equal(h.most(), 4);
    for (const n of ['a', 'b', 'c', 'd']) await h.release(n);
    await Promise.all(all);
  });

  it('takes a new limit: a wider one lets waiting starts go at once, a narrower one holds the next ones', async () => {
    const gate = new StartGate(1);
    assert.equal(gate.limit, 1);
    const h = harness(gate);
    const all = ['a', 'b', 'c', 'd'].map((n) => h.start(n, 'session'));
    await h.tick();
    gate.limit = 3;
    await h.tick();
    assert.deepEqual(h.began, ['a', 'b', 'c']);
    gate.limit = 1;
    await h.release('a');
    await h.release('b');
    assert.deepEqual(h.began, ['a', 'b', 'c'], 'd waits while c runs');
    await h.release('c');
    assert.deepEqual(h.began, ['a', 'b', 'c', 'd']);
    await h.release('d');
    await Promise.all(all);
  });

  it("starts one container per core of the engine's machine, at most 4; 4 when the engine does not say", () => {
    assert.deepEqual([1, 2, 3, 4, 16, 0, Number.NaN].map(startsAtOnce), [1, 2, 3, 4, 4, 4, 4]);
  });
});
