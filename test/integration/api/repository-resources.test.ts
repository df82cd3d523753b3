import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { secretVariants } from '../../../src/vault/scrubber';
import type { SessionEvent } from '../../../src/wire';
import { requireDocker } from '../docker/helpers';
import { startGitServer, type GitServer } from '../vault/support/git-server';
import { makeTestPki } from '../vault/support/pki';
import { allowLoopbackTestNames, testLookup } from '../vault/support/proxy-fixture';
import { startApi, type ApiFixture } from './helpers';
import { allBytes } from '../../support/tmp';

// `github_repository` session resources (issue #19 §6) through the real SDK over HTTP, on real Docker, against a real
// git smart-HTTP server (git http-backend behind HTTPS with Basic auth) on loopback. Two repositories in one session,
// one on a branch; the clone happens at creation through the egress proxy, which injects the token; the agent commits
// and pushes from the sandbox and the push lands on the server; the token is nowhere the agent or a client can see
// (the sandbox's environment, git config and files, the events, the record, the egress log). Bad input is refused
// at creation with the repository named, and leaves no session, clone or token behind.

const TOKEN = `hangar-canary-repo-${randomBytes(12).toString('hex')}`;
const NEEDLES = secretVariants(TOKEN);
/** What a file holding the token as a Basic header would contain (both parts are multiples of 3 bytes, so a stable prefix). */
const BASIC_PREFIX = Buffer.from('x-access-token:hangar-canary-repo').toString('base64');
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

type ToolResult = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const textOf = (e: ToolResult) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');

/** A second repository on the server, with a file of its own. */
function addRepository(server: GitServer, name: string, file: string): void {
  const work = path.join(server.root, `${name}-work`);
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  fs.writeFileSync(path.join(work, file), `${name}\n`);
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', name);
  git(server.root, 'clone', '-q', '--bare', work, `${name}.git`);
  git(path.join(server.root, `${name}.git`), 'config', 'http.receivepack', 'true');
}

const leaks = (text: string) => NEEDLES.filter((n) => text.includes(n));

