import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import { materialiseCheckpoint, UnknownCheckpointError } from '../../../src/sandbox/repo/checkpoint-git';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT, tmpDir, retireAll } from './helpers';

// Checkpoints and restore on every provider and file mode: a restore brings back exact bytes (binary and non-UTF-8
// included), executable bits, symlinks, deleted files and directories, and removes what came after; ignored files are
// left alone; a checkpoint of the same files is the same id; an unknown one is refused and changes nothing.

const FILES: Record<string, string | Buffer> = {
  'README.md': '# demo\n',
  'src/app.js': 'console.log("hi");\n',
  'run.sh': '#!/bin/sh\necho run\n',
  'logo.bin': Buffer.from([0, 1, 2, 3, 255, 254]),
  'gone/a.txt': 'a\n',
  '.gitignore': '*.log\n',
};

/** Every file but .git: path, type and permission bits, link target or sha256 of the bytes. */
async function state(sb: Sandbox): Promise<string> {
  return ok(sb, 'bash', {
    command:
      "find . -path ./.git -prune -o \\( -type f -o -type l -o -type d \\) -printf '%p %y %m %l\\n' | sort && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum",
  });
}

async function exercise(provider: SandboxProvider, repo: string, sessionId: string): Promise<void> {
  const sb = await provider.provision({ sessionId, repoPath: repo, environment: env() });
  const start = await sb.checkpoint();
  const atStart = await state(sb);
  assert.equal((await sb.checkpoint()).tree, start.tree, 'the same files are the same checkpoint');

  await ok(sb, 'write', { file_path: 'new.txt', content: 'brand new\n' });
  await ok(sb, 'bash', { command: "chmod +x run.sh && printf 'caf\\351\\000' > data.bin && ln -s src/app.js link && rm README.md" });
  const middle = await sb.checkpoint();
  const atMiddle = await state(sb);
  assert.notEqual(middle.tree, start.tree);

  await ok(sb, 'bash', { command: 'rm -rf src gone && mkdir -p deep/er && echo x > deep/er/f.txt && echo changed > new.txt && chmod -x run.sh && rm link && mkdir link && echo d > link/in.txt && echo keep > debug.log' });
  await ok(sb, 'bash', { command: 'mkdir -p README.md && echo dir > README.md/inside' });

  await sb.restore(middle);
  assert.equal(await stateWithoutLog(sb), atMiddle, 'restored to the middle checkpoint');
  assert.equal((await ok(sb, 'bash', { command: 'cat debug.log' })).trim(), 'keep', 'an ignored file is left alone');
  assert.deepEqual(await sb.readFile('data.bin', 'current'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0]));

  await sb.restore(start);
  assert.equal(await stateWithoutLog(sb), atStart, 'restored to the start');
  assert.equal((await sb.changes()).files.length, 0, 'review sees no changes at the start');
  await sb.restore(start);
  assert.equal(await stateWithoutLog(sb), atStart, 'a second restore changes nothing');

  await sb.restore(middle);
  assert.equal(await stateWithoutLog(sb), atMiddle, 'forward again');
  assert.deepEqual(
    (await sb.changes()).files.map((f) => [f.path, f.status]).sort(),
    [['README.md', 'deleted'], ['data.bin', 'added'], ['link', 'added'], ['new.txt', 'added'], ['run.sh', 'mode_changed']],
  );

  const dir = tmpDir('materialised');
  await materialiseCheckpoint(middle, dir);
  assert.equal(fs.readFileSync(path.join(dir, 'new.txt'), 'utf8'), 'brand new\n');
  assert.equal(fs.readlinkSync(path.join(dir, 'link')), 'src/app.js');
  assert.ok(fs.statSync(path.join(dir, 'run.sh')).mode & 0o100);
  assert.ok(!fs.existsSync(path.join(dir, 'README.md')));

  await assert.rejects(sb.restore({ gitDir: middle.gitDir, tree: 'f'.repeat(40) }), UnknownCheckpointError);
  await assert.rejects(sb.restore({ gitDir: middle.gitDir, tree: 'not a tree' }), UnknownCheckpointError);
  assert.equal(await stateWithoutLog(sb), atMiddle, 'a refused restore changes nothing');

  async function stateWithoutLog(s: Sandbox): Promise<string> {
    return (await state(s))
      .split('\n')
      .filter((l) => !l.includes('debug.log'))
      .join('\n');
  }
}

/**
 * A checkpoint of one sandbox restored into a fresh one of the same provider as its very first call (a fork does this):
 * the fresh sandbox's git dir may not exist yet, nor its container.
 */
