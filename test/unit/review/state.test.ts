import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReviewState, REVIEW_FILE } from '../../../src/review/state';

const v1 = { baseline: 'b1', current: 'c1' };

describe('review/state', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-review-'));
  });

  it('starts empty when there is no file', async () => {
    const { state, problem } = await ReviewState.load(dir);
    assert.equal(problem, null);
    assert.equal(state.decisions('a.txt', v1).size, 0);
  });

  it('persists decisions and reloads them (a window reload)', async () => {
    const { state } = await ReviewState.load(dir);
    await state.decide('a.txt', v1, 'h1', 'accepted');
    await state.decide('a.txt', v1, 'h2', 'rejected');
    const again = (await ReviewState.load(dir)).state;
    assert.deepEqual([...again.decisions('a.txt', v1)], [['h1', 'accepted'], ['h2', 'rejected']]);
    assert.deepEqual(readdirSync(dir), [REVIEW_FILE]);
  });

  it('drops decisions made on another version of the sandbox file', async () => {
    const { state } = await ReviewState.load(dir);
    await state.decide('a.txt', v1, 'h1', 'accepted');
    const v2 = { baseline: 'b1', current: 'c2' };
    assert.equal(state.decisions('a.txt', v2).size, 0);
    await state.decide('a.txt', v2, 'h9', 'rejected');
    assert.deepEqual([...state.decisions('a.txt', v2)], [['h9', 'rejected']]);
    assert.equal(state.decisions('a.txt', v1).size, 0);
  });

  it('clears one decision with null and prunes files no longer changed', async () => {
    const { state } = await ReviewState.load(dir);
    await state.decide('a.txt', v1, 'h1', 'accepted');
    await state.decide('b.txt', v1, 'h1', 'accepted');
    await state.decide('a.txt', v1, 'h1', null);
    assert.equal(state.decisions('a.txt', v1).size, 0);
    await state.prune(new Set(['a.txt']));
    const json = JSON.parse(readFileSync(path.join(dir, REVIEW_FILE), 'utf8'));
    assert.deepEqual(Object.keys(json.files), ['a.txt']);
  });

  it('keeps the newest decision when many writes race', async () => {
    const { state } = await ReviewState.load(dir);
    await Promise.all(Array.from({ length: 40 }, (_, i) => state.decide('a.txt', v1, `h${i}`, i % 2 ? 'accepted' : 'rejected')));
    const again = (await ReviewState.load(dir)).state;
    assert.equal(again.decisions('a.txt', v1).size, 40);
  });

  it('starts afresh, with a problem to show, from a damaged or foreign file', async () => {
    writeFileSync(path.join(dir, REVIEW_FILE), '{"version":1,"files":');
    const broken = await ReviewState.load(dir);
    assert.match(broken.problem ?? '', /not valid JSON/);
    assert.equal(broken.state.decisions('a.txt', v1).size, 0);
    writeFileSync(path.join(dir, REVIEW_FILE), JSON.stringify({ version: 1, files: { 'a.txt': { baseline: 'b1', current: 'c1', decisions: { h1: 'maybe' } } } }));
    const foreign = await ReviewState.load(dir);
    assert.match(foreign.problem ?? '', /unexpected shape/);
    await foreign.state.decide('a.txt', v1, 'h1', 'accepted');
    assert.equal((await ReviewState.load(dir)).problem, null);
  });
});
