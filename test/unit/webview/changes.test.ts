import assert from 'node:assert/strict';
import { mountPanel, type Mounted } from './dom-env';

describe('webview: changed files header', () => {
  let m: Mounted | undefined;
  afterEach(() => m?.close());

  it('lists the files in natural order (file2 before file10), each opening its own path', () => {
    m = mountPanel();
    const files = ['src/file10.ts', 'src/file2.ts', 'README.md', 'src/file1.ts'].map((path) => ({ path, status: 'modified' as const, additions: 1, deletions: 0 }));
    m.send({ type: 'changes', files });
    assert.deepEqual(m.$$('.change-file .path').map((e) => e.textContent), ['README.md', 'src/file1.ts', 'src/file2.ts', 'src/file10.ts']);
    m.$$('.change-file')[3]!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'openFile', path: 'src/file10.ts' });
  });
});
