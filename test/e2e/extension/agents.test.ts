import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { agentUri } from '../../../src/extension/agents/agent-fs';
import type { AgentTreeNode } from '../../../src/extension/tree/nodes';
import { hangar, saveExpectingSuccess } from './support';

async function editDocument(doc: vscode.TextDocument, change: (json: Record<string, unknown>) => string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), change(JSON.parse(doc.getText()) as Record<string, unknown>));
  assert.ok(await vscode.workspace.applyEdit(edit));
}

export function agentSuite(): void {
  describe('agents: New Agent, the tree, Edit Agent as JSON', () => {
    let agentId: string;

    it('New Agent creates an agent that the Agents view lists with its versions', async () => {
      const h = await hangar();
      agentId = (await vscode.commands.executeCommand<string>('hangar.newAgent', {
        name: 'reviewer',
        model: 'claude-sonnet-5-5',
        system: 'Review code.',
        tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }],
      }))!;
      assert.match(agentId, /^agent_/);
      const roots = await h.agentsTree.getChildren();
      const node = roots.find((n): n is Extract<AgentTreeNode, { kind: 'agent' }> => n.kind === 'agent' && n.agentId === agentId);
      assert.ok(node, 'the new agent is in the tree');
      const item = h.agentsTree.getTreeItem(node);
      assert.equal(item.label, 'reviewer');
      assert.equal(item.description, 'v1 · claude-sonnet-5-5');
      assert.equal(item.contextValue, 'agent');
      assert.deepEqual((await h.agentsTree.getChildren(node)).map((v) => (v.kind === 'agentVersion' ? v.version : 0)), [1]);
    });

    it('Edit Agent opens its JSON; saving it makes version 2 with the per-tool policy', async () => {
      const h = await hangar();
      assert.equal(await vscode.commands.executeCommand('hangar.editAgent', { agentId }), agentId);
      const doc = vscode.window.activeTextEditor!.document;
      assert.equal(doc.uri.toString(), agentUri(agentId).toString());
      await editDocument(doc, (json) => JSON.stringify({ ...json, system: 'Review code carefully.', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'write', enabled: false }] }] }, null, 2));
      await saveExpectingSuccess(doc);
      const agent = await h.host.runtime.agents.retrieve(agentId);
      assert.equal(agent.version, 2);
      assert.equal(agent.system, 'Review code carefully.');
      const toolset = agent.tools[0];
      assert.ok(toolset?.type === 'agent_toolset_20260401');
      assert.equal(toolset.configs.find((c) => c.name === 'write')?.enabled, false);
      const old = await vscode.workspace.fs.stat(agentUri(agentId, 1));
      assert.equal(old.permissions, vscode.FilePermission.Readonly);
    });

    it('refuses to save an invalid definition and keeps the agent as it was', async () => {
      const h = await hangar();
      const doc = await vscode.workspace.openTextDocument(agentUri(agentId));
      await editDocument(doc, (json) => JSON.stringify({ ...json, model: 42, unknownField: true }));
      assert.equal(await doc.save(), false);
      assert.equal((await h.host.runtime.agents.retrieve(agentId)).version, 2);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      assert.equal(doc.isDirty, false);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it("shows the agent's roster in its JSON (null for a single agent); saving one makes it a coordinator", async () => {
      const h = await hangar();
      const helper = await h.host.runtime.agents.create({ name: 'helper', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
      const doc = await vscode.workspace.openTextDocument(agentUri(agentId));
      assert.equal((JSON.parse(doc.getText()) as { multiagent: unknown }).multiagent, null);
      await editDocument(doc, (json) => JSON.stringify({ ...json, multiagent: { type: 'coordinator', agents: [helper.id] } }, null, 2));
      await saveExpectingSuccess(doc);
      const agent = await h.host.runtime.agents.retrieve(agentId);
      assert.deepEqual(agent.multiagent, { type: 'coordinator', agents: [{ type: 'agent', id: helper.id, version: 1 }] });
      const reread = new TextDecoder().decode(await vscode.workspace.fs.readFile(agentUri(agentId)));
      assert.deepEqual((JSON.parse(reread) as { multiagent: unknown }).multiagent, agent.multiagent);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
}
