import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { reply, startScriptedModel } from '../../../src/model/scripted';
import { runtimeClient } from '../../../src/remote/connect';
import { classifyAddress } from '../../../src/vault/proxy/address';
import type { SessionEvent } from '../../../src/wire';
import { makeTestPki } from '../../integration/vault/support/pki';
import { startBearerProxy, type BearerProxy } from '../../support/bearer-proxy';
import { startEverythingHttpAt, type HttpServerProcess } from '../../support/mcp-http-server';
import { connectWindow, serve, stop, type Served } from './detached-support';
import { filesContaining, hangar, waitFor, workspaceDir } from './support';

// Credentials over a detached runtime in a real VS Code (issue #15): Hangar: Add Credential on a window pointed at a
// `hangar serve` puts the secret into that runtime's vault (and VS Code's secret storage), a session started from the
// window reaches an MCP server that demands it through the runtime, and the sandbox, the runtime's log and this
// window's storage never hold it. Rotating it in VS Code changes what the runtime holds; removing it removes it there.
// The header and environment-variable kinds the same way, injected by the runtime's egress proxy into a Docker
// sandbox's HTTPS requests to an API on this machine.

const TOKEN = `vscode-detached-canary-${Date.now()}-3c9d`;
const ROTATED = `vscode-detached-rotated-${Date.now()}-7e21`;
const HEADER_SECRET = `vscode-detached-header-canary-${Date.now()}-41d2`;
const VARIABLE_SECRET = `vscode-detached-variable-canary-${Date.now()}-b8e0`;

