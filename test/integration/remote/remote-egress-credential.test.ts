import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { MirroredVaults } from '../../../src/extension/connection/mirrored-vaults';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { DEFAULT_IMAGE } from '../../../src/sandbox/docker/plan';
import { MemoryVault } from '../../../src/vault/memory';
import { secretVariants } from '../../../src/vault/scrubber';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime } from '../../support/runtime';
import { assertTokenAbsent } from '../../support/secret-search';
import { serveOverHttp, type ServedRuntime } from '../../support/served-runtime';
import { makeTestPki } from '../vault/support/pki';
import { allowLoopbackTestNames, testLookup } from '../vault/support/proxy-fixture';
import { startUpstream, type Upstream } from '../vault/support/upstream';

// A credential put into a detached runtime through the VS Code seam (issue #15) is injected by that runtime's egress
// proxy: a Docker session behind the proxy (networking "limited") calls an HTTPS API with the placeholder it holds,
// the upstream gets the secret, and the sandbox's environment, the tool results, the events and the runtime's files
// never do. Modelled on test/integration/vault/sandbox-egress.test.ts, with the credential sent over HTTP by
// RemoteVaults (in MirroredVaults) and the session created and driven through RemoteRuntimeClient.

const run = promisify(execFile);
const TOKEN = `hangar-detached-egress-${randomBytes(12).toString('hex')}`;

describe('detached runtime: a credential from VS Code injected by its egress proxy (Docker)', function () {
  this.timeout(300_000);
  const pki = makeTestPki(['api.hangar.test']);
  let api: Upstream;
  let served: ServedRuntime | undefined;

  before(async () => {
    await run('docker', ['image', 'inspect', DEFAULT_IMAGE]).catch(() => {
      throw new Error(`the image ${DEFAULT_IMAGE} is missing: run scripts/setup/docker-engine.sh and sandbox/build-image.sh`);
    });
    api = await startUpstream(pki, TOKEN);
  });
  after(async () => {
    await served?.close();
    await api?.close();
  });

  it('reaches the upstream with the secret; the sandbox, the events and the runtime files never hold it', async () => {
    const apiUrl = `https://api.hangar.test:${api.port}`;
    const bash = (command: string) => reply.tool('bash', { command, timeout_ms: 120_000 });
    const t = await makeTestRuntime({
      script: [bash('printenv API_TOKEN; env | sort'), bash(`curl -sS -H "Authorization: Bearer $API_TOKEN" ${apiUrl}/api`), reply.text('done')],
      provider: (storage) => new DockerSandboxProvider({ storageRoot: storage }),
      runtime: { vault: new MemoryVault(), egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames, upstreamCa: [pki.caPem] } },
    });
    served = await serveOverHttp(t);
    const { client, server } = served;
    const vaults = new MirroredVaults(client.vaults, new MemoryVault(), server.url);
    const vault = await vaults.create({ display_name: 'Workspace credentials' });
    const credential = await vaults.createCredential(vault.id, {
      auth: { type: 'environment_variable', secret_name: 'API_TOKEN', secret_value: TOKEN, networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] }, injection_location: { header: true, body: false } },
    });
    const env = await t.runtime.environments.create({ name: 'egress-limited', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.hangar.test'] } } });
    const agent = await client.createAgent({ name: 'caller', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await client.createSession({ agent: agent.id, environment_id: env.id, vault_ids: await vaults.vaultIds(), resources: [{ type: 'local_repository', path: t.repo }] });
    try {
      await client.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'call the API' }] }]);
      const events = await t.waitFor(session.id, (e: readonly SessionEvent[]) => e.some((x) => x.type === 'session.status_idle'), 240_000);
      const results = events.flatMap((e) => (e.type === 'agent.tool_result' ? [(e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('')] : []));
      assert.equal(results.length, 2, events.map((e) => e.type).join(', '));
      assert.match(results[0]!, new RegExp(`^hangar-placeholder-${credential.id}`), 'the sandbox holds a placeholder');
      assert.match(results[0]!, /HTTPS_PROXY=http:\/\//, 'and goes out through the proxy');
      assert.equal(results[1]!.trim(), 'upstream: authorised', results[1]);
      assert.equal(api.seen.find((r) => r.path === '/api')?.headers.authorization, `Bearer ${TOKEN}`, 'the proxy injected the secret');
      const log = JSON.stringify(await client.sessionEvents(session.id));
      for (const needle of secretVariants(TOKEN)) assert.ok(!log.includes(needle), 'no event holds the secret in any form');
      await t.runtime.settled(session.id);
      assertTokenAbsent(t.storage, TOKEN);
    } finally {
      await t.runtime.deleteSession(session.id).catch(() => undefined);
    }
  });
});
