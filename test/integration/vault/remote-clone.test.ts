import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cloneRemote, parseRepositoryUrl, repositoryName, RemoteCloneError } from '../../../src/sandbox/repo/remote-clone';
import { tmpDir, allBytes } from '../../support/tmp';
import { startGitServer, type GitServer } from './support/git-server';
import { makeTestPki, type TestPki } from './support/pki';
import { startProxy, type ProxyFixture } from './support/proxy-fixture';

// Repository resources are cloned on the host (issue #19 §6), against a real git smart-HTTP server (git http-backend
// over HTTPS with Basic auth) on loopback: the token only in git's environment, never in a file of the clone; a
// branch or a commit checked out; every bad input a clear error with nothing left behind; and the same clone through
// the egress proxy, which injects the host's credential so the clone itself holds no token at all.

const TOKEN = 'canary-clone-token-5e1d0b7a';
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

describe('repository resources: host-side clone over HTTPS (git http-backend on loopback)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let server: GitServer;
  let caFile: string;
  let url: string;
  let firstCommit: string;
  let devCommit: string;

  before(async () => {
    pki = makeTestPki(['localhost', 'git.hangar.test']);
    server = await startGitServer(pki, 'x-access-token', TOKEN);
    caFile = path.join(tmpDir('pki'), 'ca.pem');
    fs.writeFileSync(caFile, pki.caPem);
    url = `https://localhost:${server.port}/project.git`;
    const work = path.join(server.root, 'work');
    firstCommit = git(work, 'rev-parse', 'HEAD');
    git(work, 'checkout', '-q', '-b', 'dev');
    fs.writeFileSync(path.join(work, 'dev.txt'), 'on dev\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'dev work');
    devCommit = git(work, 'rev-parse', 'HEAD');
    git(work, 'push', '-q', path.join(server.root, 'project.git'), 'dev');
  });
  after(async () => server?.close());

  const dest = () => path.join(tmpDir('clone'), 'project');

  it("clones the remote's default branch with the token, which ends up in no file of the clone", async () => {
    const d = dest();
    await cloneRemote({ url, token: TOKEN, dest: d, caFile });
    assert.equal(fs.readFileSync(path.join(d, 'README.md'), 'utf8'), '# project served over smart HTTP\n');
    assert.equal(git(d, 'rev-parse', 'HEAD'), firstCommit);
    assert.equal(git(d, 'remote', 'get-url', 'origin'), url);
    assert.equal(allBytes(d).includes(TOKEN), false);
    assert.equal(allBytes(d).includes(Buffer.from(`x-access-token:${TOKEN}`).toString('base64')), false);
  });

  it('checks out a branch, or a commit (detached)', async () => {
    const onDev = dest();
    await cloneRemote({ url, token: TOKEN, dest: onDev, caFile, checkout: { type: 'branch', name: 'dev' } });
    assert.equal(git(onDev, 'rev-parse', '--abbrev-ref', 'HEAD'), 'dev');
    assert.equal(fs.readFileSync(path.join(onDev, 'dev.txt'), 'utf8'), 'on dev\n');
    const atCommit = dest();
    await cloneRemote({ url, token: TOKEN, dest: atCommit, caFile, checkout: { type: 'commit', sha: firstCommit } });
    assert.equal(git(atCommit, 'rev-parse', 'HEAD'), firstCommit);
    assert.equal(git(atCommit, 'rev-parse', '--abbrev-ref', 'HEAD'), 'HEAD');
    assert.equal(fs.existsSync(path.join(atCommit, 'dev.txt')), false);
    const atDevCommit = dest();
    await cloneRemote({ url, token: TOKEN, dest: atDevCommit, caFile, checkout: { type: 'commit', sha: devCommit.slice(0, 12) } });
    assert.equal(git(atDevCommit, 'rev-parse', 'HEAD'), devCommit);
  });

  it('a wrong token, no token, a missing branch, commit or repository: a clear error and nothing left behind', async () => {
    const cases: [Parameters<typeof cloneRemote>[0], RegExp][] = [
      [{ url, token: 'wrong-token', dest: dest(), caFile }, /refused the credentials \(wrong or expired authorization_token/],
      [{ url, dest: dest(), caFile }, /asks for credentials: give the resource an authorization_token/],
      [{ url, token: TOKEN, dest: dest(), caFile, checkout: { type: 'branch', name: 'no-such-branch' } }, /has no branch "no-such-branch"/],
      [{ url, token: TOKEN, dest: dest(), caFile, checkout: { type: 'commit', sha: 'deadbeefdeadbeef' } }, /has no commit deadbeefdeadbeef/],
      [{ url, token: TOKEN, dest: dest(), caFile, checkout: { type: 'commit', sha: 'main; rm -rf /' } }, /is not a commit id/],
      [{ url: `https://localhost:${server.port}/missing.git`, token: TOKEN, dest: dest(), caFile }, /is not a git repository \(404\)/],
    ];
    for (const [opts, expected] of cases) {
      await assert.rejects(cloneRemote(opts), (err: Error) => err instanceof RemoteCloneError && expected.test(err.message) && !err.message.includes(TOKEN));
      assert.equal(fs.existsSync(opts.dest), false, `${opts.dest} was left behind`);
    }
  });

  it('refuses malformed URLs, other protocols and credentials in the URL before running git', () => {
    for (const [raw, expected] of [
      ['not a url', /is not a URL/],
      ['ssh://git@github.com/owner/repo.git', /is not an http\(s\) URL/],
      ['file:///tmp/repo', /is not an http\(s\) URL/],
      [`https://x-access-token:${TOKEN}@github.com/owner/repo.git`, /carries credentials in the URL/],
      ['https://github.com/owner/repo.git?ref=main', /query or fragment/],
      ['https://github.com/', /names no repository path/],
    ] as const) {
      assert.throws(() => parseRepositoryUrl(raw), (err: Error) => err instanceof RemoteCloneError && expected.test(err.message) && !err.message.includes(TOKEN));
    }
    assert.equal(repositoryName(parseRepositoryUrl('https://github.com/owner/my-repo.git')), 'my-repo');
    assert.equal(repositoryName(parseRepositoryUrl('https://example.com/git/tools/')), 'tools');
  });

  describe('through the egress proxy', () => {
    let fx: ProxyFixture;
    before(async () => {
      fx = await startProxy(
        {
          sessionId: 'sesn_clone',
          networking: { type: 'limited', allowed_hosts: ['git.hangar.test'], allow_package_managers: false, allow_mcp_servers: false },
          mcpHosts: [],
          credentials: [{ id: 'vcrd_git', hosts: ['git.hangar.test'], secret: TOKEN, injection: { kind: 'header', name: 'Authorization', value: `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}` } }],
          logFile: null,
        },
        { upstreamCa: [pki.caPem] },
      );
    });
    after(async () => fx?.close());

    it('clones with the credential the proxy injects: the clone never holds the token, and the proxy refuses other hosts', async () => {
      const d = dest();
      const before = server.auth.length;
      await cloneRemote({ url: `https://git.hangar.test:${server.port}/project.git`, dest: d, proxy: { url: fx.address.url, caFile: fx.caFile } });
      assert.equal(git(d, 'rev-parse', 'HEAD'), firstCommit);
      assert.ok(server.auth.slice(before).every(Boolean));
      assert.equal(allBytes(d).includes(TOKEN), false);
      const refused = dest();
      await assert.rejects(cloneRemote({ url: `https://other.hangar.test:${server.port}/project.git`, dest: refused, proxy: { url: fx.address.url, caFile: fx.caFile } }), (err: Error) => err instanceof RemoteCloneError && /was refused through the egress proxy \(403\): other\.hangar\.test is not on the environment's allowed_hosts/.test(err.message));
      assert.equal(fs.existsSync(refused), false);
    });
  });
});