export function detachedVaultSuite(): void {
  describe('detached runtime: credentials', function () {
    this.timeout(180_000);

    it('a credential added in VS Code reaches the MCP server through the detached runtime, never the sandbox; rotate and remove reach the runtime', async () => {
      const h = await hangar();
      const home = mkdtempSync(path.join(os.tmpdir(), 'hangar-detached-vaults-'));
      const model = await startScriptedModel({
        script: (req) => (req.seq === 0 ? reply.tool('everything__echo', { message: 'through the runtime' }) : req.seq === 1 ? reply.tool('bash', { command: 'env; ls -la ~ /tmp' }) : reply.text('Echoed.')),
      });
      let mcp: HttpServerProcess | undefined;
      let guard: BearerProxy | undefined;
      let served: Served | undefined;
      try {
        mcp = await startEverythingHttpAt(path.join(h.context.extensionPath, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'));
        guard = await startBearerProxy(mcp.url, TOKEN);
        served = await serve(h, home, model.url);
        const runtimeToken = await connectWindow(h, served, home);
        const direct = runtimeClient({ url: served.url, token: runtimeToken });

        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', {
          name: 'detached-mcp',
          model: 'claude-sonnet-5-5',
          mcp_servers: [{ type: 'url', name: 'everything', url: guard.url }],
          tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'everything', default_config: { permission_policy: { type: 'always_allow' } } }],
        });
        assert.ok(agentId);
        assert.equal(await vscode.commands.executeCommand('hangar.addCredential', { vaultName: 'Workspace credentials', url: 'not a url', token: TOKEN }), undefined, 'a credential the runtime refuses is not saved');
        const credentialId = await vscode.commands.executeCommand<string>('hangar.addCredential', { vaultName: 'Workspace credentials', url: guard.url, token: TOKEN });
        assert.match(credentialId ?? '', /^vcrd_/);
        const vaults = (await direct.beta.vaults.list()).data.filter((v) => v.display_name === 'Workspace credentials');
        const holding = [];
        for (const v of vaults) if ((await direct.beta.vaults.credentials.list(v.id)).data.some((c) => c.id === credentialId)) holding.push(v.id);
        assert.equal(holding.length, 1, 'the credential is in one of the runtime\'s vaults');
        const vaultId = holding[0]!;
        const inRuntime = filesContaining(home, TOKEN);
        assert.ok(inRuntime.length > 0 && inRuntime.every((f) => path.basename(f) === 'vault.json'), `the runtime holds the secret in its vault file only: ${inRuntime.join(', ')}`);
        const copies = await vaultCopies(h.context.secrets, h.host.vault, credentialId!);
        assert.deepEqual(copies.map((c) => c.token), [TOKEN], "VS Code's secret storage keeps its copy");

        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Echo through the runtime' });
        assert.ok(id, 'hangar.startAgent returned no session id');
        assert.deepEqual((await direct.beta.sessions.retrieve(id)).vault_ids, [vaultId], 'the session got the vault holding this VS Code\'s credential');
        const events = await waitFor('the session to finish in the runtime', async () => {
          const s = await direct.beta.sessions.retrieve(id);
          if (s.status !== 'idle') return undefined;
          const all = (await direct.beta.sessions.events.list(id, { limit: 1000 })).data as unknown as SessionEvent[];
          return all.some((e) => e.type === 'agent.message') ? all : undefined;
        }, 90_000);
        const echoed = events.find((e): e is Extract<SessionEvent, { type: 'agent.mcp_tool_result' }> => e.type === 'agent.mcp_tool_result');
        assert.deepEqual(echoed?.content, [{ type: 'text', text: 'Echo: through the runtime' }], `events: ${events.map((e) => e.type).join(', ')}`);
        assert.ok(guard.passed > 0, 'the MCP server was reached with the secret');
        const bash = events.filter((e) => e.type === 'agent.tool_result').at(-1);
        assert.ok(bash?.type === 'agent.tool_result' && !bash.is_error, 'the sandbox command ran');
        assert.ok(!JSON.stringify(events).includes(TOKEN), 'neither the sandbox\'s output nor any event holds the secret');
        assert.ok(filesContaining(home, TOKEN).every((f) => path.basename(f) === 'vault.json'), "nothing but the runtime's vault holds it after the session");
        assert.deepEqual([h.host.storageRoot, workspaceDir()].flatMap((r) => filesContaining(r, TOKEN)), [], 'nor does any file of this window');

        // Rotated in VS Code: the runtime holds the new secret only.
        assert.equal(await vscode.commands.executeCommand('hangar.addCredential', { vaultId, url: guard.url, token: ROTATED }), credentialId);
        assert.deepEqual(filesContaining(home, TOKEN), [], 'the old secret is gone from the runtime');
        assert.ok(filesContaining(home, ROTATED).length > 0, 'the runtime holds the rotated one');
        assert.deepEqual((await vaultCopies(h.context.secrets, h.host.vault, credentialId!)).map((c) => c.token), [ROTATED]);

        // Removed in VS Code: gone from the runtime and from secret storage.
        assert.equal(await vscode.commands.executeCommand('hangar.removeCredential', { vaultId, credentialId, confirmed: true }), credentialId);
        assert.deepEqual(filesContaining(home, ROTATED), [], 'removed from the runtime\'s vault');
        assert.deepEqual(await vaultCopies(h.context.secrets, h.host.vault, credentialId!), []);
        assert.deepEqual((await direct.beta.vaults.credentials.list(vaultId)).data, []);
      } finally {
        await vscode.workspace.getConfiguration('hangar').update('runtime.url', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the in-process runtime again', () => !h.host.detached, 30_000).catch(() => undefined);
        await stop(served);
        await guard?.close();
        await mcp?.stop();
        await model.close();
        rmSync(home, { recursive: true, force: true });
      }
    });

    it('header and environment-variable credentials added in VS Code are injected by the runtime\'s egress proxy; the Docker sandbox holds neither secret', async () => {
      const h = await hangar();
      const home = mkdtempSync(path.join(os.tmpdir(), 'hangar-detached-kinds-'));
      const lan = publicAddress();
      const api = await startApi(lan);
      // The runtime trusts the API's test CA as a system root; its sandbox gets Docker and the proxy.
      const caFile = path.join(home, 'upstream-ca.pem');
      writeFileSync(caFile, api.caPem);
      const base = `https://${lan}:${api.port}`;
      const command = `printenv API_TOKEN; env | grep -c canary-; curl -sS ${base}/header; curl -sS -H "Authorization: Bearer $API_TOKEN" ${base}/variable`;
      const model = await startScriptedModel({ script: (req) => (req.seq === 0 ? reply.tool('bash', { command, timeout_ms: 120_000 }) : reply.text('Called.')) });
      let served: Served | undefined;
      // The runtime keeps a session's container across restarts on purpose: the test deletes its session, so the
      // container goes with it (it outlived the run otherwise: its storage is outside the run's scratch folder).
      let started: { direct: ReturnType<typeof runtimeClient>; id: string } | undefined;
      try {
        served = await serve(h, home, model.url, { wrap: (argv) => ({ command: 'env', args: ['HANGAR_SANDBOX=docker', `NODE_EXTRA_CA_CERTS=${caFile}`, ...argv] }) });
        const direct = runtimeClient({ url: served.url, token: await connectWindow(h, served, home) });
        const env = await h.host.environment();
        await direct.beta.environments.update(env.id, { config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: [lan] } } });

        const headerId = await vscode.commands.executeCommand<string>('hangar.addCredential', { vaultName: 'API credentials', kind: 'http_header', hosts: [lan], scheme: 'header', headerName: 'X-Api-Key', secret: HEADER_SECRET });
        assert.match(headerId ?? '', /^vcrd_/);
        const vaultId = (await direct.beta.vaults.list()).data.find((v) => v.display_name === 'API credentials')!.id;
        const variableId = await vscode.commands.executeCommand<string>('hangar.addCredential', { vaultId, kind: 'environment_variable', name: 'API_TOKEN', hosts: [lan], secret: VARIABLE_SECRET });
        assert.match(variableId ?? '', /^vcrd_/);
        for (const secret of [HEADER_SECRET, VARIABLE_SECRET]) {
          const held = filesContaining(home, secret);
          assert.ok(held.length > 0 && held.every((f) => path.basename(f) === 'vault.json'), `the runtime holds the secret in its vault file only: ${held.join(', ')}`);
        }

        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'detached-api', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Call the API' });
        assert.ok(id, 'hangar.startAgent returned no session id');
        started = { direct, id };
        assert.ok((await direct.beta.sessions.retrieve(id)).vault_ids.includes(vaultId), "the session got the vault holding this VS Code's credentials");
        const events = await waitFor('the session to finish in the runtime', async () => {
          if ((await direct.beta.sessions.retrieve(id)).status !== 'idle') return undefined;
          const all = (await direct.beta.sessions.events.list(id, { limit: 1000 })).data as unknown as SessionEvent[];
          return all.some((e) => e.type === 'agent.message') ? all : undefined;
        }, 150_000);
        const result = events.find((e) => e.type === 'agent.tool_result');
        const out = (result?.type === 'agent.tool_result' ? (result.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('') : '').split('\n');
        assert.equal(out[0], `hangar-placeholder-${variableId}`, `the sandbox's variable holds the placeholder: ${out.join(' / ')}`);
        assert.equal(out[1], '0', 'no variable of the sandbox holds a secret');
        assert.deepEqual(out.slice(2, 4), ['header: authorised', 'variable: authorised'], out.join(' / '));
        assert.equal(api.seen.find((r) => r.path === '/header')?.headers['x-api-key'], HEADER_SECRET, 'the proxy set the header');
        assert.equal(api.seen.find((r) => r.path === '/variable')?.headers.authorization, `Bearer ${VARIABLE_SECRET}`, 'the proxy swapped the placeholder for the secret');
        for (const secret of [HEADER_SECRET, VARIABLE_SECRET]) {
          assert.ok(!JSON.stringify(events).includes(secret), 'no event holds a secret');
          assert.ok(filesContaining(home, secret).every((f) => path.basename(f) === 'vault.json'), "nothing but the runtime's vault holds it after the session");
          assert.deepEqual([h.host.storageRoot, workspaceDir()].flatMap((r) => filesContaining(r, secret)), [], 'nor does any file of this window');
        }

        // Rotated and removed in VS Code: the runtime's vault follows.
        assert.equal(await vscode.commands.executeCommand('hangar.rotateCredential', { vaultId, credentialId: headerId, secret: ROTATED }), headerId);
        assert.deepEqual(filesContaining(home, HEADER_SECRET), [], 'the old secret is gone from the runtime');
        assert.ok(filesContaining(home, ROTATED).length > 0, 'the runtime holds the rotated one');
        for (const credentialId of [headerId!, variableId!]) assert.equal(await vscode.commands.executeCommand('hangar.removeCredential', { vaultId, credentialId, confirmed: true }), credentialId);
        assert.deepEqual([ROTATED, VARIABLE_SECRET].flatMap((s) => filesContaining(home, s)), [], "removed from the runtime's vault");
        assert.deepEqual((await direct.beta.vaults.credentials.list(vaultId)).data, []);
        assert.deepEqual([...(await vaultCopies(h.context.secrets, h.host.vault, headerId!)), ...(await vaultCopies(h.context.secrets, h.host.vault, variableId!))], [], "and from VS Code's secret storage");
      } finally {
        await started?.direct.beta.sessions.delete(started.id).catch(() => undefined);
        await vscode.workspace.getConfiguration('hangar').update('runtime.url', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the in-process runtime again', () => !h.host.detached, 30_000).catch(() => undefined);
        await stop(served);
        await api.close();
        await model.close();
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
}

/** The copies of a credential's secret VS Code keeps for detached runtimes (any runtime address). */
async function vaultCopies(secrets: vscode.SecretStorage, vault: { keys(): Promise<string[]> }, credentialId: string): Promise<{ token?: string }[]> {
  const keys = (await vault.keys()).filter((k) => k.startsWith('runtime-credential/') && k.endsWith(`/${credentialId}`));
  const out: { token?: string }[] = [];
  for (const k of keys) out.push(JSON.parse((await secrets.get(`hangar.vault/${k}`)) ?? '{}') as { token?: string });
  return out;
}

/**
 * An address of this machine the egress proxy counts as public: it refuses private, loopback and link-local ones,
 * and a test cannot loosen that in a VS Code window (only the runtime's embedders can).
 */
function publicAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && classifyAddress(a.address) === null) return a.address;
  throw new Error("this machine has no IPv4 address the egress proxy would let a sandbox reach (all are private, loopback or link-local), so the proxy's injection cannot be tested here");
}

/** An HTTPS API on `address` (a test CA's certificate) that says whether each path got its credential; it never echoes one. */
async function startApi(address: string): Promise<{ port: number; caPem: string; seen: { path: string; headers: Record<string, string | string[] | undefined> }[]; close(): Promise<void> }> {
  const pki = makeTestPki([address]);
  const seen: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const server = https.createServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const ok = req.url === '/header' ? req.headers['x-api-key'] === HEADER_SECRET : req.url === '/variable' && req.headers.authorization === `Bearer ${VARIABLE_SECRET}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'text/plain' });
    res.end(`${(req.url ?? '').slice(1)}: ${ok ? 'authorised' : 'refused'}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caPem: pki.caPem,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
