import assert from 'node:assert/strict';
import { repoRelative } from '../../../src/extension/panel/paths';

describe('extension/panel/paths', () => {
  const roots = ['/workspace', '/home/me/repo/'];

  it('keeps relative paths and strips the sandbox mount or the repository', () => {
    assert.equal(repoRelative('src/a.ts', roots), 'src/a.ts');
    assert.equal(repoRelative('./src//a.ts', roots), 'src/a.ts');
    assert.equal(repoRelative('/workspace/src/a.ts', roots), 'src/a.ts');
    assert.equal(repoRelative('/home/me/repo/README.md', roots), 'README.md');
    assert.equal(repoRelative('src\\win\\b.ts', roots), 'src/win/b.ts');
  });

  it('refuses escapes, other absolute paths, look-alike prefixes and the root itself', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '/workspace2/a', '/workspace', '/workspace/', '.', '', '/workspace/../etc/passwd']) {
      assert.equal(repoRelative(bad, roots), null, bad);
    }
    assert.equal(repoRelative('/a', ['']), null);
  });
});