async function intoFresh(provider: SandboxProvider, repo: string, sessionId: string): Promise<void> {
  const source = await provider.provision({ sessionId: `${sessionId}-source`, repoPath: repo, environment: env() });
  await ok(source, 'bash', { command: "rm README.md && chmod +x src/app.js && ln -s run.sh go && printf 'caf\\351' > gone/b.bin && echo new > deep.txt" });
  const files = await source.checkpoint();
  const expected = await state(source);

  const fresh = await provider.provision({ sessionId: `${sessionId}-fresh`, repoPath: repo, environment: env() });
  await fresh.restore(files);
  assert.equal(await state(fresh), expected, 'the fresh sandbox holds the checkpoint\'s files');
  assert.equal((await fresh.checkpoint()).tree, files.tree, 'and checkpoints them as the same tree');
  assert.deepEqual(
    (await fresh.changes()).files.map((f) => [f.path, f.status]).sort(),
    [['README.md', 'deleted'], ['deep.txt', 'added'], ['go', 'added'], ['gone/b.bin', 'added'], ['src/app.js', 'mode_changed']],
  );
  assert.equal(await state(source), expected, 'the source is untouched');
}

/** A restore whose path list is too long for one command's arguments (over 64 KiB) clears the way in a command of its own. */
async function manyPaths(provider: SandboxProvider, repo: string, sessionId: string): Promise<void> {
  const sb = await provider.provision({ sessionId, repoPath: repo, environment: env() });
  const before = await sb.checkpoint();
  const atStart = await state(sb);
  const name = 'n'.repeat(60);
  await ok(sb, 'bash', { command: `mkdir many && (cd many && for i in $(seq 1 1500); do echo $i > ${name}$i; done)` });
  const many = await sb.checkpoint();
  const withMany = await state(sb);
  await sb.restore(before);
  assert.equal(await state(sb), atStart, '1500 deletions');
  await sb.restore(many);
  assert.equal(await state(sb), withMany, '1500 files written');
}

/**
 * A restore a SIGKILLed process started goes on in the container: stood in for by an exec that takes the restore lock (a
 * flock of /workspace, docker/checkpoint.ts) and deletes a file late. A restore started meanwhile waits for it and
 * then makes the files the checkpoint's, the late deletion included.
 */
async function afterOrphan(provider: SandboxProvider, repo: string, sessionId: string): Promise<void> {
  const sb = await provider.provision({ sessionId, repoPath: repo, environment: env() });
  const start = await sb.checkpoint();
  const atStart = await state(sb);
  await ok(sb, 'write', { file_path: 'new.txt', content: 'after the checkpoint\n' });
  const orphan = spawn('docker', ['exec', sandboxContainerId(sb), 'sh', '-c', 'cd /workspace && exec 9<. && flock 9 && echo held && sleep 2 && rm README.md']);
  const exited = once(orphan, 'exit');
  await once(orphan.stdout, 'data');
  await sb.restore(start);
  assert.deepEqual(await exited, [0, null], 'the stand-in restore deleted its file');
  assert.equal(await state(sb), atStart, 'the files are the checkpoint\'s, README.md written again');
}

describe('checkpoints: restore exact files', function () {
  this.timeout(TIMEOUT);
  const providers: SandboxProvider[] = [];
  let repo: string;

  before(() => {
    repo = makeRepo(FILES);
  });
  after(() => retireAll(providers));

  it('local provider', async () => {
    const p = new LocalSandboxProvider({ storageRoot: tmpDir('local') });
    providers.push(p);
    await exercise(p, repo, 'ckpt-local');
  });

  it('docker provider, overlay mode', async () => {
    await requireDocker();
    const p = newProvider({ files: 'overlay' });
    providers.push(p);
    await exercise(p, repo, 'ckpt-overlay');
  });

  it('docker provider, copy mode', async () => {
    await requireDocker();
    const p = newProvider({ files: 'copy' });
    providers.push(p);
    await exercise(p, repo, 'ckpt-copy');
  });

  it('restore into a fresh sandbox: local provider', async () => {
    const p = new LocalSandboxProvider({ storageRoot: tmpDir('local') });
    providers.push(p);
    await intoFresh(p, repo, 'fresh-local');
  });

  it('restore into a fresh sandbox: docker provider, overlay mode', async () => {
    await requireDocker();
    const p = newProvider({ files: 'overlay' });
    providers.push(p);
    await intoFresh(p, repo, 'fresh-overlay');
  });

  it('restore into a fresh sandbox: docker provider, copy mode', async () => {
    await requireDocker();
    const p = newProvider({ files: 'copy' });
    providers.push(p);
    await intoFresh(p, repo, 'fresh-copy');
  });

  it('a restore of 1500 paths: docker provider, overlay mode', async () => {
    await requireDocker();
    const p = newProvider({ files: 'overlay' });
    providers.push(p);
    await manyPaths(p, repo, 'many-overlay');
  });

  it('a restore waits for one still running in the container: docker provider, overlay mode', async () => {
    await requireDocker();
    const p = newProvider({ files: 'overlay' });
    providers.push(p);
    await afterOrphan(p, repo, 'orphan-overlay');
  });
});
