import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { reply, startScriptedModel, type ScriptedModel } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { Runtime } from '../../../src/runtime';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { MemoryVault } from '../../../src/vault/memory';
import type { SessionEvent } from '../../../src/wire';
import { makeRepo } from '../../support/runtime';
import { makeTestPki } from './support/pki';
import { allowLoopbackTestNames, testLookup } from './support/proxy-fixture';
import { startUpstream, type Upstream } from './support/upstream';

// A session outlives the runtime that drove it (CLI exit, window reload): the next runtime on the same storage starts
// its own proxy and must serve the session's sandbox, on the same port when it is free and on another one when it is
// taken (the session's container settings are re-pointed, its files stay).

const run = promisify(execFile);
const TOKEN = 'restart-canary-token-5e1d2c3b4a';

async function idleCount(rt: Runtime, id: string, n: number): Promise<SessionEvent[]> {
  const seen: SessionEvent[] = [];
  let stop: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${seen.map((e) => e.type).join(', ')}`)), 240_000);
      void rt.sessions
        .subscribe(id, 0, (e) => {
          seen.push(e);
          if (seen.filter((x) => x.type === 'session.status_idle').length >= n) {
            clearTimeout(timer);
            resolve();
          }
        })
        .then((off) => (stop = off), reject);
    });
  } finally {
    stop?.();
  }
  return seen;
}

const lastResult = (events: SessionEvent[]) => {
  const r = events.filter((e) => e.type === 'agent.tool_result').at(-1);
  return r?.type === 'agent.tool_result' ? (r.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('') : '';
};

describe('sandbox egress across runtime restarts', function () {
  this.timeout(600_000);
  const pki = makeTestPki(['api.hangar.test']);
  let api: Upstream;
  let model: ScriptedModel;
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-restart-'));
  const vault = new MemoryVault();
  const runtimes: Runtime[] = [];
  let sessionId = '';
  let blocker: net.Server | null = null;

  const open = () => {
    const rt = new Runtime({
      storageRoot: storage,
      vault,
      sandbox: new DockerSandboxProvider({ storageRoot: storage }),
      model: createAnthropicModel({ apiKey: async () => 'k', baseURL: model.url }),
      owner: 'test',
      onProgress: (_id, m) => process.env.HANGAR_TEST_VERBOSE && console.log(`[progress] ${m}`),
      egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames, upstreamCa: [pki.caPem] },
    });
    runtimes.push(rt);
    return rt;
  };
  const container = async () => (await run('docker', ['ps', '-q', '--filter', `label=dev.hangar.session=${sessionId}`])).stdout.trim();
  const ask = async (rt: Runtime, n: number) => {
    await rt.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'call the api' }] }]);
    return lastResult(await idleCount(rt, sessionId, n));
  };

  before(async () => {
    api = await startUpstream(pki, TOKEN);
    const call = reply.tool('bash', { command: `curl -sS -H "Authorization: Bearer $API_TOKEN" https://api.hangar.test:${api.port}/api` });
    model = await startScriptedModel({ script: [call, reply.text('one'), call, reply.text('two'), call, reply.text('three')] });
  });

  after(async () => {
    if (sessionId) await runtimes.at(-1)?.deleteSession(sessionId).catch(() => undefined);
    for (const rt of runtimes) await rt.close().catch(() => undefined);
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    await api?.close();
    await model?.close();
    rmSync(storage, { recursive: true, force: true });
  });

  it('serves a session through the proxy', async () => {
    const rt = open();
    const v = await rt.vaults.create({ display_name: 'v' });
    await rt.vaults.createCredential(v.id, { auth: { type: 'environment_variable', secret_name: 'API_TOKEN', secret_value: TOKEN, networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] } } });
    const env = await rt.environments.create({ name: 'net', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] } } });
    const agent = await rt.agents.create({ name: 'a', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    sessionId = (await rt.sessions.create({ agent: agent.id, environment_id: env.id, vault_ids: [v.id], resources: [{ type: 'local_repository', path: makeRepo() }] })).id;
    assert.equal(await ask(rt, 1), 'upstream: authorised');
  });

  it('a new runtime on the same storage serves the session on the same proxy port', async () => {
    const ports = () => JSON.parse(readFileSync(path.join(storage, 'egress', 'ports.json'), 'utf8')) as Record<string, number>;
    const first = ports();
    await runtimes.at(-1)?.close();
    assert.equal(await ask(open(), 2), 'upstream: authorised');
    assert.deepEqual(ports(), first);
  });

  it('when that port is taken, the session\'s sandbox is pointed at the new one', async () => {
    const before = await container();
    await runtimes.at(-1)?.close();
    const ports = JSON.parse(readFileSync(path.join(storage, 'egress', 'ports.json'), 'utf8')) as Record<string, number>;
    const [gateway, port] = Object.entries(ports)[0] as [string, number];
    blocker = net.createServer();
    await new Promise<void>((r) => blocker!.listen(port, gateway, r));
    assert.equal(await ask(open(), 3), 'upstream: authorised');
    const after = await container();
    assert.ok(after && after !== before, 'a container pointed at the new port serves the session');
    const moved = JSON.parse(readFileSync(path.join(storage, 'egress', 'ports.json'), 'utf8')) as Record<string, number>;
    assert.notEqual(moved[gateway], port);
  });
});
