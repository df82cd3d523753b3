import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { archiveWorkspace } from '../../../src/extension/connection/workspace-archive';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import type { RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { deltaFromHead } from '../../../src/sandbox/repo/workspace-delta';
import { bundleHistory } from '../../../src/sandbox/repo/workspace-history';
import { sessionRepository } from '../../../src/wire/session-repository';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useServedRuntime } from '../../support/served-runtime';

// An upload with history sends only what differs from HEAD (issue #15 §2): the runtime checks HEAD's other files out
// of the bundle, lays the sent ones over them and applies the deletions, and its copy is the user's work tree byte for
// byte (modes and links too). Where git would convert files between HEAD and the work tree (a filter attribute,
// core.autocrlf) every file is sent, as before.

const MB = 1024 * 1024;

function gitIn(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' }).trim();
}

/** Every file and link under `dir` but .git: its kind, exec bit and bytes (or target). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (child === '.git') continue;
      const full = path.join(dir, child);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(child);
      else if (st.isSymbolicLink()) out.set(child, `link -> ${readlinkSync(full)}`);
      else out.set(child, `${st.mode & 0o111 ? 'exec' : 'file'} ${readFileSync(full).toString('base64')}`);
    }
  };
  walk('');
  return out;
}

describe('workspace upload to a remote runtime: only what differs from HEAD', function () {
  this.timeout(60_000);
  let t: TestRuntime;
  const served = useServedRuntime();

  beforeEach(async () => {
    t = await makeTestRuntime();
    // A mostly clean workspace: 40 committed files of incompressible bytes, a script and a link among them.
    mkdirSync(path.join(t.repo, 'data'));
    for (let i = 0; i < 40; i += 1) writeFileSync(path.join(t.repo, 'data', `part-${i}.bin`), randomBytes(16 * 1024));
    writeFileSync(path.join(t.repo, 'run.sh'), '#!/bin/sh\necho run\n');
    chmodSync(path.join(t.repo, 'run.sh'), 0o755);
    writeFileSync(path.join(t.repo, 'build.sh'), '#!/bin/sh\necho build\n');
    symlinkSync('data/part-0.bin', path.join(t.repo, 'first.bin'));
    gitIn(t.repo, 'add', '-A');
    gitIn(t.repo, 'commit', '-qm', 'data');
  });

  async function uploadedCopy(c: RemoteRuntimeClient): Promise<string> {
    const repo = await workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 10 * MB });
    const agent = await c.createAgent({ name: 'd', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await c.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });
    return sessionRepository(session.resources)!.path;
  }

  it("sends the changes only, and the runtime's copy is the user's work tree byte for byte", async () => {
    writeFileSync(path.join(t.repo, 'data', 'part-1.bin'), randomBytes(16 * 1024)); // modified
    rmSync(path.join(t.repo, 'data', 'part-2.bin')); // a deleted tracked file
    writeFileSync(path.join(t.repo, 'notes.md'), 'draft\n'); // untracked
    chmodSync(path.join(t.repo, 'build.sh'), 0o755); // only its mode changed
    chmodSync(path.join(t.repo, 'run.sh'), 0o644);
    symlinkSync('run.sh', path.join(t.repo, 'run')); // an untracked link
    rmSync(path.join(t.repo, 'first.bin'));
    symlinkSync('data/part-3.bin', path.join(t.repo, 'first.bin')); // a link pointed elsewhere

    const delta = await archiveWorkspace(t.repo, { maxBytes: 10 * MB });
    const full = await archiveWorkspace(t.repo, { maxBytes: 10 * MB, historyCommits: 0 });
    try {
      assert.ok(delta.history, 'history went along');
      assert.equal(delta.entries + delta.fromHistory, full.entries, 'every file is either sent or taken from HEAD');
      // Sent: part-1, notes.md, build.sh, run.sh, and both links; HEAD's other 38 data files are not.
      assert.equal(delta.entries, 6);
      assert.equal(delta.contentBytes < full.contentBytes / 20, true, `${delta.contentBytes} bytes of files sent, of ${full.contentBytes}`);
      // Before, the archive held the files and the bundle of the same files; now about one copy.
      assert.ok(delta.bytes < 0.6 * (full.bytes + delta.history.bytes), `${delta.bytes} bytes with history, ${full.bytes} of the files alone`);
    } finally {
      await delta.dispose();
      await full.dispose();
    }

    const copy = await uploadedCopy(await served.serve(t));
    assert.deepEqual(snapshot(copy), snapshot(t.repo), "the runtime's copy holds the user's files, modes and links");
    assert.equal(gitIn(copy, 'rev-parse', 'HEAD'), gitIn(t.repo, 'rev-parse', 'HEAD'));
    assert.deepEqual(gitIn(copy, 'ls-files').split('\n').sort(), [...snapshot(t.repo).keys()].sort(), 'its index is exactly the files');
    const changed = gitIn(copy, 'diff', '--cached', '--name-status', 'HEAD').split('\n').sort();
    assert.deepEqual(changed, ['A\tnotes.md', 'A\trun', 'D\tdata/part-2.bin', 'M\tbuild.sh', 'M\tdata/part-1.bin', 'M\tfirst.bin', 'M\trun.sh'], "the copy's index against HEAD is the user's changes");
  });

  it('compares the files with the bundled commit, not a HEAD the user moved since', async () => {
    const history = (await bundleHistory(t.repo, 1))!;
    try {
      writeFileSync(path.join(t.repo, 'data', 'part-1.bin'), randomBytes(1024));
      gitIn(t.repo, 'commit', '-qam', 'committed while the upload was packed');
      const delta = await deltaFromHead(t.repo, history.head, [{ name: 'data/part-0.bin', mode: 0o644 }, { name: 'data/part-1.bin', mode: 0o644 }]);
      assert.deepEqual([...(delta?.unchanged ?? [])], ['data/part-0.bin'], "part-1 differs from the bundle's commit, though not from the new HEAD");
    } finally {
      await history.dispose();
      // Never served, so the suite's served-runtime clean-up does not close it (its open model server kept mocha alive).
      await t.close();
    }
  });

  for (const [name, setUp] of [
    ['a filter attribute (as Git LFS sets)', () => {
      writeFileSync(path.join(t.repo, '.gitattributes'), '*.bin filter=lfs diff=lfs merge=lfs -text\n');
      gitIn(t.repo, 'add', '.gitattributes');
      gitIn(t.repo, 'commit', '-qm', 'attributes');
    }],
    ['core.autocrlf', () => gitIn(t.repo, 'config', 'core.autocrlf', 'input')],
  ] as const) {
    it(`sends every file when git may convert them: ${name}`, async () => {
      setUp();
      writeFileSync(path.join(t.repo, 'notes.md'), 'draft\n');
      const archive = await archiveWorkspace(t.repo, { maxBytes: 10 * MB });
      try {
        assert.ok(archive.history);
        assert.equal(archive.fromHistory, 0, 'no file is left to the history');
        assert.equal(archive.entries, snapshot(t.repo).size);
      } finally {
        await archive.dispose();
      }
      const copy = await uploadedCopy(await served.serve(t));
      assert.deepEqual(snapshot(copy), snapshot(t.repo));
    });
  }
});
