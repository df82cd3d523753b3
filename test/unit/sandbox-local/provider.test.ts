import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NO_NETWORK, type SandboxEnvironment } from '../../../src/wire';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { Sandbox } from '../../../src/sandbox/types';
import { tempDir, text } from '../tools/helpers';
import { gitIn, makeRepo, snapshot, writeTree } from './helpers';

const environment: SandboxEnvironment = {
  type: 'cloud',
  networking: NO_NETWORK,
  packages: { apt: [], cargo: [], gem: [], go: [], npm: [], pip: [] },
  hangar: { limits: { memory_mb: 2048, cpus: 2, pids: 512 } },
};

describe('sandbox-local: provider', () => {
  let dir: string;
  let repo: string;
  let provider: LocalSandboxProvider;
  beforeEach(async () => {
    dir = await tempDir();
    repo = path.join(dir, 'repo');
    provider = new LocalSandboxProvider({ storageRoot: path.join(dir, 'store') });
  });
  afterEach(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });
  const sandboxDir = (id: string) => path.join(dir, 'store', 'sandboxes', id);
  const provision = (sessionId: string) => provider.provision({ sessionId, repoPath: repo, environment });
  const sh = async (sandbox: Sandbox, command: string) => text(await sandbox.execute('bash', { command }));

  it('copies tracked and untracked-not-ignored files, with modes and symlinks, skipping submodules', async () => {
    await makeRepo(
      repo,
      {
        '.gitignore': 'node_modules/\n*.log\nbuild/\n',
        'src/main.ts': 'export {};\n',
        'run.sh': { data: '#!/bin/sh\necho hi\n', mode: 0o755 },
        'link-to-main': { link: 'src/main.ts' },
        'forced.log': 'tracked although ignored\n',
      },
      {
        'notes.md': 'untracked\n',
        'node_modules/dep/index.js': 'ignored\n',
        'debug.log': 'ignored\n',
        'build/out.js': 'ignored\n',
        'nested/file.txt': 'inside a nested repository\n',
      },
    );
    gitIn(path.join(repo, 'nested'), ['init', '-q']);
    const head = gitIn(repo, ['rev-parse', 'HEAD']).trim();
    gitIn(repo, ['update-index', '--add', '--cacheinfo', `160000,${head},submodule`]);
    await writeTree(repo, { 'submodule/inner.txt': 'submodule content\n' });
    const sandbox = await provision('s1');
    assert.equal(sandbox.workdir, path.join(sandboxDir('s1'), 'workspace'));
    const files = [...(await snapshot(sandbox.workdir)).keys()].sort();
    assert.deepEqual(files, ['.gitignore', 'forced.log', 'link-to-main', 'notes.md', 'run.sh', 'src/main.ts']);
    assert.equal((await stat(path.join(sandbox.workdir, 'run.sh'))).mode & 0o777, 0o755);
    assert.equal(await sh(sandbox, 'readlink link-to-main'), 'src/main.ts');
    assert.deepEqual((await sandbox.changes()).files, []);
  });

  it('copies a plain folder with the default ignores and its .gitignore', async () => {
    await writeTree(repo, {
      'index.js': 'x\n',
      'node_modules/a/b.js': 'x\n',
      'dist/bundle.js': 'x\n',
      '.venv/bin/python': 'x\n',
      'server.log': 'x\n',
      '.gitignore': 'secret.env\n',
      'secret.env': 'x\n',
      'lib/util.js': 'x\n',
    });
    const sandbox = await provision('plain');
    assert.deepEqual([...(await snapshot(sandbox.workdir)).keys()].sort(), ['.gitignore', 'index.js', 'lib/util.js']);
  });

  it('is a snapshot: later edits of the source repository never show up', async () => {
    await makeRepo(repo, { 'a.txt': 'original\n' });
    const sandbox = await provision('snap');
    await writeFile(path.join(repo, 'a.txt'), 'edited in the user repo\n');
    await writeFile(path.join(repo, 'new.txt'), 'new in the user repo\n');
    assert.equal(await readFile(path.join(sandbox.workdir, 'a.txt'), 'utf8'), 'original\n');
    assert.equal(await sh(sandbox, 'ls'), 'a.txt');
    assert.deepEqual(await sandbox.changes(), { patch: '', files: [] });
  });

  it("gives the workspace a clone of the user's repository: HEAD, branch, history, uncommitted changes as working-tree changes", async () => {
    await makeRepo(repo, { 'a.txt': 'a\n', 'gone.txt': 'g\n', 'crlf.txt': 'x\r\n', '.gitattributes': '* text=auto eol=lf\n' });
    gitIn(repo, ['checkout', '-q', '-b', 'feature']);
    await writeFile(path.join(repo, 'a.txt'), 'a\nsecond\n');
    gitIn(repo, ['commit', '-qam', 'second line']);
    await writeFile(path.join(repo, 'a.txt'), 'a\nsecond\nuncommitted\n');
    await rm(path.join(repo, 'gone.txt'));
    await writeFile(path.join(repo, 'notes.md'), 'untracked\n');
    const sandbox = await provision('git');
    assert.equal(await sh(sandbox, 'git rev-parse --abbrev-ref HEAD'), 'feature');
    assert.equal(await sh(sandbox, 'git rev-parse HEAD'), gitIn(repo, ['rev-parse', 'HEAD']).trim());
    assert.equal(await sh(sandbox, 'git log --format=%s'), 'second line\ninitial');
    assert.equal(await sh(sandbox, 'git status --porcelain'), ' M a.txt\n D gone.txt\n?? notes.md');
    assert.match(await sh(sandbox, 'git diff a.txt'), /^\+uncommitted$/m);
    assert.match(await sh(sandbox, 'git blame -s a.txt'), /second$/m);
    // The clone points nowhere: no remote, no path of the host's repository in its config.
    assert.equal(await sh(sandbox, 'git remote'), '(no output)');
    assert.doesNotMatch(await readFile(path.join(sandbox.workdir, '.git', 'config'), 'utf8'), new RegExp(repo));
  });

  it("the agent's commits are still changes against the baseline, which holds the user's uncommitted work", async () => {
    await makeRepo(repo, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    await writeFile(path.join(repo, 'b.txt'), 'b uncommitted\n');
    const sandbox = await provision('commit');
    await sh(sandbox, 'echo agent >> a.txt && git commit -qam "agent work" && git reset -q --hard HEAD && git log -1 --format=%s');
    assert.equal(await sh(sandbox, 'git status --porcelain'), '(no output)');
    const changes = await sandbox.changes();
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['a.txt', 'modified']]);
  });

  it('gives a detached HEAD as detached, and a subfolder of a repository or a plain folder a fresh repository of its files', async () => {
    await makeRepo(repo, { 'a.txt': 'a\n' });
    const head = gitIn(repo, ['rev-parse', 'HEAD']).trim();
    gitIn(repo, ['checkout', '-q', '--detach']);
    const detached = await provision('detached');
    assert.equal(await sh(detached, 'git rev-parse --abbrev-ref HEAD'), 'HEAD');
    assert.equal(await sh(detached, 'git rev-parse HEAD'), head);
    await mkdir(path.join(repo, 'sub'));
    await writeFile(path.join(repo, 'sub', 'b.txt'), 'b\n');
    const sub = await provider.provision({ sessionId: 'subfolder', repoPath: path.join(repo, 'sub'), environment });
    assert.equal(await sh(sub, 'git log --format=%s'), 'The workspace as the session started');
    assert.equal(await sh(sub, 'git ls-files'), 'b.txt');
    await rm(path.join(repo, '.git'), { recursive: true });
    const plain = await provision('plain-git');
    assert.equal(await sh(plain, 'git log --format=%s'), 'The workspace as the session started');
    assert.equal(await sh(plain, 'git status --porcelain'), '(no output)');
  });

  it('trusts only its private baseline: rewriting the workspace .git changes nothing', async () => {
    await makeRepo(repo, { 'a.txt': 'a\n' });
    const sandbox = await provision('tamper');
    await sh(sandbox, 'echo b >> a.txt && git commit -qam "hide it" && rm -rf .git && git init -q');
    const changes = await sandbox.changes();
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['a.txt', 'modified']]);
  });

  it('reads files at the baseline and now', async () => {
    await makeRepo(repo, { 'a.txt': 'before\n', 'gone.txt': 'x\n', 'l': { link: 'a.txt' } });
    const sandbox = await provision('read');
    await sh(sandbox, 'echo after > a.txt && rm gone.txt && echo fresh > new.txt');
    assert.equal(String(await sandbox.readFile('a.txt', 'baseline')), 'before\n');
    assert.equal(String(await sandbox.readFile('a.txt', 'current')), 'after\n');
    assert.equal(await sandbox.readFile('gone.txt', 'current'), null);
    assert.equal(String(await sandbox.readFile('gone.txt', 'baseline')), 'x\n');
    assert.equal(await sandbox.readFile('new.txt', 'baseline'), null);
    assert.equal(String(await sandbox.readFile('l', 'current')), 'a.txt');
    assert.equal(String(await sandbox.readFile('l', 'baseline')), 'a.txt');
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', '.git/config', '']) {
      await assert.rejects(sandbox.readFile(bad, 'current'), /invalid repository path/);
    }
  });

  it('reads a current file through a directory link inside the workspace, never through one leading out', async () => {
    await makeRepo(repo, { 'sub/in.txt': 'inside\n' });
    const sandbox = await provision('links');
    const outside = path.join(path.dirname(sandbox.workdir), 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
    await sh(sandbox, `ln -s sub alias && ln -s ${outside} out && ln -s sub/../out twice`);
    assert.equal(String(await sandbox.readFile('alias/in.txt', 'current')), 'inside\n');
    assert.equal(await sandbox.readFile('out/secret.txt', 'current'), null);
    assert.equal(await sandbox.readFile('twice/secret.txt', 'current'), null);
  });

  it('provisions an empty workspace without a repository', async () => {
    const sandbox = await provider.provision({ sessionId: 'empty', environment });
    assert.deepEqual([...(await snapshot(sandbox.workdir)).keys()], []);
    await sandbox.execute('write', { file_path: 'hello.txt', content: 'hi\n' });
    assert.deepEqual((await sandbox.changes()).files.map((f) => f.status), ['added']);
  });

  it('reattaches after release: files and the shell directory stay, with a new tool host', async () => {
    await makeRepo(repo, { 'a.txt': 'a\n' });
    const first = await provision('re');
    assert.equal(await provision('re'), first);
    await sh(first, 'mkdir -p work && cd work && echo kept > made.txt');
    await first.release();
    const released = await first.execute('bash', { command: 'echo hi' });
    assert.equal(released.is_error, true);
    await writeFile(path.join(repo, 'a.txt'), 'changed after the copy\n');
    const second = await provision('re');
    assert.notEqual(second, first);
    assert.equal(await sh(second, 'pwd; cat made.txt'), `${path.join(second.workdir, 'work')}\nkept`);
    assert.equal(await readFile(path.join(second.workdir, 'a.txt'), 'utf8'), 'a\n');
    assert.deepEqual((await second.changes()).files.map((f) => f.path), ['work/made.txt']);
  });

  it('rebuilds a half-made sandbox (no manifest)', async () => {
    await makeRepo(repo, { 'a.txt': 'a\n' });
    await mkdir(path.join(sandboxDir('half'), 'workspace'), { recursive: true });
    await writeFile(path.join(sandboxDir('half'), 'workspace', 'junk.txt'), 'left over\n');
    const sandbox = await provision('half');
    assert.deepEqual([...(await snapshot(sandbox.workdir)).keys()], ['a.txt']);
  });

  it('reap removes only sessions that are not live; destroy removes everything', async () => {
    await makeRepo(repo, { 'a.txt': 'a\n' });
    await provision('keep');
    const dead = await provision('dead1');
    await dead.release();
    await provision('dead2');
    await mkdir(path.join(dir, 'store', 'sandboxes', 'not a session id'), { recursive: true });
    const removed = await provider.reap(new Set(['keep']));
    assert.deepEqual(removed.sort(), ['dead1', 'dead2']);
    assert.deepEqual((await readdir(path.join(dir, 'store', 'sandboxes'))).sort(), ['keep', 'not a session id']);
    await provider.destroy('keep');
    await assert.rejects(stat(sandboxDir('keep')));
  });

  it('rejects session ids that could escape the storage root', async () => {
    for (const id of ['../evil', 'a/b', '', '.hidden']) {
      await assert.rejects(provision(id), /session ids are/);
    }
  });
});
