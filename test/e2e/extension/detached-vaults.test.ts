import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { reply, startScriptedModel } from '../../../src/model/scripted';
import { runtimeClient } from '../../../src/remote/connect';
import type { SessionEvent } from '../../../src/wire';
import { startBearerProxy, type BearerProxy } from '../../support/bearer-proxy';
import { startEverythingHttpAt, type HttpServerProcess } from '../../support/mcp-http-server';
import { connectWindow, serve, stop, type Served } from './detached-support';
import { filesContaining, hangar, waitFor, workspaceDir } from './support';

// Credentials over a detached runtime in a real VS Code (issue #15): Hangar: Add Credential on a window pointed at a
// `hangar serve` puts the secret into that runtime's vault (and VS Code's secret storage), a session started from the
// window reaches an MCP server that demands it through the runtime, and the sandbox, the runtime's log and this
// window's storage never hold it. Rotating it in VS Code changes what the runtime holds; removing it removes it there.

const TOKEN = `vscode-detached-canary-${Date.now()}-3c9d`;
const ROTATED = `vscode-detached-rotated-${Date.now()}-7e21`;

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
  });
}

/** The copies of a credential's secret VS Code keeps for detached runtimes (any runtime address). */
async function vaultCopies(secrets: vscode.SecretStorage, vault: { keys(): Promise<string[]> }, credentialId: string): Promise<{ token?: string }[]> {
  const keys = (await vault.keys()).filter((k) => k.startsWith('runtime-credential/') && k.endsWith(`/${credentialId}`));
  const out: { token?: string }[] = [];
  for (const k of keys) out.push(JSON.parse((await secrets.get(`hangar.vault/${k}`)) ?? '{}') as { token?: string });
  return out;
}
