import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { archiveWorkspace } from '../../../src/extension/connection/workspace-archive';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { deltaFromHead } from '../../../src/sandbox/repo/workspace-delta';
import { bundleHistory, HISTORY_DELETED_ENTRY } from '../../../src/sandbox/repo/workspace-history';
import { sessionRepository } from '../../../src/wire/session-repository';
import { listenOnLoopback } from '../../support/listen';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useServedRuntime } from '../../support/served-runtime';
import { tmpDir } from '../../support/tmp';

// An upload with history sends only what differs from HEAD (issue #15 §2): the runtime checks HEAD's other files out
// of the bundle, lays the sent ones over them and applies the deletions, and its copy is the user's work tree byte for
// byte (modes and links too). Where git would convert files between HEAD and the work tree (a filter attribute,
// core.autocrlf) every file is sent, as before. So is it to an older `hangar serve`, which would take the partial archive
// for the whole workspace: only a runtime that lists `workspace_upload_delta` (GET /v1/runtime) gets the changes alone.
// The new path runs against the real serve; the older serve is the real one behind a proxy that hides the endpoint, so
// the router's own 404 answers as a serve from before the endpoint does.

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

/** A serve from before GET /v1/runtime: the real serve at `target`, that endpoint's requests sent where it has none. */
async function olderServe(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const hidden = req.url === '/v1/runtime' || req.url?.startsWith('/v1/runtime?');
    const headers = { ...req.headers, host: upstream.host };
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: hidden ? '/v1/no-such-endpoint' : req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, close };
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
    return (await upload(c)).copy;
  }

  /** Uploads the workspace through `c`: what it reported, the archive's entries as the runtime stored them, and its copy. */
  async function upload(c: RemoteRuntimeClient): Promise<{ reports: string[]; entries: string[]; copy: string }> {
    const reports: string[] = [];
    const repo = await workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 10 * MB, report: (m) => reports.push(m) });
    const archive = path.join(tmpDir('archive'), 'workspace.tar.gz');
    await c.saveFile(repo.upload!.file_id, archive);
    const entries = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const agent = await c.createAgent({ name: 'd', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await c.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });
    return { reports, entries, copy: sessionRepository(session.resources)!.path };
  }

  function changeTwoFiles(): void {
    writeFileSync(path.join(t.repo, 'data', 'part-1.bin'), randomBytes(1024));
    rmSync(path.join(t.repo, 'data', 'part-2.bin'));
  }

  it('a serve that lists workspace_upload_delta gets only the changes', async () => {
    changeTwoFiles();
    const c = await served.serve(t);
    assert.equal(await c.acceptsUploadDelta(), true);
    const { reports, entries, copy } = await upload(c);
    assert.ok(entries.includes(HISTORY_DELETED_ENTRY), entries.join(' '));
    assert.ok(entries.includes('data/part-1.bin') && !entries.includes('data/part-3.bin'), 'only the changed file is sent');
    assert.ok(reports.some((m) => /, 2 of them changed since the last commit/.test(m)), reports.join('\n'));
    assert.ok(!reports.some((m) => /older hangar serve/.test(m)), reports.join('\n'));
    assert.deepEqual(snapshot(copy), snapshot(t.repo));
  });

  it('a serve without GET /v1/runtime gets every file and no deletion list, and the progress says why', async () => {
    changeTwoFiles();
    await served.serve(t);
    const { server } = served.current;
    const older = await olderServe(server.url);
    const c = new RemoteRuntimeClient({ url: older.url, token: server.token });
    try {
      assert.equal(await c.acceptsUploadDelta(), false);
      const { reports, entries, copy } = await upload(c);
      assert.ok(!entries.includes(HISTORY_DELETED_ENTRY), entries.join(' '));
      for (const file of snapshot(t.repo).keys()) assert.ok(entries.includes(file), `${file} is sent`);
      assert.ok(reports.some((m) => m.includes(`the runtime at ${older.url} is an older hangar serve that takes every file`)), reports.join('\n'));
      assert.deepEqual(snapshot(copy), snapshot(t.repo));
      assert.equal(gitIn(copy, 'rev-parse', 'HEAD'), gitIn(t.repo, 'rev-parse', 'HEAD'), 'the history still goes along');
    } finally {
      await c.close();
      await older.close();
    }
  });

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
