import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SnapshotStore } from '../../../src/sandbox/docker/snapshot';
import { tmpDir } from '../../support/tmp';

// Host snapshots: reused while the repository is unchanged, rebuilt incrementally (hard links for unchanged files,
// fresh copies for changed ones) when it moves, never modified once built, never written through symlinks.

const HOUR_AGO = Date.now() / 1000 - 3600;

function repoWith(files: Record<string, string>, opts: { git?: boolean; age?: boolean } = {}): string {
  const dir = tmpDir('snaprepo');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
    // Files older than the racy window, as in a repository nobody is typing into.
    if (opts.age !== false) fs.utimesSync(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
  }
  if (opts.git !== false) {
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'init');
  }
  return dir;
}

const read = (tree: string, rel: string) => fs.readFileSync(path.join(tree, rel), 'utf8');
const ino = (tree: string, rel: string) => fs.statSync(path.join(tree, rel)).ino;

describe('sandbox-docker: snapshots', () => {
  let store: SnapshotStore;
  beforeEach(() => {
    store = new SnapshotStore(tmpDir('snapstore'));
  });

  it('copies the listed files with their modes and mtimes, and reuses the snapshot while nothing changed', async () => {
    const repo = repoWith({ 'a.txt': 'a\n', 'bin/run.sh': '#!/bin/sh\n', '.gitignore': 'ignored.txt\n' });
    fs.writeFileSync(path.join(repo, 'ignored.txt'), 'no');
    fs.chmodSync(path.join(repo, 'bin/run.sh'), 0o755);
    const first = await store.prepare(repo, null);
    assert.deepEqual([first.files, first.copied, first.linked, first.reused], [3, 3, 0, false]);
    assert.equal(read(first.tree, 'a.txt'), 'a\n');
    assert.equal(fs.statSync(path.join(first.tree, 'bin/run.sh')).mode & 0o777, 0o755);
    assert.equal(Math.round(fs.statSync(path.join(first.tree, 'a.txt')).mtimeMs / 1000), Math.round(HOUR_AGO));
    assert.equal(fs.existsSync(path.join(first.tree, 'ignored.txt')), false);
    const again = await store.prepare(repo, null);
    assert.deepEqual([again.id, again.reused], [first.id, true]);
  });

  it('after an in-place edit: a new snapshot, only the changed file copied, the old snapshot untouched', async () => {
    const repo = repoWith({ 'same.txt': 'same\n', 'edit.txt': 'before\n' });
    const first = await store.prepare(repo, null);
    fs.writeFileSync(path.join(repo, 'edit.txt'), 'after!\n');
    const second = await store.prepare(repo, null);
    assert.notEqual(second.id, first.id);
    assert.deepEqual([second.copied, second.linked], [1, 1]);
    assert.equal(read(second.tree, 'edit.txt'), 'after!\n');
    assert.equal(read(first.tree, 'edit.txt'), 'before\n');
    assert.equal(ino(second.tree, 'same.txt'), ino(first.tree, 'same.txt'));
    assert.notEqual(ino(second.tree, 'edit.txt'), ino(repo, 'edit.txt'));
  });

  it('a file rewritten right after a build with the same size and mtime is caught by content', async () => {
    const repo = repoWith({ 'hot.txt': 'aaaa\n' }, { age: false });
    const first = await store.prepare(repo, null);
    const { atime, mtime } = fs.statSync(path.join(repo, 'hot.txt'));
    fs.writeFileSync(path.join(repo, 'hot.txt'), 'bbbb\n');
    fs.utimesSync(path.join(repo, 'hot.txt'), atime, mtime);
    const second = await store.prepare(repo, null);
    assert.notEqual(second.id, first.id);
    assert.equal(read(second.tree, 'hot.txt'), 'bbbb\n');
    // Unchanged since: the racy entry is verified by content and the snapshot reused.
    assert.equal((await store.prepare(repo, null)).id, second.id);
  });

  it('never reads or writes through a symlinked directory', async () => {
    const outside = tmpDir('outside');
    fs.writeFileSync(path.join(outside, 'x'), 'secret');
    const repo = repoWith({ 'a/x': 'tracked\n', 'keep.txt': 'k\n' });
    fs.rmSync(path.join(repo, 'a'), { recursive: true });
    fs.symlinkSync(outside, path.join(repo, 'a'));
    const snap = await store.prepare(repo, null);
    assert.equal(fs.lstatSync(path.join(snap.tree, 'a')).isSymbolicLink(), true);
    assert.deepEqual(fs.readdirSync(outside), ['x']);
    assert.equal(fs.readFileSync(path.join(outside, 'x'), 'utf8'), 'secret');
    assert.equal(read(snap.tree, 'keep.txt'), 'k\n');
  });

  it('a folder that is not a git repository is copied minus the default ignores (node_modules, .DS_Store, …)', async () => {
    const repo = repoWith({ 'src/a.js': 'a', 'node_modules/dep/index.js': 'd', '.DS_Store': 'x' }, { git: false });
    const snap = await store.prepare(repo, null);
    // .git is the agent's fresh repository of these files (repo/agent-git.ts), not a copy of anything.
    assert.deepEqual(fs.readdirSync(snap.tree).sort(), ['.git', 'src']);
  });

  it("a commit that changes no file makes a new snapshot: the tree's .git follows the user's HEAD", async () => {
    const repo = repoWith({ 'f.txt': '1\n' });
    const a = await store.prepare(repo, null);
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { cwd: repo });
    const b = await store.prepare(repo, null);
    assert.notEqual(b.id, a.id);
    const head = (dir: string) => execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    assert.equal(head(b.tree), head(repo));
    assert.notEqual(head(a.tree), head(repo));
  });

  it('gc removes snapshots nobody uses, keeping the latest per repository and those in use', async () => {
    const repo = repoWith({ 'f.txt': '1\n' });
    const a = await store.prepare(repo, null);
    fs.writeFileSync(path.join(repo, 'f.txt'), '2\n');
    const b = await store.prepare(repo, null);
    fs.writeFileSync(path.join(repo, 'f.txt'), '3\n');
    const c = await store.prepare(repo, null);
    assert.deepEqual(await store.gc(new Set([a.id])), [b.id]);
    assert.equal(fs.existsSync(a.tree) && fs.existsSync(c.tree) && !fs.existsSync(b.tree), true);
  });

  it('an empty workspace (no repository) is an empty snapshot', async () => {
    const snap = await store.prepare(undefined, null);
    assert.deepEqual([snap.files, fs.readdirSync(snap.tree)], [0, []]);
  });
});