// Both ways the Docker provider holds /workspace: the clone's bind must not show in either's review.
for (const files of ['overlay', 'copy'] as const) describe(`api: github_repository resources on Docker, ${files} mode (git http-backend on loopback)`, function () {
  this.timeout(300_000);
  const pki = makeTestPki(['git.hangar.test']);
  let server: GitServer;
  let f: ApiFixture;
  let base = '';

  before(async () => {
    await requireDocker();
    server = await startGitServer(pki, 'x-access-token', TOKEN);
    const work = path.join(server.root, 'work');
    git(work, 'checkout', '-q', '-b', 'dev');
    fs.writeFileSync(path.join(work, 'dev.txt'), 'on dev\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'dev work');
    git(work, 'push', '-q', path.join(server.root, 'project.git'), 'dev');
    addRepository(server, 'tools', 'tools.txt');
    base = `https://git.hangar.test:${server.port}`;
    f = await startApi({
      provider: (storage) => new DockerSandboxProvider({ storageRoot: storage, files }),
      runtime: { egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames, upstreamCa: [pki.caPem] } },
    });
  });
  after(async () => {
    await f?.close();
    await server?.close();
  });

  const sessionsDir = () => path.join(f.t.storage, 'sessions');
  const repositoryKeys = async () => (await f.t.runtime.vault.keys()).filter((k) => k.startsWith('session-repository/'));

  it('clones two repositories (one on a branch) at creation; the agent reads them, commits and pushes; the token is nowhere', async () => {
    const c = f.client;
    const agent = await f.agent();
    const session = await c.beta.sessions.create({
      agent: agent.id,
      environment_id: f.t.envId,
      resources: [
        { type: 'local_repository', path: f.t.repo } as never,
        { type: 'github_repository', url: `${base}/project.git`, authorization_token: TOKEN, checkout: { type: 'branch', name: 'dev' } },
        { type: 'github_repository', url: `${base}/tools.git`, authorization_token: TOKEN, mount_path: '/mnt/repos/tools' },
      ],
    });
    const repos = session.resources.filter((r) => r.type === 'github_repository');
    assert.deepEqual(
      repos.map((r) => ({ url: r.url, mount_path: r.mount_path, checkout: r.checkout })),
      [
        { url: `${base}/project.git`, mount_path: '/workspace/project', checkout: { type: 'branch', name: 'dev' } },
        { url: `${base}/tools.git`, mount_path: '/mnt/repos/tools', checkout: undefined },
      ],
    );
    const listed = await c.beta.sessions.resources.list(session.id);
    assert.equal(listed.data.filter((r) => r.type === 'github_repository').length, 2);

    f.t.model.push(
      reply.tool('bash', { command: 'cd /workspace/project && git rev-parse --abbrev-ref HEAD && cat dev.txt && cat /mnt/repos/tools/tools.txt && git remote get-url origin' }),
      reply.tool('bash', {
        command: [
          'cd /workspace/project && echo "from the agent" > agent.txt && git add agent.txt',
          'git -c user.name=agent -c user.email=agent@example.com commit -qm "agent change"',
          'git push -q origin HEAD:refs/heads/from-agent; echo "push exit=$?"',
        ].join(' && '),
      }),
      reply.tool('bash', {
        command: [
          'env | sort',
          'git -C /workspace/project config -l; git -C /mnt/repos/tools config -l',
          'cat ~/.git-credentials 2>&1',
          "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c hangar-canary-repo",
          `timeout 200 grep -r -a -l -e 'hangar-canary-repo' -e '${BASIC_PREFIX}' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null | head; echo grep-done`,
        ].join('; '),
      }),
      reply.text('done'),
    );
    await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'work on the repositories' }] }] });
    const events = await f.t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle'), 240_000);
    const results = events.filter((e): e is ToolResult => e.type === 'agent.tool_result').map(textOf);
    assert.equal(results.length, 3, JSON.stringify(events.filter((e) => e.type === 'session.error' || e.type === 'agent.tool_result'), null, 1));

    // Both clones are there, the first on its branch, with the plain URL as origin.
    assert.equal(results[0]?.trim(), `dev\non dev\ntools\n${base}/project.git`);

    // The push went through the proxy, which injected the token; it landed on the server.
    assert.match(results[1]!, /push exit=0/, results[1]);
    assert.equal(execFileSync('git', ['--git-dir', path.join(server.root, 'project.git'), 'show', 'from-agent:agent.txt'], { encoding: 'utf8' }), 'from the agent\n');
    assert.ok(server.auth.length > 0 && server.auth.every(Boolean), 'every request to the git server carried the injected token');

    // Nowhere in the sandbox: environment, git config, credentials file, any process's environment, any file.
    const hunt = results[2]!;
    assert.deepEqual(leaks(hunt), [], hunt);
    assert.match(hunt, /\n0\n/, 'no process environment holds the token');
    assert.match(hunt, /No such file or directory/);
    assert.match(hunt, /\ngrep-done$/, `no file in the container holds the token:\n${hunt}`);
    assert.doesNotMatch(hunt, /extraheader|credential\.helper/i);

    // Nowhere a client or the host's records show: the events, the session and its resources, the record, the egress log,
    // the clones on the host.
    const wire = JSON.stringify([(await c.beta.sessions.events.list(session.id, { limit: 1000 })).data, await c.beta.sessions.retrieve(session.id), listed.data]);
    assert.deepEqual(leaks(wire), []);
    const dir = path.join(sessionsDir(), session.id);
    assert.deepEqual(leaks(fs.readFileSync(path.join(dir, 'session.json'), 'utf8')), []);
    const egressLog = fs.readFileSync(path.join(dir, 'egress.jsonl'), 'utf8');
    assert.match(egressLog, /git\.hangar\.test/, 'the clone and the push are in the session egress log');
    assert.deepEqual(leaks(egressLog), []);
    assert.deepEqual(leaks(allBytes(path.join(dir, 'repositories'))), []);

    // The workspace's review shows none of it: the repositories' changes are theirs (committed, pushed, or kept in the clone).
    const changes = await f.t.runtime.sessions.changes(session.id);
    assert.deepEqual(changes.files.map((x) => x.path), []);
    // (The clone belongs to the sandbox user now, hence safe.directory for the host's git.)
    assert.equal(git(path.join(dir, 'repositories', repos[0]!.id), '-c', 'safe.directory=*', 'log', '-1', '--format=%s'), 'agent change');

    // A new token can be set (resources.update); deleting the session forgets it.
    const rotated = await c.beta.sessions.resources.update(repos[0]!.id, { session_id: session.id, authorization_token: `${TOKEN}-next` });
    assert.equal(rotated.type === 'github_repository' && rotated.id, repos[0]!.id);
    assert.ok(!JSON.stringify(rotated).includes(TOKEN));
    assert.equal((await repositoryKeys()).length, 2);
    await c.beta.sessions.delete(session.id);
    assert.deepEqual(await repositoryKeys(), []);
  });

  it("clones with the session's vault credential for the host when the resource has no token", async () => {
    const c = f.client;
    const vault = await c.beta.vaults.create({ display_name: 'git' });
    await f.t.runtime.vaults.createCredential(vault.id, { auth: { type: 'http_header', allowed_hosts: ['git.hangar.test'], scheme: 'basic', username: 'x-access-token', secret_value: TOKEN } });
    const agent = await f.agent();
    const session = await c.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, vault_ids: [vault.id], resources: [{ type: 'github_repository', url: `${base}/tools.git` }] });
    const repo = session.resources.find((r) => r.type === 'github_repository');
    assert.equal(repo?.mount_path, '/workspace/tools');
    const clone = path.join(sessionsDir(), session.id, 'repositories', repo!.id);
    assert.equal(fs.readFileSync(path.join(clone, 'tools.txt'), 'utf8'), 'tools\n');
    assert.deepEqual(leaks(allBytes(clone)), []);
    await c.beta.sessions.delete(session.id);
  });

  it('bad input: a clear error naming the repository, and nothing half-created', async () => {
    const agent = await f.agent();
    const before = (await f.client.beta.sessions.list()).data.length;
    const keysBefore = await repositoryKeys();
    const create = (resource: Record<string, unknown>) =>
      f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo } as never, resource as never] });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: 'github_repository', url: 'not a url' }, /resources\[1\]\.url: "not a url" is not a URL: a repository resource needs an https:\/\/ URL/],
      [{ type: 'github_repository', url: `http://git.hangar.test:${server.port}/project.git` }, /is plain http: the repository's token would cross the network in clear text/],
      [{ type: 'github_repository', url: `https://x-access-token:${TOKEN}@git.hangar.test/project.git` }, /carries credentials in the URL: give the token as authorization_token/],
      [{ type: 'github_repository', url: `${base}/src.git` }, /mount_path \/workspace\/src \(the default, \/workspace\/<repo name>\) already exists in the local repository/],
      [{ type: 'github_repository', url: `${base}/project.git`, checkout: { type: 'commit', sha: 'main' } }, /checkout\.sha must be a commit id/],
      [{ type: 'github_repository', url: `${base}/project.git`, checkout: { type: 'tag', name: 'v1' } }, /Expected 'branch' \| 'commit'[\s\S]*resources\[1\]\.checkout\.type/],
      [{ type: 'github_repository' }, /url is required: the repository's https:\/\/ URL/],
      [{ type: 'github_repository', url: `${base}/project.git`, mount_path: '/etc/project' }, /must be under \/workspace\/ or \/mnt\//],
      [{ type: 'github_repository', url: `${base}/project.git`, authorization_token: 'wrong-token' }, new RegExp(`resources\\[1\\] \\(${base.replace(/\./g, '\\.')}/project\\.git\\): .*refused the credentials \\(wrong or expired authorization_token`)],
      [{ type: 'github_repository', url: `${base}/project.git` }, /project\.git\): .*asks for credentials: give the resource an authorization_token/],
      [{ type: 'github_repository', url: `${base}/project.git`, authorization_token: TOKEN, checkout: { type: 'branch', name: 'no-such-branch' } }, /project\.git\): .*has no branch "no-such-branch"/],
      [{ type: 'github_repository', url: `${base}/missing.git`, authorization_token: TOKEN }, /missing\.git\): .*is not a git repository \(404\)/],
    ];
    for (const [resource, expected] of cases) {
      await assert.rejects(create(resource), (err: unknown) => {
        assert.ok(err instanceof Anthropic.BadRequestError, String(err));
        assert.match(err.message, expected);
        assert.deepEqual(leaks(err.message), []);
        return true;
      });
    }
    assert.equal((await f.client.beta.sessions.list()).data.length, before, 'no session was created');
    assert.deepEqual(
      fs.readdirSync(sessionsDir()).filter((n) => n.startsWith('.creating-')),
      [],
      'no clone was left staged',
    );
    assert.deepEqual(await repositoryKeys(), keysBefore, 'no token was kept');
  });
});

describe('api: github_repository resources on the local provider', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  before(async () => {
    f = await startApi();
  });
  after(async () => f?.close());

  it('are refused at creation with the reason and the fix', async () => {
    const agent = await f.agent();
    await assert.rejects(
      f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'github_repository', url: 'https://github.com/octo/repo.git', authorization_token: TOKEN }] }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /github_repository resources need the Docker provider.*Use --provider docker/.test(err.message) && !err.message.includes(TOKEN),
    );
    assert.deepEqual((await f.t.runtime.vault.keys()).filter((k) => k.startsWith('session-repository/')), []);
  });
});
