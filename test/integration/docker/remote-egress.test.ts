import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { connectDocker } from '../../../src/sandbox/docker/client';
import { resolveEngine } from '../../../src/sandbox/docker/engine';
import { LABEL_SESSION } from '../../../src/sandbox/docker/names';
import type { EgressEndpoint, SandboxEgress } from '../../../src/sandbox/types';
import { CertificateAuthority } from '../../../src/vault/proxy/ca';
import type { ProxyCredential } from '../../../src/vault/proxy/policy';
import { SANDBOX_CA_PATH, sandboxProxyEnv } from '../../../src/vault/proxy/sandbox-env';
import { EgressProxy } from '../../../src/vault/proxy/server';
import { secretVariants } from '../../../src/vault/scrubber';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { startGitServer, type GitServer } from '../vault/support/git-server';
import { makeTestPki } from '../vault/support/pki';
import { allowLoopbackTestNames, testLookup } from '../vault/support/proxy-fixture';
import { startUpstream, type Upstream } from '../vault/support/upstream';
import { env, text, tmpDir } from './helpers';

// Networking and repository resources on a remote engine (the second dockerd over ssh, scripts/setup/docker-ssh.sh).
// Its sandbox joins no network (network mode none): its way out is the relay in the container, tunnelled over the
// engine connection to this host's egress proxy, which applies the session's policy and injects the credentials. The
// agent uses an API with a placeholder, is refused a host not on the list, cannot go around the relay, and pushes
// from a repository resource cloned on this host and shipped in; the secrets are nowhere in the sandbox.

const SSH_HOST = process.env.HANGAR_DOCKER2_SSH ?? 'ssh://hangar-docker-ssh';
const API_TOKEN = `hangar-canary-api-${randomBytes(12).toString('hex')}`;
const GIT_TOKEN = `hangar-canary-git-${randomBytes(12).toString('hex')}`;
const NEEDLES = [API_TOKEN, GIT_TOKEN].flatMap((c) => secretVariants(c));
const textOf = (e: Extract<SessionEvent, { type: 'agent.tool_result' }>) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');

describe('docker: networking and repository resources on a remote engine (tunnel to the egress proxy over ssh)', function () {
  this.timeout(480_000);
  const pki = makeTestPki(['api.hangar.test', 'git.hangar.test', 'refused.hangar.test']);
  let api: Upstream;
  let git: GitServer;
  let t: TestRuntime;
  let results: string[] = [];
  let sessionId = '';

  before(async () => {
    api = await startUpstream(pki, API_TOKEN);
    git = await startGitServer(pki, 'x-access-token', GIT_TOKEN);
    const apiUrl = `https://api.hangar.test:${api.port}`;
    const bash = (command: string) => reply.tool('bash', { command, timeout_ms: 240_000 });
    t = await makeTestRuntime({
      script: [
        bash(`printenv API_TOKEN; echo "proxy=$HTTPS_PROXY"; curl -sS -H "Authorization: Bearer $API_TOKEN" ${apiUrl}/api`),
        bash(
          [
            `curl -sS -m 20 https://refused.hangar.test:${api.port}/`,
            `curl -sS --noproxy '*' -m 5 -k https://127.0.0.1:${api.port}/api; echo "direct exit=$?"`,
            `curl -sS --noproxy '*' -m 5 http://1.1.1.1/; echo "internet exit=$?"`,
            "grep -c -v -E '^ *(lo|Inter|face)' /proc/net/dev",
          ].join('; '),
        ),
        bash(
          [
            'cd /workspace/project && cat README.md && echo "from the remote sandbox" > agent.txt && git add agent.txt',
            'git -c user.name=agent -c user.email=agent@example.com commit -qm "remote agent change"',
            'git push -q origin HEAD:refs/heads/from-remote; echo "push exit=$?"',
          ].join(' && '),
        ),
        bash(
          [
            "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c hangar-canary",
            'git -C /workspace/project config -l | grep -i -E "extraheader|credential" ; cat ~/.git-credentials 2>&1',
            "timeout 200 grep -r -a -l 'hangar-canary' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null | head; echo grep-done",
          ].join('; '),
        ),
        reply.text('done'),
      ],
      provider: (storage) => new DockerSandboxProvider({ storageRoot: storage, engine: SSH_HOST }),
      runtime: { egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames, upstreamCa: [pki.caPem] } },
    });
    const rt = t.runtime;
    const v = await rt.vaults.create({ display_name: 'remote egress' });
    await rt.vaults.createCredential(v.id, {
      auth: { type: 'environment_variable', secret_name: 'API_TOKEN', secret_value: API_TOKEN, networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] }, injection_location: { header: true, body: false } },
    });
    const env = await rt.environments.create({ name: 'remote-limited', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] } } });
    const agent = await rt.agents.create({ name: 'remote', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await rt.sessions.create({
      agent: agent.id,
      environment_id: env.id,
      vault_ids: [v.id],
      resources: [
        { type: 'local_repository', path: t.repo },
        { type: 'github_repository', url: `https://git.hangar.test:${git.port}/project.git`, authorization_token: GIT_TOKEN },
      ],
    });
    sessionId = s.id;
    await rt.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    const events = await t.waitFor(s.id, (es) => es.some((e) => e.type === 'session.status_idle'), 420_000);
    results = events.filter((e): e is Extract<SessionEvent, { type: 'agent.tool_result' }> => e.type === 'agent.tool_result').map(textOf);
    assert.equal(results.length, 4, JSON.stringify(events.filter((e) => e.type === 'session.error' || e.type === 'agent.tool_result'), null, 1));
  });

  after(async () => {
    if (t && sessionId) await t.runtime.deleteSession(sessionId).catch(() => undefined);
    await t?.close();
    await api?.close();
    await git?.close();
  });

  it('runs on the remote engine with no network: the proxy is the relay on its loopback', async () => {
    const remote = await connectDocker({ target: resolveEngine(SSH_HOST), pingTimeoutMs: 20_000 });
    const [container] = await remote.listContainers({ filters: { label: [`${LABEL_SESSION}=${sessionId}`] } });
    assert.ok(container, 'the session container runs on the remote engine');
    assert.equal(container.HostConfig.NetworkMode, 'none');
    assert.match(results[0]!, /^hangar-placeholder-vcrd_\w+\nproxy=http:\/\/127\.0\.0\.1:3128\n/);
  });

  it('reaches an allowed host with the credential the proxy injects on this host', () => {
    assert.match(results[0]!, /upstream: authorised\n?$/);
    assert.equal(api.seen.find((r) => r.path === '/api')?.headers.authorization, `Bearer ${API_TOKEN}`);
  });

  it('is refused a host not on the list, and has no way around the relay', () => {
    const out = results[1]!;
    assert.match(out, /refused the connection to refused\.hangar\.test:\d+: the host is not on the environment's allow-list/);
    assert.match(out, /direct exit=([1-9]\d*)/);
    assert.match(out, /internet exit=([1-9]\d*)/);
    assert.match(out, /\n0\n/, `no interface but loopback:\n${out}`);
  });

  it('pushes from a repository resource cloned on this host and shipped in, with a token only the proxy holds', () => {
    assert.match(results[2]!, /push exit=0/, results[2]);
    const pushed = execFileSync('git', ['--git-dir', `${git.root}/project.git`, 'show', 'from-remote:agent.txt'], { encoding: 'utf8' });
    assert.equal(pushed, 'from the remote sandbox\n');
    assert.ok(git.auth.length > 0 && git.auth.every(Boolean), 'every git request carried the injected token');
  });

  it('holds no secret anywhere in the sandbox', () => {
    const hunt = results[3]!;
    assert.deepEqual(NEEDLES.filter((n) => hunt.includes(n)), [], hunt);
    assert.match(hunt, /^0\n/, 'no process environment holds a secret');
    assert.match(hunt, /No such file or directory/);
    assert.match(hunt, /\ngrep-done\n?$/, `no file holds a secret:\n${hunt}`);
  });
});

