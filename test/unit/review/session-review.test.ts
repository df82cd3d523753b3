import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileChange, FileSide } from '../../../src/sandbox/types';
import { SessionReview, countByStatus, decodeText, type ChangeSource } from '../../../src/review/session-review';

// A sandbox stand-in: baseline and current contents per path, changes derived from them.
function source(files: Record<string, { base?: string | Buffer; now?: string | Buffer; change?: Partial<FileChange> }>): ChangeSource & { set(p: string, now: string): void } {
  const data = new Map(Object.entries(files));
  return {
    set(p, now) {
      data.get(p)!.now = now;
    },
    async changes() {
      const list: FileChange[] = [...data.entries()].map(([p, f]) => ({
        path: p,
        status: f.base === undefined ? 'added' : f.now === undefined ? 'deleted' : 'modified',
        binary: false,
        additions: 0,
        deletions: 0,
        ...f.change,
      }));
      return { patch: '', files: list };
    },
    async read(p: string, side: FileSide) {
      const f = data.get(p) ?? [...data.values()].find((x) => x.change?.old_path === p);
      const v = side === 'baseline' ? f?.base : f?.now;
      return v === undefined ? null : Buffer.from(v);
    },
  };
}

describe('review/session-review', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-sreview-'));
  });

  it('lists files with their hunks, all pending at first', async () => {
    const review = await SessionReview.open(dir, source({ 'a.txt': { base: '1\n2\n3\n4\n5\n', now: 'one\n2\n3\n4\nfive\n' }, 'new.txt': { now: 'hi\n' } }));
    const files = await review.files();
    assert.deepEqual(files.map((f) => [f.path, f.perHunk, f.hunks.length]), [['a.txt', true, 2], ['new.txt', true, 1]]);
    assert.deepEqual(countByStatus(files), { pending: 3, accepted: 0, rejected: 0 });
  });

  it('keeps decisions across a reopen and drops them when the agent changes the file again', async () => {
    const src = source({ 'a.txt': { base: '1\n2\n3\n4\n5\n', now: 'one\n2\n3\n4\nfive\n' } });
    const review = await SessionReview.open(dir, src);
    const [file] = await review.files();
    await review.decide(file!, file!.hunks[0]!.id, 'accepted');
    await review.decide(file!, file!.hunks[1]!.id, 'rejected');
    const reopened = await SessionReview.open(dir, src);
    assert.deepEqual((await reopened.file('a.txt'))!.hunks.map((h) => h.status), ['accepted', 'rejected']);
    src.set('a.txt', 'one\n2\n3\n4\nFIVE\n');
    assert.deepEqual((await reopened.file('a.txt'))!.hunks.map((h) => h.status), ['pending', 'pending']);
  });

  it('reviews binary, non-UTF-8 and renamed files as one whole-file decision', async () => {
    const review = await SessionReview.open(dir, source({
      'img.png': { base: Buffer.from([0x89, 0x50, 0, 1]), now: Buffer.from([0x89, 0x50, 0, 2]), change: { binary: true } },
      'latin1.txt': { base: Buffer.from([0x63, 0x61, 0x66, 0xe9]), now: Buffer.from([0x63, 0x61, 0x66, 0xe8]) },
      'moved.txt': { base: 'x\n', now: 'x\n', change: { status: 'renamed', old_path: 'orig.txt' } },
    }));
    const files = await review.files();
    for (const f of files) {
      assert.equal(f.perHunk, false, f.path);
      assert.equal(f.hunks.length, 1, f.path);
    }
    assert.equal(files.find((f) => f.path === 'moved.txt')!.basePath, 'orig.txt');
    assert.equal(files.find((f) => f.path === 'img.png')!.current, null);
  });

  it('decodes text only when it is UTF-8 without NUL bytes, keeping a BOM', () => {
    assert.equal(decodeText(null), null);
    assert.equal(decodeText(Buffer.from('\ufeffhi', 'utf8')), '\ufeffhi');
    assert.equal(decodeText(Buffer.from([0xff, 0xfe])), undefined);
    assert.equal(decodeText(Buffer.from('a\0b')), undefined);
  });
});
