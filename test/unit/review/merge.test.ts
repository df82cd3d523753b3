import assert from 'node:assert/strict';
import { computeHunks } from '../../../src/review/hunks';
import { mergeHunk, minimalEdit } from '../../../src/review/merge';

const base = 'line1\nline2\nline3\nline4\nline5\nline6\nline7\n';
const sandbox = 'line1\nLINE2\nline3\nline4\nline5\nLINE6\nline7\n';

function ok(r: ReturnType<typeof mergeHunk>): string {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.text;
}

describe('review/merge', () => {
  const [first, second] = computeHunks(base, sandbox);

  it('applies a hunk to an unchanged workspace file', () => {
    assert.equal(ok(mergeHunk(base, base, first!)), base.replace('line2', 'LINE2'));
  });

  it('merges a hunk into a workspace that already has another accepted hunk', () => {
    const withFirst = ok(mergeHunk(base, base, first!));
    assert.equal(ok(mergeHunk(base, withFirst, second!)), sandbox);
  });

  it('merges hunks separated by a single unchanged line, in either order', () => {
    const b = 'a\nb\nc\n';
    const s = 'A\nb\nC\n';
    const [h1, h2] = computeHunks(b, s);
    assert.equal(ok(mergeHunk(b, ok(mergeHunk(b, b, h1!)), h2!)), s);
    assert.equal(ok(mergeHunk(b, ok(mergeHunk(b, b, h2!)), h1!)), s);
  });

  it('merges three-way around the user\'s own unrelated edits', () => {
    const userEdited = base.replace('line4', 'user4');
    assert.equal(ok(mergeHunk(base, userEdited, first!)), userEdited.replace('line2', 'LINE2'));
  });

  it('reports a conflict when the workspace changed the same lines, and writes nothing', () => {
    const r = mergeHunk(base, base.replace('line2', 'mine2'), first!);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /changed the same lines \(near line 2\)/);
  });

  it('treats an identical change already in the workspace as merged, not as a conflict', () => {
    assert.equal(ok(mergeHunk(base, sandbox, first!)), sandbox);
  });

  it('conflicts when the workspace file was deleted, or created where the session added one', () => {
    const del = mergeHunk(base, null, first!);
    assert.equal(del.ok, false);
    assert.match(del.ok ? '' : del.reason, /deleted in the workspace/);
    const [added] = computeHunks(null, 'new\n');
    assert.equal(ok(mergeHunk(null, null, added!)), 'new\n');
    assert.equal(mergeHunk(null, 'someone else\'s file\n', added!).ok, false);
    assert.equal(ok(mergeHunk(null, 'new\n', added!)), 'new\n');
  });

  it('refuses a hunk computed from another baseline', () => {
    const r = mergeHunk('other\ncontent\n', 'other\ncontent\n', first!);
    assert.equal(r.ok, false);
  });

  it('a deletion hunk removes the whole file content', () => {
    const [gone] = computeHunks('a\nb\n', null);
    assert.equal(ok(mergeHunk('a\nb\n', 'a\nb\n', gone!)), '');
  });

  describe('minimalEdit', () => {
    it('replaces only the changed middle', () => {
      assert.deepEqual(minimalEdit('abcXdef', 'abcYYdef'), { start: 3, end: 4, text: 'YY' });
      assert.deepEqual(minimalEdit('abc', 'abcd'), { start: 3, end: 3, text: 'd' });
      assert.deepEqual(minimalEdit('abcd', 'bcd'), { start: 0, end: 1, text: '' });
      assert.equal(minimalEdit('same', 'same'), null);
    });

    it('never splits a surrogate pair or a CRLF', () => {
      const e = minimalEdit('x😀y', 'x😃y')!;
      assert.equal('x😀y'.slice(0, e.start) + e.text + 'x😀y'.slice(e.end), 'x😃y');
      assert.equal(e.start, 1);
      const c = minimalEdit('a\r\nb', 'a\nb')!;
      assert.equal('a\r\nb'.slice(0, c.start) + c.text + 'a\r\nb'.slice(c.end), 'a\nb');
    });

    it('rebuilds the target for random edits', () => {
      let seed = 7;
      const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
      const alphabet = ['a', 'b', '\n', '\r\n', '😀', ' '];
      const word = () => Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]).join('');
      for (let i = 0; i < 300; i++) {
        const before = word();
        const after = word();
        const e = minimalEdit(before, after);
        const rebuilt = e ? before.slice(0, e.start) + e.text + before.slice(e.end) : before;
        assert.equal(rebuilt, after);
      }
    });
  });
});
