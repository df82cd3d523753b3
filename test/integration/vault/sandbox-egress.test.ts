import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { DEFAULT_IMAGE } from '../../../src/sandbox/docker/plan';
import { MemoryVault } from '../../../src/vault/memory';
import { secretVariants } from '../../../src/vault/scrubber';
import { MODEL_API_KEY } from '../../../src/vault/types';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { startGitServer, type GitServer } from './support/git-server';
import { makeTestPki } from './support/pki';
import { allowLoopbackTestNames, testLookup } from './support/proxy-fixture';
import { findInCommandOutput } from './support/search';
import { startUpstream, type Upstream } from './support/upstream';

// A real session in a real Docker sandbox with networking "limited": the agent (a scripted model) uses an API with
// a credential it only holds a placeholder for, is refused a host that is not allowed, tries to get around the
// proxy, clones and pushes over HTTPS with a token the proxy injects, and hunts for the secrets everywhere it can.
// Afterwards the host searches the container's whole filesystem, its image, the tool results, events and logs for
// the canary secrets: they must be nowhere but in the upstreams' hands.

const run = promisify(execFile);
const API_TOKEN = `hangar-canary-api-${randomBytes(12).toString('hex')}`;
const GIT_TOKEN = `hangar-canary-git-${randomBytes(12).toString('hex')}`;
const MODEL_KEY = `sk-ant-canary-model-${randomBytes(12).toString('hex')}`;
const MCP_TOKEN = `hangar-canary-mcp-${randomBytes(12).toString('hex')}`;
const CANARIES = [API_TOKEN, GIT_TOKEN, MODEL_KEY, MCP_TOKEN];
const NEEDLES = CANARIES.flatMap((c) => secretVariants(c));

const idle = (events: readonly SessionEvent[]) => events.some((e) => e.type === 'session.status_idle');

function hostLanAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('172.')) return a.address;
  return null;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    const st = statSync(p);
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });
}

