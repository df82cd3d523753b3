import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListIndexFile, type ListLine } from '../../../src/runtime/session-list-file';

// The list index is loaded by every listing and rewritten by a listing that rebuilds it; listings run at once (the
// Sessions view and the local API in one window), so loads and rewrites of one file must not tread on each other.

const session = (i: number): ListLine => ({
  kind: 'session', id: `sesn_${i}`, created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
  agent_id: 'agent_1', agent_version: 1, archived: false, record_key: null, summary_key: null,
});

describe('ListIndexFile: loads and rewrites at once', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-list-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('folds each line once whatever loads, appends and rewrites overlap: what a fresh reader of the file folds', async () => {
    const file = new ListIndexFile(dir);
    const lines = Array.from({ length: 40 }, (_, i) => session(i));
    await file.append(lines.slice(0, 20));
    for (let round = 0; round < 50; round++) {
      const more = lines[20 + (round % 20)]!;
      await Promise.all([file.load(), file.rewrite(lines.slice(0, 20)), file.load(), file.append([more]), file.load()]);
    }
    const folded = [...(await file.load()).keys()].sort();
    const fresh = new ListIndexFile(dir);
    const expected = [...(await fresh.load()).keys()].sort();
    assert.deepEqual(folded, expected);
    assert.equal(file.waste(folded.length), fresh.waste(expected.length), 'no line counted twice');
  });
});
