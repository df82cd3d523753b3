import assert from 'node:assert/strict';
import fs from 'node:fs';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { Sandbox, SandboxProvider, WorkspaceChanges } from '../../../src/sandbox/types';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT, tmpDir, retireAll } from './helpers';

// A scripted session edits, adds, deletes, renames, chmods and writes binary and non-UTF-8 files; the Docker
// sandbox's diff must be exact, and byte for byte the local provider's for the same script, in both file modes.

const FILES: Record<string, string | Buffer> = {
  'README.md': '# demo\n\nsome text\n',
  'src/app.js': 'console.log("hi");\n',
  'src/util.js': 'export const x = 1;\n',
  'old-name.txt': 'rename me\n'.repeat(5),
  'run.sh': '#!/bin/sh\necho run\n',
  'logo.bin': Buffer.from([0, 1, 2, 3, 255, 254]),
  'gone/a.txt': 'a\n',
  'gone/b.txt': 'b\n',
  'latin1.txt': Buffer.from('caf\xe9\n', 'latin1'),
  '.gitignore': 'deps/\n*.log\n',
  'sub/.gitignore': '!keep.log\n',
};

async function script(sb: Sandbox): Promise<void> {
  await ok(sb, 'write', { file_path: 'new.txt', content: 'brand new\n' });
  await ok(sb, 'edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' });
  await ok(sb, 'bash', { command: 'rm README.md && mv old-name.txt new-name.txt && chmod +x run.sh' });
  await ok(sb, 'bash', { command: "printf '\\000\\020\\040' > data.bin && printf X >> logo.bin" });
  await ok(sb, 'bash', { command: 'rm -rf gone && mkdir gone && echo c > gone/c.txt' });
  await ok(sb, 'bash', { command: "ln -s src/app.js link-to-app && printf 'd\\351j\\340\\n' >> latin1.txt" });
  // Ignored by the workspace's .gitignore files (except what a deeper one re-includes): not changes.
  await ok(sb, 'bash', { command: 'mkdir -p deps/pkg sub && echo x > deps/pkg/index.js && echo l > debug.log && echo l > sub/drop.log && echo k > sub/keep.log' });
  // Touched or rewritten with the same bytes: copied up in an overlay, but not a change.
  await ok(sb, 'bash', { command: 'touch src/util.js && cp src/util.js /tmp/u && cat /tmp/u > src/util.js' });
}

async function run(provider: SandboxProvider, repo: string, sessionId: string): Promise<{ sb: Sandbox; changes: WorkspaceChanges }> {
  const sb = await provider.provision({ sessionId, repoPath: repo, environment: env() });
  await script(sb);
  return { sb, changes: await sb.changes() };
}

describe('docker sandbox: exact changes', function () {
  this.timeout(TIMEOUT);
  const providers: SandboxProvider[] = [];
  let repo: string;

  before(async () => {
    await requireDocker();
    repo = makeRepo(FILES);
  });
  after(() => retireAll(providers));

  const make = (opts: Parameters<typeof newProvider>[0] = {}): DockerSandboxProvider => {
    const p = newProvider(opts);
    providers.push(p);
    return p;
  };

  it('reports every kind of change, identical to the local provider (overlay mode)', async () => {
    const { sb, changes } = await run(make({ files: 'overlay' }), repo, 'diff-overlay');
    const local = new LocalSandboxProvider({ storageRoot: tmpDir('local') });
    providers.push(local);
    const expected = (await run(local, repo, 'diff-local')).changes;

    const summary = Object.fromEntries(changes.files.map((f) => [f.path, [f.status, f.old_path ?? null, f.binary, f.new_mode ?? null]]));
    assert.deepEqual(summary, {
      'README.md': ['deleted', null, false, null],
      'data.bin': ['added', null, true, '100644'],
      'gone/a.txt': ['deleted', null, false, null],
      'gone/b.txt': ['deleted', null, false, null],
      'gone/c.txt': ['added', null, false, '100644'],
      'latin1.txt': ['modified', null, true, '100644'],
      'link-to-app': ['added', null, false, '120000'],
      'logo.bin': ['modified', null, true, '100644'],
      'new-name.txt': ['renamed', 'old-name.txt', false, '100644'],
      'new.txt': ['added', null, false, '100644'],
      'run.sh': ['mode_changed', null, false, '100755'],
      'src/app.js': ['modified', null, false, '100644'],
      'sub/keep.log': ['added', null, false, '100644'],
    });
    assert.match(changes.patch, /-console\.log\("hi"\);\n\+console\.log\("hello"\);/);
    assert.match(changes.patch, /rename from old-name\.txt\nrename to new-name\.txt/);
    assert.match(changes.patch, /old mode 100644\nnew mode 100755/);
    assert.match(changes.patch, /GIT binary patch/);
    assert.equal(changes.patch, expected.patch);
    assert.deepEqual(changes.files, expected.files);

    assert.equal((await sb.readFile('README.md', 'baseline'))?.toString(), FILES['README.md']);
    assert.equal(await sb.readFile('README.md', 'current'), null);
    assert.equal((await sb.readFile('new-name.txt', 'current'))?.toString(), FILES['old-name.txt']);
    assert.equal(await sb.readFile('new-name.txt', 'baseline'), null);
    assert.equal((await sb.readFile('link-to-app', 'current'))?.toString(), 'src/app.js');
    assert.equal(await sb.readFile('gone/a.txt', 'current'), null);
    assert.equal((await sb.readFile('gone/c.txt', 'current'))?.toString(), 'c\n');
    assert.equal((await sb.readFile('src/util.js', 'current'))?.toString(), FILES['src/util.js']);
    await assert.rejects(sb.readFile('../etc/passwd', 'current'), /invalid repository path/);
  });

  it('copy mode (tar into a plain volume, baseline on the host) gives the same diff', async () => {
    const overlay = (await run(make({ files: 'overlay' }), repo, 'diff-o2')).changes;
    const { sb, changes } = await run(make({ files: 'copy' }), repo, 'diff-copy');
    assert.deepEqual(changes.files, overlay.files);
    assert.equal(changes.patch, overlay.patch);
    assert.equal((await sb.readFile('README.md', 'baseline'))?.toString(), FILES['README.md']);
    assert.equal((await sb.readFile('new.txt', 'current'))?.toString(), 'brand new\n');
  });

  it('a session with no repository starts empty and reports what it creates', async () => {
    const sb = await make().provision({ sessionId: 'empty', environment: env() });
    assert.equal(await ok(sb, 'bash', { command: 'ls -A /workspace | wc -l' }), '0');
    await ok(sb, 'write', { file_path: 'a/b.txt', content: 'x\n' });
    const changes = await sb.changes();
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['a/b.txt', 'added']]);
  });

  it('an untouched session has no changes, and untracked-but-not-ignored files are part of the baseline', async () => {
    const dir = makeRepo({ 'tracked.txt': 't\n', '.gitignore': 'ignored.txt\n' });
    fs.writeFileSync(`${dir}/untracked.txt`, 'u\n');
    fs.writeFileSync(`${dir}/ignored.txt`, 'i\n');
    const sb = await make().provision({ sessionId: 'untouched', repoPath: dir, environment: env() });
    assert.deepEqual(await sb.changes(), { patch: '', files: [] });
    assert.equal(await ok(sb, 'bash', { command: 'ls -A' }), '.git\n.gitignore\ntracked.txt\nuntracked.txt');
  });
});
