import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalize, isWithin, resolveInRoot } from '../../../src/tools/paths';
import { fixture, text, type Fixture } from './helpers';

// Every file tool goes through the same confinement; each escape is tried against each tool that takes a path.
const PATH_TOOLS: [string, (p: string) => Record<string, unknown>][] = [
  ['read', (p) => ({ file_path: p })],
  ['write', (p) => ({ file_path: p, content: 'pwned' })],
  ['edit', (p) => ({ file_path: p, old_string: 'secret', new_string: 'pwned' })],
  ['glob', (p) => ({ pattern: '*', path: p })],
  ['grep', (p) => ({ pattern: 'secret', path: p })],
];

describe('tools: path confinement', () => {
  let f: Fixture;
  let outside: string;
  beforeEach(async () => {
    f = await fixture();
    outside = path.join(f.parent, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
    // A sibling whose name starts with the root's name: the classic string-prefix bypass.
    await mkdir(`${f.root}-evil`);
    await writeFile(`${f.root}-evil/secret.txt`, 'secret\n');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  async function assertRefused(tool: string, input: Record<string, unknown>, pattern: RegExp): Promise<void> {
    const out = await f.run(tool, input);
    assert.equal(out.is_error, true, `${tool} ${JSON.stringify(input)} should be refused, got: ${text(out)}`);
    assert.match(text(out), pattern);
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret\n');
  }

  for (const [tool, input] of PATH_TOOLS) {
    it(`${tool}: refuses ../ escapes, absolute paths elsewhere and the prefix sibling`, async () => {
      await assertRefused(tool, input('../outside/secret.txt'), /outside the workspace root/);
      await assertRefused(tool, input(path.join(outside, 'secret.txt')), /outside the workspace root/);
      await assertRefused(tool, input(`${f.root}-evil/secret.txt`), /outside the workspace root/);
      await assertRefused(tool, input('sub/../../outside'), /outside the workspace root/);
    });

    it(`${tool}: refuses a symlinked file, a symlinked parent dir and a dangling link pointing outside`, async () => {
      await symlink(path.join(outside, 'secret.txt'), path.join(f.root, 'link.txt'));
      await symlink(outside, path.join(f.root, 'linkdir'));
      await symlink(path.join(outside, 'does-not-exist.txt'), path.join(f.root, 'dangling.txt'));
      await symlink('../outside', path.join(f.root, 'relative-link'));
      const glob = tool === 'glob' || tool === 'grep';
      if (!glob) await assertRefused(tool, input('link.txt'), /symbolic link .* outside the workspace root/);
      await assertRefused(tool, input(glob ? 'linkdir' : 'linkdir/secret.txt'), /symbolic link .* outside the workspace root/);
      await assertRefused(tool, input(glob ? 'relative-link' : 'relative-link/secret.txt'), /symbolic link .* outside the workspace root/);
      if (!glob) await assertRefused(tool, input('dangling.txt'), /symbolic link .* outside the workspace root/);
      await assert.rejects(stat(path.join(outside, 'does-not-exist.txt')));
    });
  }

  it('write through a dangling link to outside creates nothing outside', async () => {
    await symlink(path.join(outside, 'new.txt'), path.join(f.root, 'new-link.txt'));
    const out = await f.run('write', { file_path: 'new-link.txt', content: 'x' });
    assert.equal(out.is_error, true);
    await assert.rejects(stat(path.join(outside, 'new.txt')));
  });

  it('accepts absolute paths inside the root and links that stay inside', async () => {
    await writeFile(path.join(f.root, 'real.txt'), 'inside\n');
    await symlink('real.txt', path.join(f.root, 'inner-link.txt'));
    assert.equal(text(await f.run('read', { file_path: path.join(f.root, 'real.txt') })), '     1\tinside');
    assert.equal(text(await f.run('read', { file_path: 'inner-link.txt' })), '     1\tinside');
    assert.equal(text(await f.run('read', { file_path: 'sub/../real.txt' })), '     1\tinside');
  });

  it('isWithin compares path components, not string prefixes', () => {
    assert.equal(isWithin('/a/root', '/a/root'), true);
    assert.equal(isWithin('/a/root', '/a/root/x/y'), true);
    assert.equal(isWithin('/a/root', '/a/root-evil/x'), false);
    assert.equal(isWithin('/a/root', '/a'), false);
    assert.equal(isWithin('/a/root', '/a/root/..x'), true);
  });

  it('canonicalize resolves link chains and loops', async () => {
    await symlink('b', path.join(f.root, 'a'));
    await symlink(outside, path.join(f.root, 'b'));
    assert.equal(await canonicalize(path.join(f.root, 'a', 'secret.txt')), path.join(outside, 'secret.txt'));
    assert.equal(await canonicalize(path.join(f.root, 'missing', 'deeper', 'x')), path.join(f.root, 'missing', 'deeper', 'x'));
    await symlink('loop2', path.join(f.root, 'loop1'));
    await symlink('loop1', path.join(f.root, 'loop2'));
    await assert.rejects(canonicalize(path.join(f.root, 'loop1')), { code: 'ELOOP' });
    const out = await f.run('read', { file_path: 'loop1' });
    assert.equal(out.is_error, true);
    assert.match(text(out), /too many levels of symbolic links/);
  });

  it('a root reached through a symlink: its files by either path, escapes from below it refused, the same walk from the known root', async () => {
    const linkedRoot = path.join(f.parent, 'linked-root');
    await symlink(f.root, linkedRoot);
    await writeFile(path.join(f.root, 'real.txt'), 'inside\n');
    await symlink(outside, path.join(f.root, 'out'));
    assert.deepEqual(await resolveInRoot(linkedRoot, 'real.txt'), { abs: path.join(f.root, 'real.txt'), rel: 'real.txt' });
    assert.deepEqual(await resolveInRoot(linkedRoot, path.join(f.root, 'real.txt')), { abs: path.join(f.root, 'real.txt'), rel: 'real.txt' });
    await assert.rejects(resolveInRoot(linkedRoot, 'out/secret.txt'), /outside the workspace root/);
    const known = { lexical: linkedRoot, real: f.root };
    for (const p of ['real.txt', 'out/secret.txt', 'missing/x', '.']) {
      assert.equal(await canonicalize(path.join(linkedRoot, p), known), await canonicalize(path.join(linkedRoot, p)), p);
    }
  });
});
