import assert from 'node:assert/strict';
import path from 'node:path';
import * as vscode from 'vscode';
import { agentUri } from '../../../src/extension/agents/agent-fs';
import type { SessionTreeNode } from '../../../src/extension/tree/nodes';
import { reply } from '../../../src/model/scripted';
import { credentialSecretKey } from '../../../src/runtime/vaults';
import { ensureKey, filesContaining, hangar, scriptedModel, waitFor, waitForIdle, workspaceDir } from './support';

// MCP in the extension: servers are part of the agent's JSON (validated on save), their credentials go through the
// vault commands into SecretStorage only, sessions started here attach the workspace's vaults, and the sessions
// tree shows each server's connection state.

const write = async (uri: vscode.Uri, json: unknown) => vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(json, null, 2)));
const iconId = (item: vscode.TreeItem) => (item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined);

export function mcpSuite(): void {
  describe('MCP servers and credentials in the extension', () => {
    const token = `mcp-token-${Date.now()}-secret`;
    let agentId: string;
    let vaultId: string;
    let credentialId: string;

    const fixtureServer = async () => {
      const h = await hangar();
      // A stdio server that only starts with a token: its env asks for one from the session's vaults.
      return { type: 'stdio', name: 'fixture', command: process.execPath, args: [path.join(h.context.extensionPath, 'test/fixtures/mcp/fixture-server.mjs')], env: { FIXTURE_TOKEN: '${HANGAR_MCP_TOKEN}' } };
    };

    it('the agent JSON refuses bad mcp_servers / mcp_toolset with a message that says what to fix', async () => {
      const h = await hangar();
      agentId = (await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'mcp-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] }))!;
      const base = { version: 1, name: 'mcp-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] };
      const cases: [unknown, RegExp][] = [
        [{ ...base, tools: [...base.tools, { type: 'mcp_toolset', mcp_server_name: 'docs' }] }, /Cannot save the agent: mcp_toolset names server "docs", which is not in mcp_servers/],
        [{ ...base, mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com/mcp' }] }, /MCP server "docs" is not used by any mcp_toolset; add \{"type":"mcp_toolset","mcp_server_name":"docs"\}/],
        [{ ...base, mcp_servers: [{ type: 'url', name: 'docs', url: 'not a url' }], tools: [...base.tools, { type: 'mcp_toolset', mcp_server_name: 'docs' }] }, /The agent definition is invalid:[\s\S]*mcp_servers\[0\]\.url/],
        [{ ...base, mcp_servers: [{ type: 'stdio', name: 'x' }], tools: [...base.tools, { type: 'mcp_toolset', mcp_server_name: 'x' }] }, /The agent definition is invalid:[\s\S]*mcp_servers\[0\]\.command/],
        [{ ...base, tools: [...base.tools, { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { permission_policy: { type: 'sometimes' } } }] }, /The agent definition is invalid:[\s\S]*tools\[1\]/],
      ];
      for (const [doc, message] of cases) await assert.rejects(write(agentUri(agentId), doc), message);
      assert.equal((await h.host.runtime.agents.retrieve(agentId)).version, 1, 'no refused save made a version');

      await write(agentUri(agentId), { ...base, mcp_servers: [await fixtureServer()], tools: [...base.tools, { type: 'mcp_toolset', mcp_server_name: 'fixture', default_config: { permission_policy: { type: 'always_allow' } } }] });
      const saved = await h.host.runtime.agents.retrieve(agentId);
      assert.equal(saved.version, 2);
      assert.deepEqual(saved.mcp_servers.map((s) => s.name), ['fixture']);
      assert.ok(saved.tools.some((t) => t.type === 'mcp_toolset' && t.mcp_server_name === 'fixture' && t.default_config.permission_policy.type === 'always_allow'));
    });

    it('Add Credential keeps the token in SecretStorage only: not in the record, the settings or any file', async () => {
      const h = await hangar();
      credentialId = (await vscode.commands.executeCommand<string>('hangar.addCredential', { vaultName: 'Workspace credentials', url: 'stdio:fixture', token }))!;
      assert.match(credentialId, /^vcrd_/);
      const vaults = (await h.host.runtime.vaults.list({})).data;
      assert.equal(vaults.length, 1);
      vaultId = vaults[0]!.id;
      const secret = await h.context.secrets.get(`hangar.vault/${credentialSecretKey(vaultId, credentialId)}`);
      assert.deepEqual(JSON.parse(secret ?? 'null'), { type: 'static_bearer', token });
      const record = await h.host.runtime.vaults.retrieveCredential(vaultId, credentialId);
      assert.deepEqual(record.auth, { type: 'static_bearer', mcp_server_url: 'stdio:fixture' });
      assert.deepEqual([h.host.storageRoot, h.context.globalStorageUri.fsPath, workspaceDir()].flatMap((r) => filesContaining(r, token)), []);
      const inspected = vscode.workspace.getConfiguration().inspect('hangar');
      assert.ok(!JSON.stringify(inspected ?? {}).includes(token), 'the token is in a setting');

      // A second Add for the same server replaces the secret instead of adding a rival credential.
      const again = await vscode.commands.executeCommand<string>('hangar.addCredential', { vaultId, url: 'stdio:fixture', token: `${token}-2` });
      assert.equal(again, credentialId);
      assert.equal(JSON.parse((await h.context.secrets.get(`hangar.vault/${credentialSecretKey(vaultId, credentialId)}`)) ?? '{}').token, `${token}-2`);
      await vscode.commands.executeCommand('hangar.addCredential', { vaultId, url: 'stdio:fixture', token });
      assert.equal(await vscode.commands.executeCommand('hangar.addCredential', { vaultId, url: 'stdio:fixture', token: '' }), undefined, 'an empty token is refused');
    });

    it('a session started here attaches the workspace vault, and the tree shows its MCP server connected', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.tool('fixture__fail', {}), reply.text('Used the fixture server.')]);
      try {
        const id = (await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Use the MCP server' }))!;
        const all = await waitForIdle(h, id);
        assert.deepEqual((await h.host.runtime.sessions.record(id)).vault_ids, [vaultId]);
        assert.deepEqual(all.filter((e) => e.type === 'session.error'), [], 'the server started with the vault\'s token');
        assert.ok(all.some((e) => e.type === 'agent.mcp_tool_result'), 'the MCP tool ran');
        const sessionNode = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id)!;
        const mcpNode = await waitFor('the MCP node', async () => (await h.sessionsTree.getChildren(sessionNode)).find((n): n is Extract<SessionTreeNode, { kind: 'mcp' }> => n.kind === 'mcp'));
        const item = h.sessionsTree.getTreeItem(mcpNode);
        assert.equal(item.label, 'fixture');
        assert.equal(iconId(item), 'plug');
        assert.equal(item.contextValue, 'mcp.connected');
        assert.match(String(item.description), /^MCP stdio · connected · \d+ tools$/);
      } finally {
        await model.close();
      }
    });

    it('after a restart the tree still lists the agent\'s servers, as not connected here', async () => {
      const h = await hangar();
      const id = (await h.sessions.list()).find((v) => v.agentName === 'mcp-agent')!.id;
      await h.host.restart();
      const sessionNode = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id)!;
      const mcpNode = (await h.sessionsTree.getChildren(sessionNode)).find((n) => n.kind === 'mcp')!;
      const item = h.sessionsTree.getTreeItem(mcpNode);
      assert.equal(item.contextValue, 'mcp.inactive');
      assert.match(String(item.description), /connects when the session runs here/);
    });

    it('Remove Credential deletes the record and the secret', async () => {
      const h = await hangar();
      assert.equal(await vscode.commands.executeCommand('hangar.removeCredential', { vaultId, credentialId, confirmed: true }), credentialId);
      assert.equal(await h.context.secrets.get(`hangar.vault/${credentialSecretKey(vaultId, credentialId)}`), undefined);
      await assert.rejects(h.host.runtime.vaults.retrieveCredential(vaultId, credentialId), /does not exist/);
      assert.equal(await vscode.commands.executeCommand('hangar.removeCredential', { vaultId, credentialId, confirmed: true }), undefined, 'removing it twice is an error, not a crash');
    });
  });
}
