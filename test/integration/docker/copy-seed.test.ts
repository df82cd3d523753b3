import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { execCollect, type Container } from '../../../src/sandbox/docker/client';
import { writeToContainer } from '../../../src/sandbox/docker/archive';
import { createAndStart, removeContainer } from '../../../src/sandbox/docker/container';
import { CopyBaseline } from '../../../src/sandbox/docker/copy-baseline';
import { seedCopyGit } from '../../../src/sandbox/docker/copy-seed';
import { engineExec } from '../../../src/sandbox/docker/hands';
import { seedWorkspace } from '../../../src/sandbox/docker/copy-mode';
import { labels } from '../../../src/sandbox/docker/names';
import { DEFAULT_IMAGE } from '../../../src/sandbox/docker/plan';
import { TreeDiffer } from '../../../src/sandbox/docker/tree-diff';
import { removeVolume } from '../../../src/sandbox/docker/volume';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT, tmpDir } from './helpers';

// Copy mode's copy (seedWorkspace streams files read ahead, without waiting on the engine entry by entry): what lands
// in /workspace is the repository exactly (bytes, executable bits, symlinks, odd names, many directories), owned by
// the sandbox user, and an untouched session reports no changes.

describe('docker sandbox: copy mode seeding', function () {
  this.timeout(TIMEOUT);
  let provider: DockerSandboxProvider;
  let docker: Docker;
  const who = { uid: 1000, gid: 1000, user: 'agent' };

  before(async () => {
    docker = await requireDocker();
    provider = newProvider({ files: 'copy' });
  });
  after(async () => {
    await provider.reap(new Set());
    await provider.close();
  });

  it('copies every file, mode and link as they are, and the baseline matches the copy', async () => {
    const files: Record<string, string | Buffer> = { 'bin/run.sh': '#!/bin/sh\necho run\n', 'data/blob.bin': Buffer.from([0, 255, 10, 13, 0]), 'name with spaces.txt': 'spaced\n', 'q"uote.txt': 'q\n' };
    // More files than the copy keeps in flight, across many directories.
    for (let i = 0; i < 600; i++) files[`deep/d${i % 13}/e${i % 5}/f${i}.txt`] = `file ${i}\n`.repeat((i % 7) + 1);
    const repo = makeRepo(files, { commit: false });
    fs.chmodSync(path.join(repo, 'bin/run.sh'), 0o755);
    fs.symlinkSync('bin/run.sh', path.join(repo, 'link-to-run'));
    const sb = await provider.provision({ sessionId: 'seed', repoPath: repo, environment: env() });

    assert.deepEqual((await sb.changes()).files, [], 'an untouched copy has no changes');
    // Digests, not listings: a tool result is cut past its output limit.
    const listing = await ok(sb, 'bash', { command: "find . -path ./.git -prune -o ! -type d -printf '%y %m %u %p\\n' | LC_ALL=C sort | grep -v '^f 644 agent ./deep/' ; find deep -type f | wc -l" });
    assert.deepEqual(listing.split('\n'), ['f 644 agent ./data/blob.bin', 'f 644 agent ./name with spaces.txt', 'f 644 agent ./q"uote.txt', 'f 755 agent ./bin/run.sh', 'l 777 agent ./link-to-run', '600']);
    const digest = 'find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum | sha1sum';
    assert.equal(await ok(sb, 'bash', { command: digest }), execFileSync('sh', ['-c', digest], { cwd: repo }).toString().trimEnd(), 'the bytes of every file');
    assert.equal(await ok(sb, 'bash', { command: 'readlink link-to-run && stat -c %U .' }), 'bin/run.sh\nagent');

    await ok(sb, 'bash', { command: 'rm "name with spaces.txt" && chmod -x bin/run.sh && echo x >> deep/d0/e0/f0.txt' });
    const changed = (await sb.changes()).files.map((f) => [f.path, f.status]);
    assert.deepEqual(changed, [
      ['bin/run.sh', 'mode_changed'],
      ['deep/d0/e0/f0.txt', 'modified'],
      ['name with spaces.txt', 'deleted'],
    ]);
  });

  /** Runs `use` on a started container on a fresh plain volume, as copy mode makes, with a host dir for its diff.git. */
  async function withContainer(id: string, use: (container: Container, diffGit: string) => Promise<void>): Promise<void> {
    const root = tmpDir(`${id}-`);
    const name = `${id}-${process.pid}`;
    const container = await createAndStart(docker, { name: `hangar-test-${name}`, image: DEFAULT_IMAGE, user: 'agent', env: [], labels: labels(root, name, name), volume: `hangar-test-${name}`, limits: env().hangar.limits, networkMode: 'none' });
    try {
      await use(container, path.join(root, 'diff.git'));
    } finally {
      await removeContainer(docker, container.id);
      await removeVolume(docker, `hangar-test-${name}`);
    }
  }

  /** The tree of the work tree's files as git would commit them all (tracked and untracked, raw bytes). */
  function workTreeTree(repo: string): string {
    const index = path.join(tmpDir('work-tree-index-'), 'index');
    const run = (...args: string[]) => execFileSync('git', ['-c', 'core.autocrlf=false', ...args], { cwd: repo, env: { ...process.env, GIT_INDEX_FILE: index } }).toString().trim();
    run('add', '-A');
    return run('write-tree');
  }

  for (const [kind, untracked] of [['a few', 3], ['many', 400]] as const) {
    it(`the baseline is the copied files' tree: HEAD's with ${kind} uncommitted changes`, async () => {
      // Most of the baseline is the agent clone's HEAD: only what differs from it is edited in (or, past a few hundred
      // paths, the tree is written whole). Either way it must be exactly the files copied.
      const repo = makeRepo({ 'kept.txt': 'k\n', 'edited.txt': 'e\n', 'gone.txt': 'g\n', 'run.sh': 'echo\n', 'was-file': 'f\n', 'dir/a.txt': 'a\n', 'dir/sub/b.txt': 'b\n' });
      fs.writeFileSync(path.join(repo, 'edited.txt'), 'edited, not committed\n');
      fs.rmSync(path.join(repo, 'gone.txt'));
      fs.rmSync(path.join(repo, 'dir/sub'), { recursive: true });
      fs.chmodSync(path.join(repo, 'run.sh'), 0o755);
      fs.rmSync(path.join(repo, 'was-file'));
      fs.mkdirSync(path.join(repo, 'was-file'));
      fs.writeFileSync(path.join(repo, 'was-file/now-inside.txt'), 'i\n');
      fs.symlinkSync('kept.txt', path.join(repo, 'new-link'));
      for (let i = 0; i < untracked; i++) fs.mkdirSync(path.join(repo, `new/d${i % 40}`), { recursive: true });
      for (let i = 0; i < untracked; i++) fs.writeFileSync(path.join(repo, `new/d${i % 40}/n${i}.txt`), `new ${i}\n`);
      await withContainer('copy-head-edits', async (container, diffGit) => {
        const copied = await seedWorkspace(container, repo, who);
        await seedCopyGit(container, repo, who, new TreeDiffer(diffGit), copied);
        const recorded = execFileSync('git', ['rev-parse', 'refs/hangar/baseline'], { env: { ...process.env, GIT_DIR: diffGit } }).toString().trim();
        assert.equal(recorded, workTreeTree(repo), 'the baseline is the tree of the files as they were copied');
        const baseline = new CopyBaseline(new TreeDiffer(diffGit), async () => engineExec(container, 'agent'));
        assert.deepEqual((await baseline.changes()).files, [], 'and the container holds exactly those');
      });
    });
  }

  it('the baseline is what the copy sent, even when the host files change before it is recorded', async () => {
    // The baseline takes blobs from the agent clone's objects and the host's files where they match what was sent;
    // a committed file and an untracked one edited on the host after the copy must come from the container instead.
    const repo = makeRepo({ 'committed.txt': 'as committed\n', 'other.txt': 'o\n' });
    fs.writeFileSync(path.join(repo, 'untracked.txt'), 'as copied\n');
    await withContainer('copy-race', async (container, diffGit) => {
      const copied = await seedWorkspace(container, repo, who);
      assert.equal(copied.alone, true, 'the copy went into an empty volume');
      fs.writeFileSync(path.join(repo, 'committed.txt'), 'edited on the host\n');
      fs.writeFileSync(path.join(repo, 'untracked.txt'), 'edited on the host\n');
      await seedCopyGit(container, repo, who, new TreeDiffer(diffGit), copied);

      const baseline = new CopyBaseline(new TreeDiffer(diffGit), async () => engineExec(container, 'agent'));
      assert.deepEqual((await baseline.changes()).files, [], 'the baseline matches the container');
      assert.equal((await baseline.readFile('committed.txt', 'baseline'))?.toString(), 'as committed\n');
      assert.equal((await baseline.readFile('untracked.txt', 'baseline'))?.toString(), 'as copied\n');
      assert.equal((await execCollect(container, { cmd: ['sh', '-c', 'echo agent >> untracked.txt'], user: 'agent', workdir: '/workspace' })).exitCode, 0);
      const after = await baseline.changes();
      assert.deepEqual(after.files.map((f) => [f.path, f.status]), [['untracked.txt', 'modified']]);
      assert.match(after.patch, /^ as copied\n\+agent$/m);
    });
  });

  it('a volume that held files before the copy keeps them in the baseline', async () => {
    // The image (or a shipped bind) can put files in the volume: the baseline is then read from the container, not
    // taken from what the copy sent.
    const repo = makeRepo({ 'a.txt': 'a\n' });
    await withContainer('copy-prefilled', async (container, diffGit) => {
      await writeToContainer(container, [{ name: 'workspace/from-image.txt', mode: 0o644, uid: 1000, gid: 1000, content: 'there before\n' }]);
      const copied = await seedWorkspace(container, repo, who);
      assert.equal(copied.alone, false);
      await seedCopyGit(container, repo, who, new TreeDiffer(diffGit), copied);

      const baseline = new CopyBaseline(new TreeDiffer(diffGit), async () => engineExec(container, 'agent'));
      assert.deepEqual((await baseline.changes()).files, [], 'the baseline holds the file that was there');
      assert.equal((await baseline.readFile('from-image.txt', 'baseline'))?.toString(), 'there before\n');
      assert.equal((await execCollect(container, { cmd: ['rm', 'from-image.txt'], user: 'agent', workdir: '/workspace' })).exitCode, 0);
      assert.deepEqual((await baseline.changes()).files.map((f) => [f.path, f.status]), [['from-image.txt', 'deleted']]);
    });
  });
});
