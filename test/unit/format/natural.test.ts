import assert from 'node:assert/strict';
import { naturalSort } from '../../../src/format/natural';

describe('format: natural order of file paths', () => {
  it('orders digit runs by value (file2 before file10), case-insensitively, and stays total', () => {
    const paths = ['src/file10.ts', 'src/file2.ts', 'README.md', 'src/file1.ts', 'readme.md', 'src/File3.ts', 'docs/v1.10/a.md', 'docs/v1.9/a.md'];
    assert.deepEqual(naturalSort(paths, (p) => p), ['docs/v1.9/a.md', 'docs/v1.10/a.md', 'README.md', 'readme.md', 'src/file1.ts', 'src/file2.ts', 'src/File3.ts', 'src/file10.ts']);
  });

  it('leaves the input untouched', () => {
    const input = ['b10', 'b9'];
    naturalSort(input, (s) => s);
    assert.deepEqual(input, ['b10', 'b9']);
  });
});
