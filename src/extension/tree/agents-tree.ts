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
    const item = new vscode.TreeItem(a?.name ?? node.agentId, vscode.TreeItemCollapsibleState.Collapsed);
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
    const agents = this.host.runtime.agents;
    if (!node) {
      const out: AgentTreeNode[] = [];
      this.agents.clear();
      for (let page: string | undefined; ; ) {
        const res = await agents.list({ limit: 100, page });
        for (const a of res.data) {
          this.agents.set(a.id, a);
          out.push({ kind: 'agent', agentId: a.id });
        }
        if (!res.next_page) break;
        page = res.next_page;
      }
      return out;
    }
    if (node.kind !== 'agent') return [];
    const versions = await agents.versions(node.agentId, { limit: 1000 });
    return versions.data.map((v) => ({ kind: 'agentVersion' as const, agentId: v.id, version: v.version })).sort((x, y) => y.version - x.version);
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