/** The runtime's side of the seam without a runtime: one proxy, every session allowed the test API with its token. */
class TestEgress implements SandboxEgress {
  constructor(private readonly proxy: EgressProxy) {}
  endpoint(): Promise<EgressEndpoint> {
    throw new Error('a remote engine asks for a tunnel endpoint, never a listener');
  }
  bind(): void {}
  unbind(): void {}
  async tunnelEndpoint(url: string): Promise<Omit<EgressEndpoint, 'port'>> {
    return { env: sandboxProxyEnv(url), caCert: { pem: this.proxy.caCertPem, path: SANDBOX_CA_PATH } };
  }
  accept(sessionId: string, connection: Duplex): void {
    this.proxy.accept(sessionId, connection);
  }
}

describe('docker: a remote engine sandbox reattached by a new runtime process gets a new tunnel', function () {
  this.timeout(300_000);
  const pki = makeTestPki(['api.hangar.test']);
  let api: Upstream;
  let proxy: EgressProxy;
  const providers: DockerSandboxProvider[] = [];

  before(async () => {
    api = await startUpstream(pki, API_TOKEN);
    const ca = await CertificateAuthority.loadOrCreate(tmpDir('egress-ca'));
    const credential: ProxyCredential = { id: 'vcrd_remote', hosts: ['api.hangar.test'], secret: API_TOKEN, injection: { kind: 'header', name: 'authorization', value: `Bearer ${API_TOKEN}` } };
    proxy = new EgressProxy({
      ca,
      lookup: testLookup,
      allowPrivate: allowLoopbackTestNames,
      upstreamCa: [pki.caPem],
      policyFor: async (sessionId) => ({ sessionId, networking: { type: 'limited', allowed_hosts: ['api.hangar.test'], allow_mcp_servers: false, allow_package_managers: false }, mcpHosts: [], credentials: [credential], logFile: null }),
    });
  });
  after(async () => {
    for (const p of providers) await p.destroy('reattach').catch(() => undefined);
    for (const p of providers) await p.close();
    await proxy?.close();
    await api?.close();
  });

  it('the old relay ended with its process; the reattached sandbox reaches the proxy again', async () => {
    const storageRoot = tmpDir('store');
    const open = () => {
      const p = new DockerSandboxProvider({ storageRoot, engine: SSH_HOST });
      p.useEgress(new TestEgress(proxy));
      providers.push(p);
      return p;
    };
    const environment = env({ networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] } });
    const call = `curl -sS -m 30 https://api.hangar.test:${api.port}/api`;
    const first = await open().provision({ sessionId: 'reattach', environment });
    assert.equal(text(await first.execute('bash', { command: call })).trim(), 'upstream: authorised');
    await providers[0]!.close();
    const second = await open().provision({ sessionId: 'reattach', environment });
    // One relay runs (the first one's stdin ended with its provider), and it carries the new provider's connections.
    const out = text(await second.execute('bash', { command: `${call}; grep -l 'net[.]createServer' /proc/[0-9]*/cmdline 2>/dev/null | wc -l` }));
    assert.equal(out.trim(), 'upstream: authorised\n1', out);
  });
});
