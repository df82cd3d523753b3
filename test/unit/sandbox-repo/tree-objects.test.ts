import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, isolatedGitEnv } from '../../../src/sandbox/repo/git';
import { EMPTY_TREE, GitObjects, type PathEdit } from '../../../src/sandbox/repo/tree-objects';

// In-process tree edits must give exactly the tree git's own index gives for the same files: checkpoints are compared
// by id, and one made either way must match.

describe('in-process git tree edits', () => {
  let gitDir: string;
  let objects: GitObjects;
  const run = (args: string[], input?: Buffer, extra: Record<string, string> = {}) => git(args, { env: isolatedGitEnv({ GIT_DIR: gitDir, ...extra }), input });

  /** git's tree of exactly these entries (path as bytes → mode and blob). */
  async function gitTree(entries: [Buffer, string, string][]): Promise<string> {
    const index = path.join(gitDir, 'test.index');
    rmSync(index, { force: true });
    const info = Buffer.concat(entries.map(([p, mode, sha]) => Buffer.concat([Buffer.from(`${mode} ${sha}\t`), p, Buffer.from([0])])));
    await run(['update-index', '-z', '--add', '--index-info'], info, { GIT_INDEX_FILE: index });
    return (await run(['write-tree'], undefined, { GIT_INDEX_FILE: index })).toString('utf8').trim();
  }

  beforeEach(async () => {
    gitDir = mkdtempSync(path.join(os.tmpdir(), 'hangar-tree-objects-'));
    await run(['init', '-q', '--bare']);
    objects = new GitObjects(gitDir);
  });
  afterEach(() => rmSync(gitDir, { recursive: true, force: true }));

  it('edits and compares like git: files become directories and back, emptied directories go, order and non-UTF-8 names kept', async () => {
    const a = await objects.write('blob', Buffer.from('a\n'));
    const b = await objects.write('blob', Buffer.from([0xff, 0]));
    const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in latin1: not UTF-8
    const base = await gitTree([
      [Buffer.from('foo'), '100644', a],
      [Buffer.from('foo.c'), '100644', a],
      [Buffer.from('foo-bar/x'), '100644', a],
      [Buffer.from('dir/a'), '100644', a],
      [Buffer.from('dir/b/c'), '100755', b],
      [Buffer.from('x'), '120000', a],
      [Buffer.from('z/y'), '100644', a],
      [Buffer.concat([Buffer.from('keep/'), latin]), '100644', b],
    ]);
    const edits = new Map<string, PathEdit>([
      ['foo', null],
      ['foo/inner', { mode: '100644', sha: b }],
      ['dir/b/c', null],
      ['x/new', { mode: '100755', sha: a }],
      ['x', null],
      ['z/y', null],
      ['z', { mode: '100644', sha: b }],
      ['keep/new', { mode: '100644', sha: a }],
    ]);
    const expected = await gitTree([
      [Buffer.from('foo/inner'), '100644', b],
      [Buffer.from('foo.c'), '100644', a],
      [Buffer.from('foo-bar/x'), '100644', a],
      [Buffer.from('dir/a'), '100644', a],
      [Buffer.from('x/new'), '100755', a],
      [Buffer.from('z'), '100644', b],
      [Buffer.concat([Buffer.from('keep/'), latin]), '100644', b],
      [Buffer.from('keep/new'), '100644', a],
    ]);
    assert.equal(await objects.edit(base, edits), expected);
    for (const [from, to] of [[base, expected], [expected, base]] as const) {
      const raw = (await run(['diff-tree', '-r', '-z', '--no-renames', '--raw', '--no-abbrev', from, to])).toString('latin1').split('\0');
      const byGit = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const [, mode, sha, status] = /^:\d+ (\d+) \w+ (\w+) (\w)/.exec(raw[i] as string) as RegExpExecArray;
        byGit.push({ path: Buffer.from(raw[i + 1] as string, 'latin1').toString('utf8'), to: status === 'D' ? null : { mode, sha } });
      }
      assert.deepEqual(await objects.changes(from, to), byGit, 'the same changes as git diff-tree, in its order');
    }
    const blobs = await new GitObjects(gitDir).readBlobs([a, b]);
    assert.deepEqual([blobs.get(a), blobs.get(b)], [Buffer.from('a\n'), Buffer.from([0xff, 0])]);
    assert.equal((await run(['fsck', '--strict', '--no-dangling'])).toString('utf8'), '', 'the written trees are well-formed');
  });

  it('builds a whole tree from nothing as git write-tree does (Docker diffs write their two trees this way)', async () => {
    const a = await objects.write('blob', Buffer.from('a\n'));
    const b = await objects.write('blob', Buffer.from('b\n'));
    const files: [string, string, string][] = [
      ['z.txt', '100644', a],
      ['src/app.js', '100755', b],
      ['src/lib/deep/x', '120000', a],
      ['src-old', '100644', b],
      ['src.c', '100644', a],
      ['caf\u00e9/menu', '100644', b],
    ];
    const expected = await gitTree(files.map(([p, mode, sha]) => [Buffer.from(p, 'utf8'), mode, sha]));
    assert.equal(await objects.edit(EMPTY_TREE, new Map(files.map(([p, mode, sha]) => [p, { mode, sha }]))), expected);
    assert.equal(await objects.edit(EMPTY_TREE, new Map()), EMPTY_TREE, 'no files: the empty tree, which git knows without the object');
    assert.equal((await run(['cat-file', '-t', EMPTY_TREE])).toString('utf8').trim(), 'tree');
  });

  it('reads packed trees through git, and an emptied tree is the empty tree', async () => {
    const a = await objects.write('blob', Buffer.from('a\n'));
    const base = await gitTree([[Buffer.from('only/one'), '100644', a]]);
    await run(['repack', '-a', '-d', '-q']);
    const packed = new GitObjects(gitDir);
    assert.equal(await packed.edit(base, new Map([['only/two', { mode: '100644', sha: a }]])), await gitTree([[Buffer.from('only/one'), '100644', a], [Buffer.from('only/two'), '100644', a]]));
    assert.equal(await packed.edit(base, new Map([['only/one', null]])), '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    assert.equal(await packed.edit(base, new Map()), base);
    assert.deepEqual(await packed.readBlobs([a]), new Map([[a, Buffer.from('a\n')]]), 'a packed blob is read through git');
  });

  it("copies a tree into another git dir that holds a base: what differs, loose, and a whole checkpoint git can read", async () => {
    const a = await objects.write('blob', Buffer.from('a\n'));
    const b = await objects.write('blob', Buffer.from([0xff, 0]));
    const base = await gitTree([[Buffer.from('same/x'), '100644', a], [Buffer.from('dir/a'), '100644', a], [Buffer.from('gone'), '100644', a]]);
    const tree = await objects.edit(base, new Map<string, PathEdit>([['dir/a', { mode: '100755', sha: b }], ['dir/new/deep', { mode: '120000', sha: a }], ['gone', null]]));
    const target = mkdtempSync(path.join(os.tmpdir(), 'hangar-tree-copy-'));
    try {
      const inTarget = (args: string[]) => git(args, { env: isolatedGitEnv({ GIT_DIR: target }) });
      await inTarget(['init', '-q', '--bare']);
      const copied = new GitObjects(target);
      // The target holds the base (as a fork's layer borrows the snapshot's tree), packed so a copy of it would show.
      const pack = await run(['pack-objects', '--stdout', '-q'], await run(['rev-list', '--objects', '--no-object-names', base]));
      await git(['index-pack', '--stdin'], { env: isolatedGitEnv({ GIT_DIR: target }), input: pack });
      await copied.copyTree(objects, tree, base);
      assert.equal((await inTarget(['ls-tree', '-r', tree])).toString('utf8'), (await run(['ls-tree', '-r', tree])).toString('utf8'), 'the whole tree is readable there');
      assert.equal((await inTarget(['fsck', '--strict', '--no-dangling'])).toString('utf8'), '');
      const loose = (await inTarget(['count-objects', '-v'])).toString('utf8');
      assert.match(loose, /^count: 5$/m, 'loose: the trees root, dir and dir/new and the blobs of the changed paths (b, a); not the unchanged subtree same/');
      assert.deepEqual(await copied.changes(base, tree), await objects.changes(base, tree));
      await assert.rejects(copied.copyTree(objects, 'f'.repeat(40), base), (e: Error) => e.name === 'UnknownCheckpointError');
      await assert.rejects(copied.copyTree(objects, 'not a tree', base), (e: Error) => e.name === 'UnknownCheckpointError');
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
