import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { buffer } from 'node:stream/consumers';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { archiveWorkspace, WorkspaceTooLargeError } from '../../../src/extension/connection/workspace-archive';
import { bundleHistory } from '../../../src/sandbox/repo/workspace-history';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { sessionRepository } from '../../../src/wire/session-repository';
import type { RuntimeOptions } from '../../../src/runtime';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useServedRuntime } from '../../support/served-runtime';

// Bad input on the way from a client's workspace to a runtime elsewhere (issue #15 §2), over real HTTP with the SDK:
// a workspace (or its history) over the upload limit, an upload cut off mid-body, an archive that is not the one the client made or
// not a workspace archive at all, and a runtime that refuses the upload. Each is a sentence, and no session is made.

const MB = 1024 * 1024;

describe('workspace upload to a remote runtime: bad input', function () {
  this.timeout(60_000);
  let t: TestRuntime | undefined;
  const served = useServedRuntime();

  async function serve(runtime: Partial<RuntimeOptions> = {}): Promise<RemoteRuntimeClient> {
    t = await makeTestRuntime({ runtime });
    return served.serve(t);
  }

  async function sessionWith(c: RemoteRuntimeClient, repo: Parameters<RemoteRuntimeClient['createSession']>[0]['resources']) {
    const agent = await c.createAgent({ name: 'u', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    return c.createSession({ agent: agent.id, environment_id: t!.envId, resources: repo });
  }

  async function uploadBytes(c: RemoteRuntimeClient, bytes: Buffer): Promise<{ file_id: string; sha256: string }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-archive-'));
    writeFileSync(path.join(dir, 'workspace.tar.gz'), bytes);
    const file = await c.uploadFile(path.join(dir, 'workspace.tar.gz'));
    return { file_id: file.id, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  it('refuses a workspace over the limit before uploading anything, naming the setting', async () => {
    const c = await serve();
    writeFileSync(path.join(t!.repo, 'data.bin'), Buffer.alloc(2 * MB, 7));
    await assert.rejects(archiveWorkspace(t!.repo, { maxBytes: MB }), (err: Error) => {
      assert.ok(err instanceof WorkspaceTooLargeError);
      assert.match(err.message, /is 2\.0 MB in 1 file changed since its last commit plus \d+ KB of git history \(1 commit\), over the 1\.0 MB the setting hangar\.runtime\.maxWorkspaceUploadMB allows/);
      return true;
    });
    await assert.rejects(workspaceRepository(c, t!.repo, { mode: 'upload', maxBytes: MB }), /hangar\.runtime\.maxWorkspaceUploadMB/);
    const withoutHistory = await archiveWorkspace(t!.repo, { maxBytes: 3 * MB, historyCommits: 0 });
    assert.equal(withoutHistory.history, null);
    await withoutHistory.dispose();

    // History counts too: a large file committed and removed since is in the last commits, not in the files.
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: t!.repo, stdio: 'ignore' });
    rmSync(path.join(t!.repo, 'data.bin'));
    writeFileSync(path.join(t!.repo, 'old.bin'), randomBytes(MB / 2));
    git('add', 'old.bin');
    git('commit', '-qm', 'data');
    git('rm', '-q', 'old.bin');
    git('commit', '-qm', 'no data');
    await assert.rejects(archiveWorkspace(t!.repo, { maxBytes: MB / 4 }), /is 0\.0 MB in 0 files changed since its last commit plus 51\d KB of git history \(3 commits\), over the 0\.3 MB .* send fewer commits of history \(hangar\.runtime\.uploadHistoryCommits, 0 sends none\)/);
    const recent = await archiveWorkspace(t!.repo, { maxBytes: MB / 4, historyCommits: 1 });
    assert.equal(recent.history?.commits, 1);
    await recent.dispose();

    // A repository git cannot read whole (an object of its history is gone): the refusal says how to upload anyway.
    const lost = execFileSync('git', ['rev-parse', 'HEAD~1:old.bin'], { cwd: t!.repo, encoding: 'utf8' }).trim();
    rmSync(path.join(t!.repo, '.git', 'objects', lost.slice(0, 2), lost.slice(2)));
    await assert.rejects(archiveWorkspace(t!.repo, { maxBytes: MB }), /Could not pack the git history of .* to upload with it \(git: .+\)\. Set hangar\.runtime\.uploadHistoryCommits to 0 to upload the workspace without its history\./);
    assert.deepEqual((await t!.runtime.files.list({})).data, [], 'nothing was uploaded');
  });

  it('keeps nothing of an upload cut off mid-body', async () => {
    await serve();
    const boundary = 'cutcutcut';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="workspace.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`);
    const url = new URL('/v1/files', served.current.server.url);
    const req = request(url, { method: 'POST', headers: { 'x-api-key': served.current.server.token, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + 4 * MB) } });
    req.on('error', () => undefined);
    req.write(head);
    req.write(Buffer.alloc(MB, 1));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    const blobs = path.join(t!.storage, 'file-blobs');
    for (const deadline = Date.now() + 5_000; readdirSync(blobs).length > 0; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`staged upload left behind: ${readdirSync(blobs).join(', ')}`);
    }
    assert.deepEqual((await t!.runtime.files.list({})).data, []);
  });

  it('refuses an archive that is not the one the client made, or not a workspace archive, and makes no session', async () => {
    const c = await serve();
    const archive = await archiveWorkspace(t!.repo, { maxBytes: MB });
    const whole = readFileSync(archive.file);
    await archive.dispose();

    // Cut short on the way (the runtime got a complete-looking but shorter file): the client's SHA-256 does not match.
    const cut = await uploadBytes(c, whole.subarray(0, whole.length - 20));
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: { file_id: cut.file_id, sha256: archive.sha256 } }]), /is not the one the client made: its SHA-256 is [0-9a-f]{64}, the client's [0-9a-f]{64}\. The upload was cut off or changed on the way; upload the workspace again/);
    // Its own hash matches, but the gzip stream ends early.
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: cut }]), /The workspace archive file_\w+ cannot be used: .*Upload the workspace again/);
    // A path out of the workspace, and a file under a symbolic link the archive made.
    const evil = async (entries: { name: string; type: 'file' | 'symlink'; body?: string | Buffer; linkname?: string }[]) => {
      const tar = pack();
      for (const e of entries) tar.entry({ name: e.name, type: e.type, linkname: e.linkname }, e.body ?? '');
      tar.finalize();
      return uploadBytes(c, gzipSync(await buffer(tar)));
    };
    const escape = await evil([{ name: '../outside.txt', type: 'file', body: 'x' }]);
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: escape }]), /holds "\.\.\/outside\.txt", which is not a path inside a workspace/);
    const through = await evil([{ name: 'link', type: 'symlink', linkname: '/tmp' }, { name: 'link/planted.txt', type: 'file', body: 'x' }]);
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: through }]), /link\/planted\.txt lies under the symbolic link link/);
    // History that is not a bundle, or a shallow boundary that names no commits.
    const notBundle = await evil([{ name: '.git/hangar-history.bundle', type: 'file', body: 'not a bundle' }, { name: 'a.txt', type: 'file', body: 'a' }]);
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: notBundle }]), /cannot be used: its history is not a git bundle/);
    const badBoundary = await evil([{ name: '.git/hangar-history.shallow', type: 'file', body: '../../etc/passwd\n' }, { name: '.git/hangar-history.bundle', type: 'file', body: 'x' }]);
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: badBoundary }]), /its history's shallow boundary holds "\.\.\/\.\.\/etc\/passwd", which is not a commit id/);
    // Only what differs from HEAD (the real bundle of this repository), but deleting out of the workspace, or sending a
    // file where HEAD's files it keeps need a directory.
    const history = (await bundleHistory(t!.repo, 1))!;
    const bundle = readFileSync(history.bundle);
    await history.dispose();
    const deleting = async (deleted: string, file: string) => evil([{ name: '.git/hangar-history.bundle', type: 'file', body: bundle }, { name: '.git/hangar-history.deleted', type: 'file', body: `${deleted}\0` }, { name: file, type: 'file', body: 'x' }]);
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: await deleting('../../etc/passwd', 'a.txt') }]), /cannot be used: its list of deleted files holds "\.\.\/\.\.\/etc\/passwd", which is not a path inside a workspace/);
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: await deleting('README.md', 'src') }]), /cannot be used: its file "src" is also a directory of HEAD's files it keeps/);
    assert.equal(readdirSync('/tmp').includes('planted.txt'), false);
    // A file id the runtime does not hold.
    await assert.rejects(sessionWith(c, [{ type: 'local_repository', path: t!.repo, upload: { file_id: 'file_nothere', sha256: archive.sha256 } }]), /file_nothere/);

    assert.deepEqual((await t!.runtime.sessions.list({})).data, [], 'no session was made');
    assert.deepEqual(readdirSync(path.join(t!.storage, 'workspaces')), [], 'no unpacked directory is left');
  });

  it('gives sessions of one upload one unpacked copy, checks the SHA-256 on each use, and removes the copy with its last session', async () => {
    const c = await serve();
    writeFileSync(path.join(t!.repo, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    symlinkSync('src/app.js', path.join(t!.repo, 'app-link'));
    const repo = await workspaceRepository(c, t!.repo, { mode: 'upload', maxBytes: MB });
    const [a, b] = [await sessionWith(c, [repo]), await sessionWith(c, [repo])];
    const copy = sessionRepository(a.resources)!.path;
    assert.equal(sessionRepository(b.resources)!.path, copy);
    assert.equal(readFileSync(path.join(copy, 'src/app.js'), 'utf8'), 'console.log("hi");\n');
    assert.equal(statSync(path.join(copy, 'run.sh')).mode & 0o111, 0o111, 'the executable bit travels');
    assert.equal(readlinkSync(path.join(copy, 'app-link')), 'src/app.js', 'a symbolic link stays one');
    const wrong = { ...repo, upload: { file_id: repo.upload!.file_id, sha256: '0'.repeat(64) } };
    await assert.rejects(sessionWith(c, [wrong]), /is not the one the client made/);
    assert.equal((await t!.runtime.sessions.list({})).data.length, 2);

    // The copy goes with the last session that works on it; the archive stays a file of the Files API.
    const sdk = new Anthropic({ apiKey: served.current.server.token, baseURL: served.current.server.url });
    await sdk.beta.sessions.delete(a.id);
    assert.ok(existsSync(copy), 'a session still works on the copy');
    await sdk.beta.sessions.delete(b.id);
    assert.equal(existsSync(copy), false, 'the copy is removed with the last session of the upload');
    assert.equal((await sdk.beta.files.retrieveMetadata(repo.upload!.file_id)).id, repo.upload!.file_id);
  });

  it('says what a runtime that refuses the upload answered', async () => {
    const c = await serve({ maxFileBytes: 200 });
    writeFileSync(path.join(t!.repo, 'noise.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await assert.rejects(workspaceRepository(c, t!.repo, { mode: 'upload', maxBytes: MB }), /Could not upload the workspace \(3 files, 1 of them changed since the last commit, 1 commit of history, \d+ KB compressed\) to the runtime at http:\/\/127\.0\.0\.1:\d+: The file is larger than this runtime's limit of 200 bytes/);
    assert.deepEqual((await t!.runtime.files.list({})).data, []);
  });
});
