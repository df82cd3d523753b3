import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { exactAttributePattern } from '../../../src/sandbox/repo/diff';
import { isolatedGitEnv } from '../../../src/sandbox/repo/git';
import type { FileChange, Sandbox } from '../../../src/sandbox/types';
import type { SandboxEnvironment } from '../../../src/wire';
import { tempDir, text } from '../tools/helpers';
import { makeRepo, snapshot } from './helpers';

const environment = { type: 'cloud' } as SandboxEnvironment;
const BINARY = Buffer.from([0x89, 0x50, 0x00, 0x01, 0xff, 0xfe, 0x00, 0x10]);

describe('sandbox-local: changes()', () => {
  let dir: string;
  let repo: string;
  let provider: LocalSandboxProvider;
  let sandbox: Sandbox;
  let pristine: string;
  beforeEach(async () => {
    dir = await tempDir();
    repo = path.join(dir, 'repo');
    provider = new LocalSandboxProvider({ storageRoot: path.join(dir, 'store') });
    await makeRepo(repo, {
      'edit.txt': 'one\ntwo\nthree\n',
      'delete.txt': 'bye\n',
      'rename-me.txt': 'a file that moves\nwith several lines\nof content\n',
      'chmod.sh': '#!/bin/sh\n',
      'image.bin': BINARY,
      'dir with space/ünïcödé file.txt': 'spaces and unicode\n',
      'no-newline.txt': 'no trailing newline',
      'crlf.txt': 'windows\r\nlines\r\n',
      '.gitattributes': '*.txt text eol=lf\n',
      'latin1.txt': Buffer.from('caf\xe9\n', 'latin1'),
      'link': { link: 'edit.txt' },
    });
    sandbox = await provider.provision({ sessionId: 'changes', repoPath: repo, environment });
    // The baseline as it was copied (working-tree bytes, not what git archive would normalise).
    pristine = path.join(dir, 'pristine');
    await mkdir(pristine);
    const tar = execFileSync('tar', ['-C', sandbox.workdir, '--exclude=./.git', '-c', '.']);
    execFileSync('tar', ['-x', '-C', pristine], { input: tar });
  });
  afterEach(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function sh(command: string): Promise<void> {
    const out = await sandbox.execute('bash', { command });
    assert.equal(out.is_error, false, text(out));
  }

  it('reports nothing for an untouched copy', async () => {
    assert.deepEqual(await sandbox.changes(), { patch: '', files: [] });
  });

  it('describes every kind of change exactly, and the patch recreates the workspace', async () => {
    await sandbox.execute('edit', { file_path: 'edit.txt', old_string: 'two', new_string: 'TWO\nand a half' });
    await sh('rm delete.txt');
    await sh('mv rename-me.txt renamed.txt && echo "one more line" >> renamed.txt');
    await sh('chmod +x chmod.sh');
    await sh("printf '\\x00\\x01\\x02' >> image.bin");
    await sh("printf 'added\\n' > 'dir with space/ünïcödé file.txt'");
    await sh("printf ' still none' >> no-newline.txt");
    await sh("printf 'windows\\r\\nLINES\\r\\n' > crlf.txt");
    await sh("printf 'th\\xe9\\n' > latin1.txt");
    await sh('ln -sfn renamed.txt link');
    await sh("mkdir -p new/dir && printf 'brand new\\n' > new/dir/file.txt && printf '\\x00binary\\x00' > new.bin && chmod +x new/dir/file.txt");
    await sh('mkdir -p .git/extra && echo x > .git/extra/ignored-by-design');

    const { patch, files } = await sandbox.changes();
    const byPath = new Map(files.map((f) => [f.path, f]));
    const expect = (p: string, change: Omit<FileChange, 'path'>) => assert.deepEqual(byPath.get(p), { path: p, ...change }, p);
    expect('edit.txt', { status: 'modified', binary: false, additions: 2, deletions: 1, old_mode: '100644', new_mode: '100644' });
    expect('delete.txt', { status: 'deleted', binary: false, additions: 0, deletions: 1, old_mode: '100644' });
    expect('renamed.txt', { status: 'renamed', old_path: 'rename-me.txt', binary: false, additions: 1, deletions: 0, old_mode: '100644', new_mode: '100644' });
    expect('chmod.sh', { status: 'mode_changed', binary: false, additions: 0, deletions: 0, old_mode: '100644', new_mode: '100755' });
    expect('image.bin', { status: 'modified', binary: true, additions: 0, deletions: 0, old_mode: '100644', new_mode: '100644' });
    expect('dir with space/ünïcödé file.txt', { status: 'modified', binary: false, additions: 1, deletions: 1, old_mode: '100644', new_mode: '100644' });
    expect('no-newline.txt', { status: 'modified', binary: false, additions: 1, deletions: 1, old_mode: '100644', new_mode: '100644' });
    expect('crlf.txt', { status: 'modified', binary: false, additions: 1, deletions: 1, old_mode: '100644', new_mode: '100644' });
    expect('latin1.txt', { status: 'modified', binary: true, additions: 0, deletions: 0, old_mode: '100644', new_mode: '100644' });
    expect('link', { status: 'modified', binary: false, additions: 1, deletions: 1, old_mode: '120000', new_mode: '120000' });
    expect('new/dir/file.txt', { status: 'added', binary: false, additions: 1, deletions: 0, new_mode: '100755' });
    expect('new.bin', { status: 'added', binary: true, additions: 0, deletions: 0, new_mode: '100644' });
    assert.equal(files.length, 12, JSON.stringify(files.map((f) => f.path)));
    assert.equal(files.some((f) => f.path.includes('.git/')), false);

    assert.match(patch, /^diff --git a\/rename-me\.txt b\/renamed\.txt\nsimilarity index \d+%\nrename from rename-me\.txt\nrename to renamed\.txt$/m);
    assert.match(patch, /^old mode 100644\nnew mode 100755$/m);
    assert.match(patch, /^GIT binary patch$/m);
    assert.match(patch, /-windows\r?\n|-lines\r\n\+LINES\r\n/);
    assert.match(patch, /\\ No newline at end of file/);

    // The patch applied to a pristine copy of the baseline gives exactly the workspace.
    await writeFile(path.join(dir, 'changes.patch'), patch);
    const apply = ['apply', '--binary', '--whitespace=nowarn', path.join(dir, 'changes.patch')];
    execFileSync('git', apply, { cwd: pristine, env: isolatedGitEnv({}) });
    assert.deepEqual(await snapshot(pristine), await snapshot(sandbox.workdir));
  });

  it('leaves files the workspace .gitignore hides out of the changes', async () => {
    await sh("printf 'node_modules/\\n' > .gitignore && mkdir -p node_modules/x && echo 1 > node_modules/x/i.js");
    assert.deepEqual((await sandbox.changes()).files.map((f) => f.path), ['.gitignore']);
  });

  it('stays correct across repeated calls and concurrent calls', async () => {
    await sh('echo x >> edit.txt');
    const [a, b] = await Promise.all([sandbox.changes(), sandbox.changes()]);
    assert.deepEqual(a, b);
    await sh('git checkout -q -- edit.txt');
    assert.deepEqual(await sandbox.changes(), { patch: '', files: [] });
  });

  it('reads raw records and line counts from one git run, even for paths that look like records (a leading colon, tabs)', async () => {
    await sh("printf 'a\\n' > ':colon.txt' && mv rename-me.txt ':moved\ttab.txt' && printf 'x\\n' >> ':moved\ttab.txt' && printf 'a\\nb\\n' > '1\t2\t3'");
    const { files } = await sandbox.changes();
    const by = new Map(files.map((f) => [f.path, f]));
    assert.deepEqual(by.get(':colon.txt'), { path: ':colon.txt', status: 'added', binary: false, additions: 1, deletions: 0, new_mode: '100644' });
    assert.deepEqual(by.get(':moved\ttab.txt'), { path: ':moved\ttab.txt', old_path: 'rename-me.txt', status: 'renamed', binary: false, additions: 1, deletions: 0, old_mode: '100644', new_mode: '100644' });
    assert.deepEqual(by.get('1\t2\t3'), { path: '1\t2\t3', status: 'added', binary: false, additions: 2, deletions: 0, new_mode: '100644' });
    assert.equal(files.length, 3);
  });

  it('escapes paths exactly for gitattributes', () => {
    assert.equal(exactAttributePattern('a b/c*d?.txt'), '"/a b/c\\\\*d\\\\?.txt"');
    assert.equal(exactAttributePattern('q"uote\\x'), '"/q\\"uote\\\\\\\\x"');
  });
});
