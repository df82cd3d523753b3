import * as vscode from 'vscode';
import type { Agent } from '../../wire';
import type { RuntimeHost } from '../runtime-host';
import { agentUri } from '../agents/agent-fs';
import type { AgentTreeNode } from './nodes';

// The Agents view: each agent definition (latest version) with its versions as children.

export class AgentsTree implements vscode.TreeDataProvider<AgentTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<AgentTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly agents = new Map<string, Agent>();
  private readonly disposable: vscode.Disposable;

  constructor(private readonly host: RuntimeHost) {
    this.disposable = host.onDidStart(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: AgentTreeNode): vscode.TreeItem {
    if (node.kind === 'agentVersion') {
      const item = new vscode.TreeItem(`v${node.version}`, vscode.TreeItemCollapsibleState.None);
      item.id = `agent:${node.agentId}@${node.version}`;
      item.iconPath = new vscode.ThemeIcon('versions');
      item.contextValue = 'agentVersion';
      item.command = { command: 'vscode.open', title: 'Open Version', arguments: [agentUri(node.agentId, node.version)] };
      return item;
    }
    const a = this.agents.get(node.agentId);
    // Versions are listed from the in-process runtime only (the API's version list is not wired through the seam).
    const item = new vscode.TreeItem(a?.name ?? node.agentId, this.host.detached ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `agent:${node.agentId}`;
    item.iconPath = new vscode.ThemeIcon('hubot');
    item.contextValue = 'agent';
    if (a) {
      item.description = `v${a.version} · ${a.model.id}`;
      item.tooltip = new vscode.MarkdownString().appendText(`${a.name} (v${a.version})\n${a.description ?? ''}\nmodel ${a.model.id}`);
    }
    return item;
  }

  async getChildren(node?: AgentTreeNode): Promise<AgentTreeNode[]> {
    if (!node) {
      const agents = await this.host.client.listAgents();
      this.agents.clear();
      for (const a of agents) this.agents.set(a.id, a);
      return agents.map((a) => ({ kind: 'agent', agentId: a.id }));
    }
    if (node.kind !== 'agent') return [];
    const versions = await this.host.client.agentVersions(node.agentId);
    return versions.map((v) => ({ kind: 'agentVersion' as const, agentId: v.id, version: v.version })).sort((x, y) => y.version - x.version);
  }

  /** The agents of the last listing (tests, pickers). */
  snapshot(): Agent[] {
    return [...this.agents.values()];
  }

  dispose(): void {
    this.disposable.dispose();
    this.changed.dispose();
  }
}
