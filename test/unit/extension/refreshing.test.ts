import assert from 'node:assert/strict';
import { Refreshing } from '../../../src/extension/tree/refreshing';

/** A read the test lets through when it wants: each call waits for its own `let through`. */
function gatedReads() {
  const waiting: Array<(value: string) => void> = [];
  let n = 0;
  return {
    read: (key: string) => new Promise<string>((resolve) => waiting.push(() => resolve(`${key}#${++n}`))),
    pending: () => waiting.length,
    letThrough: async () => {
      waiting.shift()?.('');
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('extension/tree/refreshing', () => {
  it('answers with the last value at once while the value is read again', async () => {
    const reads = gatedReads();
    const settled: string[] = [];
    const values = new Refreshing<string, string>(reads.read, (_, v) => settled.push(v));
    const first = values.get('s');
    assert.ok(first instanceof Promise, 'nothing known yet: the first read is awaited');
    await reads.letThrough();
    assert.equal(await first, 's#1');
    values.refresh('s');
    assert.equal(reads.pending(), 1, 'the refresh reads in the background');
    assert.equal(values.get('s'), 's#1', 'the reader does not wait for it');
    await reads.letThrough();
    assert.equal(values.get('s'), 's#2');
    assert.deepEqual(settled, ['s#1', 's#2']);
  });

  it('reads one at a time per key, and once more for the refreshes asked for meanwhile', async () => {
    const reads = gatedReads();
    const settled: string[] = [];
    const values = new Refreshing<string, string>(reads.read, (_, v) => settled.push(v));
    values.refresh('s');
    values.refresh('s');
    values.refresh('s');
    assert.equal(reads.pending(), 1);
    await reads.letThrough();
    assert.equal(reads.pending(), 1, 'one more read for the two refreshes asked while reading');
    await reads.letThrough();
    assert.equal(reads.pending(), 0);
    assert.deepEqual(settled, ['s#1', 's#2']);
    values.ensure('s');
    assert.equal(reads.pending(), 0, 'ensure reads nothing known');
  });

  it('a reader waits for one read, however many refreshes come meanwhile', async () => {
    const reads = gatedReads();
    const values = new Refreshing<string, string>(reads.read, () => undefined);
    const first = values.get('s');
    values.refresh('s');
    await reads.letThrough();
    values.refresh('s');
    assert.equal(await first, 's#1', 'answered by the read it found, not the ones after');
    await reads.letThrough();
    assert.equal(reads.pending(), 1, 'the refresh asked during the second read');
    await reads.letThrough();
    assert.equal(values.get('s'), 's#3');
  });

  it('forgets a read begun before clear()', async () => {
    const reads = gatedReads();
    const settled: string[] = [];
    const values = new Refreshing<string, string>(reads.read, (_, v) => settled.push(v));
    values.refresh('s');
    values.clear();
    await reads.letThrough();
    assert.equal(values.known('s'), undefined);
    assert.deepEqual(settled, []);
  });
});