describe('sandbox egress: a Docker session behind the proxy', function () {
  this.timeout(600_000);
  const pki = makeTestPki(['api.hangar.test', 'git.hangar.test', 'refused.hangar.test']);
  let api: Upstream;
  let gitServer: GitServer;
  let hostService: http.Server;
  let t: TestRuntime;
  let events: SessionEvent[] = [];
  let results: string[] = [];
  let sessionId = '';
  let containerId = '';

  before(async () => {
    await run('docker', ['image', 'inspect', DEFAULT_IMAGE]).catch(() => {
      throw new Error(`the image ${DEFAULT_IMAGE} is missing: run scripts/setup/docker-engine.sh and sandbox/build-image.sh`);
    });
    api = await startUpstream(pki, API_TOKEN);
    gitServer = await startGitServer(pki, 'x-access-token', GIT_TOKEN);
    // A service on every host address: what a sandbox that bypasses the proxy would reach first.
    hostService = http.createServer((_q, r) => r.end('host service reached\n'));
    await new Promise<void>((r) => hostService.listen(0, '0.0.0.0', r));
    const svc = (hostService.address() as net.AddressInfo).port;
    const lan = hostLanAddress();
    const apiUrl = `https://api.hangar.test:${api.port}`;
    const gitUrl = `https://git.hangar.test:${gitServer.port}/project.git`;
    const bash = (command: string) => reply.tool('bash', { command, timeout_ms: 300_000 });
    const gw = 'GW=${HTTP_PROXY#http://}; GW=${GW%%:*}';
    const script = [
      bash('printenv API_TOKEN; env | sort'),
      bash(`curl -sS -H "Authorization: Bearer $API_TOKEN" ${apiUrl}/api`),
      bash(`curl -sS -i -H "Authorization: Bearer $API_TOKEN" ${apiUrl}/echo`),
      bash(`curl -sS https://refused.hangar.test:${api.port}/; curl -sS http://refused.hangar.test/`),
      bash(
        [
          gw,
          `curl -sS --noproxy '*' -m 5 ${apiUrl}/api; echo "direct-name exit=$?"`,
          `curl -sS --noproxy '*' -m 5 https://127.0.0.1:${api.port}/api -k; echo "direct-loopback exit=$?"`,
          `curl -sS --noproxy '*' -m 5 http://$GW:${svc}/; echo "direct-gateway exit=$?"`,
          `curl -sS --noproxy '*' -m 5 http://172.17.0.1:${svc}/; echo "direct-docker0 exit=$?"`,
          lan ? `curl -sS --noproxy '*' -m 5 http://${lan}:${svc}/; echo "direct-lan exit=$?"` : 'echo "direct-lan exit=skipped"',
          `curl -sS --noproxy '*' -m 5 http://1.1.1.1/; echo "direct-internet exit=$?"`,
          `curl -sS -m 5 http://$GW:${svc}/; echo "via-proxy-gateway exit=$?"`,
          `curl -sS -m 5 http://169.254.169.254/latest/meta-data/; echo "via-proxy-metadata exit=$?"`,
        ].join('\n'),
      ),
      bash(
        [
          'cd /tmp && git clone -q ' + gitUrl + ' && cd project && echo "from the agent" > agent.txt && git add agent.txt',
          'git -c user.name=agent -c user.email=agent@example.com commit -qm "agent change"',
          'git push -q origin HEAD:refs/heads/from-agent; echo "push exit=$?"',
          'git config -l; cat ~/.git-credentials 2>&1; git remote -v',
        ].join(' && '),
      ),
      bash(
        [
          "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u | grep -i -E 'token|proxy|secret|key'",
          "timeout 240 grep -r -a -l -E 'hangar-canary|BEGIN (RSA )?PRIVATE KEY' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null | head -20; echo grep-done",
          'ls -la /usr/local/share/ca-certificates/ ~ /opt/hangar',
          'cat /run/secrets/* 2>&1 | head -5',
        ].join('; '),
      ),
      reply.text('done hunting'),
    ];
    // The model key and an MCP credential live in the same vault; neither may ever reach the sandbox either.
    const vault = new MemoryVault({ [MODEL_API_KEY]: MODEL_KEY });
    t = await makeTestRuntime({
      script,
      provider: (storage) => new DockerSandboxProvider({ storageRoot: storage }),
      runtime: { vault, egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames, upstreamCa: [pki.caPem] } },
    });
    const rt = t.runtime;
    const v = await rt.vaults.create({ display_name: 'egress test' });
    await rt.vaults.createCredential(v.id, {
      auth: { type: 'environment_variable', secret_name: 'API_TOKEN', secret_value: API_TOKEN, networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] }, injection_location: { header: true, body: false } },
    });
    await rt.vaults.createCredential(v.id, { auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.hangar.test/mcp', token: MCP_TOKEN } });
    await rt.vaults.createCredential(v.id, { auth: { type: 'http_header', allowed_hosts: ['git.hangar.test'], scheme: 'basic', username: 'x-access-token', secret_value: GIT_TOKEN } });
    const env = await rt.environments.create({ name: 'egress-limited', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.hangar.test', 'git.hangar.test'] } } });
    const agent = await rt.agents.create({ name: 'hunter', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await rt.sessions.create({ agent: agent.id, environment_id: env.id, vault_ids: [v.id], resources: [{ type: 'local_repository', path: t.repo }] });
    sessionId = s.id;
    await rt.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'find the secrets' }] }]);
    events = await t.waitFor(s.id, idle, 540_000);
    results = events.flatMap((e) => (e.type === 'agent.tool_result' ? [(e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('')] : []));
    if (process.env.HANGAR_TEST_VERBOSE) results.forEach((r, i) => console.log(`--- ${i}\n${r}`));
    containerId = (await run('docker', ['ps', '-q', '--filter', `label=dev.hangar.session=${s.id}`])).stdout.trim();
  });

  after(async () => {
    if (t && sessionId) await t.runtime.deleteSession(sessionId).catch(() => undefined);
    await t?.close();
    await api?.close();
    await gitServer?.close();
    await new Promise<void>((r) => (hostService ? hostService.close(() => r()) : r()));
  });

  it('ran every step of the session', () => {
    assert.equal(results.length, 7, events.map((e) => e.type).join('\n'));
    assert.ok(containerId, 'the session container is running');
  });

  it('gives the sandbox a placeholder and the proxy settings, never the secret', () => {
    const out = results[0] as string;
    assert.match(out, /^hangar-placeholder-vcrd_\w+/);
    assert.match(out, /HTTPS_PROXY=http:\/\/[\d.]+:\d+/);
    assert.match(out, /GIT_SSL_CAINFO=/);
  });

  it('lets an allowed host work with the credential the proxy injects', () => {
    assert.equal(results[1]?.trim(), 'upstream: authorised');
    assert.equal(api.seen.find((r) => r.path === '/api')?.headers.authorization, `Bearer ${API_TOKEN}`);
  });

  it('scrubs a secret an upstream echoes back before the sandbox sees it', () => {
    assert.match(results[2] as string, /Bearer \[REDACTED:vcrd_\w+\]/);
    assert.equal(api.seen.find((r) => r.path === '/echo')?.headers.authorization, `Bearer ${API_TOKEN}`);
  });

  it('refuses a host that is not on the list with a message that says how to allow it', () => {
    const out = results[3] as string;
    assert.match(out, /refused the connection to refused\.hangar\.test:\d+: the host is not on the environment's allow-list/);
    assert.match(out, /add "refused\.hangar\.test".*config\.networking\.allowed_hosts/);
    assert.match(out, /refused the connection to refused\.hangar\.test:80/);
  });

  it('has no way around the proxy: direct connections fail, private targets through it are refused', () => {
    const out = results[4] as string;
    for (const step of ['direct-name', 'direct-loopback', 'direct-gateway', 'direct-docker0', 'direct-internet']) {
      const m = new RegExp(`${step} exit=(\\d+)`).exec(out);
      assert.ok(m && m[1] !== '0', `${step} must fail:\n${out}`);
    }
    assert.match(out, /direct-lan exit=([1-9]\d*|skipped)/);
    assert.doesNotMatch(out, /host service reached/);
    assert.match(out, /refused the connection to 172\.\d+\.\d+\.\d+:\d+: the address is a private network address/);
    assert.match(out, /refused the connection to 169\.254\.169\.254:80: the address is a link-local address/);
  });

  it('clones and pushes over HTTPS with a token that only the proxy holds', () => {
    const out = results[5] as string;
    assert.match(out, /push exit=0/, out);
    assert.doesNotMatch(out, /extraheader|credential\.helper/i);
    assert.match(out, /No such file or directory/);
    const pushed = execFileSync('git', ['--git-dir', path.join(gitServer.root, 'project.git'), 'show', 'from-agent:agent.txt'], { encoding: 'utf8' });
    assert.equal(pushed, 'from the agent\n');
    assert.ok(gitServer.auth.length >= 4);
    assert.ok(gitServer.auth.every(Boolean), 'every git request carried the injected credential');
  });

  it('never shows a canary in a tool result, an event, the egress log or any file of the runtime', async () => {
    for (const r of results) for (const n of NEEDLES) assert.ok(!r.includes(n), `tool result contains ${n}`);
    assert.doesNotMatch(results[6] as string, /hangar-canary/);
    assert.match(results[6] as string, /grep-done/);
    for (const file of filesUnder(t.storage)) {
      const text = readFileSync(file);
      for (const n of NEEDLES) assert.ok(!text.includes(n), `${file} contains a canary form`);
    }
    const log = readFileSync(path.join(t.storage, 'sessions', sessionId, 'egress.jsonl'), 'utf8');
    const records = log.trim().split('\n').map((l) => JSON.parse(l) as { decision: string; host: string; credentials?: string[] });
    assert.ok(records.some((r) => r.decision === 'allowed' && r.host === 'api.hangar.test' && (r.credentials?.length ?? 0) > 0));
    assert.ok(records.some((r) => r.decision === 'allowed' && r.host === 'git.hangar.test' && (r.credentials?.length ?? 0) > 0));
    assert.ok(records.some((r) => r.decision === 'refused' && r.host === 'refused.hangar.test'));
    assert.ok(records.some((r) => r.decision === 'refused' && r.host === '169.254.169.254'));
  });

  it('leaves no canary and no CA key in the container (env, filesystem, image layers)', async () => {
    const inspect = (await run('docker', ['inspect', containerId], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    for (const n of NEEDLES) assert.ok(!inspect.includes(n), 'container config carries a canary');
    assert.match(inspect, /API_TOKEN=hangar-placeholder-/);
    const keyLines = readFileSync(path.join(t.storage, 'egress', 'ca-key.pem'), 'utf8').split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/]{64}$/.test(l));
    const certLine = readFileSync(path.join(t.storage, 'egress', 'ca.pem'), 'utf8').split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/]{64}$/.test(l))[3] as string;
    const keyNeedles = keyLines.slice(2, 6);
    const fs = await findInCommandOutput('docker', ['export', containerId], [...NEEDLES, ...keyNeedles, certLine]);
    assert.ok(fs.bytes > 50_000_000, 'the export is the whole filesystem');
    // Positive control: the CA certificate is installed, so the search does find what is there.
    assert.deepEqual(fs.found, [certLine]);
    const image = await findInCommandOutput('docker', ['save', DEFAULT_IMAGE], [...NEEDLES, ...keyNeedles]);
    assert.deepEqual(image.found, []);
  });
});
