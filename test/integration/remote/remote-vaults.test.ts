import assert from 'node:assert/strict';
import { MirroredVaults } from '../../../src/extension/connection/mirrored-vaults';
import { RuntimeRefusal, type RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { credentialTransportProblem } from '../../../src/extension/connection/remote-vaults';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { credentialSecretKey } from '../../../src/runtime/vaults';
import { MemoryVault } from '../../../src/vault/memory';
import type { SessionEvent } from '../../../src/wire';
import { startBearerProxy, type BearerProxy } from '../../support/bearer-proxy';
import { makeMcpRuntime, type McpTestRuntime } from '../../support/mcp-runtime';
import { startEverythingHttp, type HttpServerProcess } from '../../support/mcp-servers';
import { assertTokenAbsent, captureOutput } from '../../support/secret-search';
import { serveOverHttp, type ServedRuntime } from '../../support/served-runtime';

// Credentials over a detached runtime (issue #15), over real HTTP: the extension's vault seam (RemoteVaults through
// the real SDK, wrapped in MirroredVaults with a stand-in for VS Code's secret storage) against the real API server
// of a runtime whose MCP factory is the production one. The secret lands in the runtime's vault, a session's MCP
// connection over there uses it against a server that demands it, and it is nowhere else: not in an API answer, the
// sandbox, the session's files or the process's output. Rotating and removing it in "VS Code" changes the runtime's.

const TOKEN = `hangar-remote-canary-${Date.now()}-5f0c`;
const ROTATED = `hangar-remote-rotated-${Date.now()}-9a1e`;

describe('vaults over a detached runtime (VS Code seam) over HTTP', function () {
  this.timeout(90_000);
  let mcp: HttpServerProcess;
  let guard: BearerProxy;
  let t: McpTestRuntime | undefined;
  let served: ServedRuntime | undefined;

  before(async () => {
    mcp = await startEverythingHttp();
    guard = await startBearerProxy(mcp.url, TOKEN);
  });
  after(async () => {
    await guard?.close();
    await mcp?.stop();
  });
  afterEach(async () => {
    await served?.close();
    served = t = undefined;
  });

  async function connect(script: Parameters<typeof makeMcpRuntime>[0]): Promise<{ c: RemoteRuntimeClient; copies: MemoryVault; vaults: MirroredVaults }> {
    t = await makeMcpRuntime(script);
    served = await serveOverHttp(t);
    const copies = new MemoryVault();
    return { c: served.client, copies, vaults: new MirroredVaults(served.client.vaults, copies, served.server.url) };
  }

  it('puts the secret into the runtime\'s vault, where its MCP connection uses it, and nowhere else; rotating and removing reach the runtime', async () => {
    const logged: string[] = [];
    const restore = captureOutput(logged);
    try {
      const { c, copies, vaults } = await connect([reply.tool('everything__echo', { message: 'from afar' }), reply.tool('bash', { command: 'env; ls -la ~ /tmp' }), reply.text('done')]);
      const vault = await vaults.create({ display_name: 'Workspace credentials' });
      const credential = await vaults.createCredential(vault.id, { auth: { type: 'static_bearer', mcp_server_url: guard.url, token: TOKEN } });
      assert.ok(!JSON.stringify(credential).includes(TOKEN), 'the API answer carries no secret');
      assert.deepEqual(JSON.parse((await t!.vault.get(credentialSecretKey(vault.id, credential.id))) ?? 'null'), { type: 'static_bearer', token: TOKEN }, "the runtime's vault holds it");
      const copyKey = (await copies.keys()).find((k) => k.endsWith(`/${vault.id}/${credential.id}`));
      assert.ok(copyKey, "VS Code's secret storage keeps its copy under the runtime's address");
      assert.equal(JSON.parse((await copies.get(copyKey)) ?? '{}').token, TOKEN);
      assert.deepEqual(await vaults.vaultIds(), [vault.id]);
      const other = await c.vaults.create({ display_name: 'someone else on the runtime' });
      assert.deepEqual(await vaults.vaultIds(), [vault.id], 'a vault without this VS Code\'s credentials is not attached');
      assert.deepEqual((await vaults.list()).map((v) => v.id), [vault.id, other.id]);

      const agent = await c.createAgent({
        name: 'mcp-remote',
        model: DEFAULT_MODEL,
        mcp_servers: [{ type: 'url', name: 'everything', url: guard.url }],
        tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'everything', default_config: { permission_policy: { type: 'always_allow' } } }],
      });
      const env = await c.defaultEnvironment({});
      const session = await c.createSession({ agent: agent.id, environment_id: env.id, vault_ids: await vaults.vaultIds(), resources: [{ type: 'local_repository', path: t!.repo }] });
      await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'echo from afar' }] }]);
      const events = await t!.waitIdle(session.id);
      const echoed = events.find((e): e is Extract<SessionEvent, { type: 'agent.mcp_tool_result' }> => e.type === 'agent.mcp_tool_result');
      assert.deepEqual(echoed?.content, [{ type: 'text', text: 'Echo: from afar' }], JSON.stringify(events.map((e) => e.type)));
      assert.ok(guard.passed > 0, 'the MCP server was reached with the secret');
      assert.deepEqual(guard.refused, []);
      const bash = events.filter((e) => e.type === 'agent.tool_result').at(-1);
      assert.ok(bash?.type === 'agent.tool_result' && !bash.is_error);
      assert.ok(!JSON.stringify(bash.content).includes(TOKEN), 'the sandbox never sees it');
      assert.ok(!JSON.stringify(await c.sessionEvents(session.id)).includes(TOKEN), 'nor does the log the API serves');
      await t!.runtime.settled(session.id);
      assertTokenAbsent(t!.storage, TOKEN);

      await vaults.updateCredential(vault.id, credential.id, { auth: { type: 'static_bearer', token: ROTATED } });
      assert.deepEqual(JSON.parse((await t!.vault.get(credentialSecretKey(vault.id, credential.id))) ?? 'null'), { type: 'static_bearer', token: ROTATED }, 'rotated in the runtime');
      assert.deepEqual(JSON.parse((await copies.get(copyKey)) ?? '{}'), { type: 'static_bearer', mcp_server_url: guard.url, token: ROTATED }, 'and in VS Code');

      await vaults.deleteCredential(vault.id, credential.id);
      assert.equal(await t!.vault.get(credentialSecretKey(vault.id, credential.id)), undefined, "removed from the runtime's vault");
      assert.deepEqual(await copies.keys(), [], 'and from VS Code');
      assert.deepEqual(await vaults.vaultIds(), []);
      await assert.rejects(vaults.retrieveCredential(vault.id, credential.id), (err: unknown) => err instanceof RuntimeRefusal && err.status === 404);
      assert.ok(!logged.some((l) => l.includes(TOKEN) || l.includes(ROTATED)), 'no output line carries a secret');
    } finally {
      restore();
    }
  });

  it('refuses a credential the runtime cannot use with its reason, and keeps no copy of it', async () => {
    const { copies, vaults } = await connect([reply.text('unused')]);
    const vault = await vaults.create({ display_name: 'bad input' });
    await assert.rejects(
      vaults.createCredential(vault.id, { auth: { type: 'static_bearer', mcp_server_url: 'javascript:alert(1)', token: TOKEN } }),
      (err: unknown) => err instanceof RuntimeRefusal && err.status === 400 && /mcp_server_url/.test(err.message) && !err.message.includes(TOKEN),
    );
    await assert.rejects(vaults.createCredential('vlt_missing', { auth: { type: 'static_bearer', mcp_server_url: guard.url, token: TOKEN } }), (err: unknown) => err instanceof RuntimeRefusal && err.status === 404);
    await assert.rejects(vaults.updateCredential(vault.id, 'vcrd_missing', { auth: { type: 'static_bearer', token: ROTATED } }), (err: unknown) => err instanceof RuntimeRefusal && err.status === 404);
    assert.deepEqual(await copies.keys(), [], 'nothing refused is kept in VS Code');
    assert.deepEqual(await t!.vault.keys(), [], 'nor in the runtime');
  });

  it("takes the runtime's copy back when VS Code's secret storage cannot keep the secret", async () => {
    const { copies } = await connect([reply.text('unused')]);
    const refusing = Object.assign(Object.create(copies) as MemoryVault, { set: () => Promise.reject(new Error('the keychain is locked')) });
    const vaults = new MirroredVaults(served!.client.vaults, refusing, served!.server.url);
    const vault = await vaults.create({ display_name: 'locked keychain' });
    await assert.rejects(vaults.createCredential(vault.id, { auth: { type: 'static_bearer', mcp_server_url: guard.url, token: TOKEN } }), /the keychain is locked/);
    assert.deepEqual(await vaults.credentials(vault.id), [], 'no credential is left in the runtime');
    assert.deepEqual(await t!.vault.keys(), [], 'nor its secret');
  });

  it('sends secrets only over TLS or to this machine', () => {
    assert.equal(credentialTransportProblem('https://build-box:8443'), null);
    assert.equal(credentialTransportProblem('http://127.0.0.1:7000'), null);
    assert.equal(credentialTransportProblem('http://localhost:7000'), null);
    assert.equal(credentialTransportProblem('http://[::1]:7000'), null);
    assert.match(credentialTransportProblem('http://10.0.0.7:8443') ?? '', /does not send credentials to http:\/\/10\.0\.0\.7:8443.*unencrypted.*--tls-cert.*https:\/\//);
    assert.match(credentialTransportProblem('http://127.0.0.1.evil.example:80') ?? '', /unencrypted/);
  });
});
