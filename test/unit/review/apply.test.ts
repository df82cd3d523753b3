import assert from 'node:assert/strict';
import { chmod, link, lstat, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { applyChanges } from '../../../src/review/apply';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { Sandbox } from '../../../src/sandbox/types';
import type { SandboxEnvironment } from '../../../src/wire';
import { tempDir } from '../tools/helpers';
import { makeRepo, type Entry } from '../sandbox-local/helpers';

// apply against real changes: a local sandbox over a real git repository; the test edits the sandbox copy as an
// agent would, and applies its changes() to the repository.

describe('review: applying changes to the repository', () => {
  let dir: string;
  let repo: string;
  let sandbox: Sandbox;

  async function start(files: Record<string, Entry>): Promise<void> {
    dir = await tempDir();
    repo = path.join(dir, 'repo');
    await makeRepo(repo, files);
    sandbox = await new LocalSandboxProvider({ storageRoot: path.join(dir, 'store') }).provision({ sessionId: 'apply', repoPath: repo, environment: { type: 'cloud' } as SandboxEnvironment });
  }
  const inSandbox = (rel: string) => path.join(sandbox.workdir, rel);
  const apply = async (previous?: Record<string, string>) => applyChanges(repo, await sandbox.changes(), (f, side) => sandbox.readFile(f, side), { previous });

  afterEach(async () => {
    await sandbox.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces a hard-linked file instead of writing through the link', async () => {
    await start({ 'shared.txt': 'old\n' });
    const outside = path.join(dir, 'outside.txt');
    await rm(path.join(repo, 'shared.txt'));
    await writeFile(outside, 'old\n');
    await link(outside, path.join(repo, 'shared.txt'));
    await writeFile(inSandbox('shared.txt'), 'new\n');
    const r = await apply();
    assert.deepEqual(r.conflicts, []);
    assert.equal(await readFile(path.join(repo, 'shared.txt'), 'utf8'), 'new\n');
    assert.equal(await readFile(outside, 'utf8'), 'old\n', 'the file outside the repository is untouched');
  });

  it('keeps the permission bits of a file it replaces and follows the executable bit the session set', async () => {
    await start({ 'run.sh': '#!/bin/sh\n' });
    await chmod(path.join(repo, 'run.sh'), 0o640);
    await writeFile(inSandbox('run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(inSandbox('run.sh'), 0o755);
    const r = await apply();
    assert.deepEqual(r.conflicts, []);
    assert.equal((await stat(path.join(repo, 'run.sh'))).mode & 0o777, 0o750);
  });

  it('creates a link the session made as a link, and refuses one that leaves the repository', async () => {
    await start({ 'target.txt': 'target\n' });
    await symlink('target.txt', inSandbox('inside-link'));
    let r = await apply();
    assert.deepEqual(r.conflicts, []);
    assert.ok((await lstat(path.join(repo, 'inside-link'))).isSymbolicLink());
    assert.equal(await readlink(path.join(repo, 'inside-link')), 'target.txt');

    await symlink('../../etc/passwd', inSandbox('escape'));
    r = await apply();
    assert.equal(r.conflicts.length, 1);
    assert.equal(r.conflicts[0]!.path, 'escape');
    assert.match(r.conflicts[0]!.reason, /outside the repository/);
    await assert.rejects(lstat(path.join(repo, 'escape')), /ENOENT/);
  });

  it('replaces a linked directory with the real directory the session made (no EISDIR)', async () => {
    await start({ 'real/a.txt': 'a\n', 'dirlink': { link: 'real' } });
    await rm(inSandbox('dirlink'));
    await mkdir(inSandbox('dirlink'));
    await writeFile(inSandbox('dirlink/b.txt'), 'b\n');
    const r = await apply();
    assert.deepEqual(r.conflicts, []);
    assert.ok((await lstat(path.join(repo, 'dirlink'))).isDirectory());
    assert.equal(await readFile(path.join(repo, 'dirlink/b.txt'), 'utf8'), 'b\n');
    await assert.rejects(lstat(path.join(repo, 'real/b.txt')), /ENOENT/, 'nothing was written through the old link');
  });

  it('replaces a link with the file the session put there, leaving the link target alone', async () => {
    await start({ 'target.txt': 'target\n', 'l': { link: 'target.txt' } });
    await rm(inSandbox('l'));
    await writeFile(inSandbox('l'), 'a file now\n');
    const r = await apply();
    assert.deepEqual(r.conflicts, []);
    assert.ok((await lstat(path.join(repo, 'l'))).isFile());
    assert.equal(await readFile(path.join(repo, 'l'), 'utf8'), 'a file now\n');
    assert.equal(await readFile(path.join(repo, 'target.txt'), 'utf8'), 'target\n');
  });

  it('names a retargeted link as the conflict, and writes nothing', async () => {
    await start({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'l': { link: 'a.txt' } });
    await writeFile(inSandbox('a.txt'), 'changed\n');
    await rm(inSandbox('l'));
    await writeFile(inSandbox('l'), 'file\n');
    await rm(path.join(repo, 'l'));
    await symlink('b.txt', path.join(repo, 'l'));
    const r = await apply();
    assert.deepEqual(r.conflicts, [{ path: 'l', reason: 'the link was changed in the repository since the session started (now a symbolic link to b.txt)' }]);
    assert.equal(await readFile(path.join(repo, 'a.txt'), 'utf8'), 'a\n');
  });

  it('does not write below a linked directory the session did not replace', async () => {
    await start({ 'real/a.txt': 'a\n', 'dirlink/keep.txt': 'k\n' });
    await writeFile(inSandbox('dirlink/new.txt'), 'n\n');
    await rm(path.join(repo, 'dirlink'), { recursive: true });
    await symlink(path.join(dir, 'elsewhere'), path.join(repo, 'dirlink'));
    await mkdir(path.join(dir, 'elsewhere'));
    const r = await apply();
    assert.deepEqual(r.conflicts, [{ path: 'dirlink/new.txt', reason: 'its directory dirlink is a symbolic link in the repository' }]);
    await assert.rejects(lstat(path.join(dir, 'elsewhere', 'new.txt')), /ENOENT/);
  });

  it('reports paths that already hold the session version, and accepts its own earlier writes', async () => {
    await start({ 'a.txt': 'a\n' });
    await writeFile(inSandbox('a.txt'), 'one\n');
    const first = await apply();
    assert.deepEqual([first.applied, first.already], [['a.txt'], []]);
    const again = await apply(first.written);
    assert.deepEqual([again.applied, again.already, again.conflicts], [[], ['a.txt'], []]);
    await writeFile(inSandbox('a.txt'), 'two\n');
    assert.equal((await apply()).conflicts.length, 1, 'without the record, the earlier apply looks like a user change');
    const next = await apply(first.written);
    assert.deepEqual([next.applied, next.conflicts], [['a.txt'], []]);
    assert.equal(await readFile(path.join(repo, 'a.txt'), 'utf8'), 'two\n');
  });
});
