import assert from 'node:assert/strict';
import { applyHunk, computeHunks, describeHunk, splitLines } from '../../../src/review/hunks';

// Applying every hunk of a file in any order must rebuild the sandbox content exactly.
function applyAll(base: string, current: string): string {
  const hunks = computeHunks(base, current);
  let text = base;
  // From the bottom up, so earlier hunks' positions stay valid.
  for (const h of [...hunks].reverse()) text = applyHunk(text, h);
  return text;
}

describe('review/hunks', () => {
  it('splits lines keeping terminators, CRLF and a missing final newline', () => {
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\nb'), ['a\n', 'b']);
    assert.deepEqual(splitLines('a\r\nb\r\n'), ['a\r\n', 'b\r\n']);
    assert.deepEqual(splitLines('\n\n'), ['\n', '\n']);
  });

  it('finds one hunk per contiguous change, with baseline and sandbox positions', () => {
    const base = 'a\nb\nc\nd\ne\nf\n';
    const current = 'a\nB\nc\nd\ne\nf\ng\n';
    const hunks = computeHunks(base, current);
    assert.equal(hunks.length, 2);
    assert.deepEqual([hunks[0]!.baseStart, hunks[0]!.removed, hunks[0]!.newStart, hunks[0]!.added], [1, ['b\n'], 1, ['B\n']]);
    assert.deepEqual([hunks[1]!.baseStart, hunks[1]!.removed, hunks[1]!.newStart, hunks[1]!.added], [6, [], 6, ['g\n']]);
    assert.deepEqual(hunks.map((h) => h.index), [0, 1]);
    assert.notEqual(hunks[0]!.id, hunks[1]!.id);
  });

  it('gives the same ids when recomputed and different ids when the change differs', () => {
    const a = computeHunks('x\ny\n', 'x\nY\n');
    const b = computeHunks('x\ny\n', 'x\nY\n');
    const c = computeHunks('x\ny\n', 'x\nZ\n');
    assert.equal(a[0]!.id, b[0]!.id);
    assert.notEqual(a[0]!.id, c[0]!.id);
  });

  it('handles added and deleted files (null sides) and identical content', () => {
    assert.deepEqual(computeHunks('same\n', 'same\n'), []);
    const added = computeHunks(null, 'one\ntwo');
    assert.equal(added.length, 1);
    assert.deepEqual(added[0]!.added, ['one\n', 'two']);
    assert.equal(applyHunk('', added[0]!), 'one\ntwo');
    const deleted = computeHunks('gone\n', null);
    assert.deepEqual(deleted[0]!.removed, ['gone\n']);
    assert.equal(applyHunk('gone\n', deleted[0]!), '');
  });

  it('round-trips byte for byte: final newline added or removed, CRLF, unicode', () => {
    const cases: [string, string][] = [
      ['a\nb', 'a\nb\n'],
      ['a\nb\n', 'a\nb'],
      ['one\r\ntwo\r\nthree\r\n', 'one\r\n2\r\nthree\r\nfour\r\n'],
      ['héllo 👋\nwörld\n', 'héllo 👋\nWÖRLD\n🚀\n'],
      ['', 'new\n'],
      ['x\n'.repeat(500), 'x\n'.repeat(200) + 'y\n' + 'x\n'.repeat(299) + 'z\n'],
    ];
    for (const [base, current] of cases) assert.equal(applyAll(base, current), current, JSON.stringify([base, current]));
  });

  it('refuses a hunk that does not fit the baseline it is applied to', () => {
    const [hunk] = computeHunks('a\nb\n', 'a\nc\n');
    assert.throws(() => applyHunk('a\nX\n', hunk!), /does not match the baseline/);
    assert.throws(() => applyHunk('', hunk!), /does not match the baseline/);
  });

  it('describes a hunk by its sandbox lines', () => {
    const [hunk] = computeHunks('a\nb\n', 'a\nB1\nB2\n');
    assert.equal(describeHunk(hunk!), 'lines 2-3: +2 −1  B1');
    const [removal] = computeHunks('a\nb\nc\n', 'a\nc\n');
    assert.equal(describeHunk(removal!), 'line 2: +0 −1  b');
  });
});
