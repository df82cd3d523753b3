import * as vscode from 'vscode';
import type { Actor, Memory, MemoryStore, MemoryVersion } from '../../wire';
import { memoryUri } from '../memory/memory-fs';
import type { RuntimeHost } from '../runtime-host';
import type { MemoryTreeNode } from './nodes';

// The Memory view: each memory store, its memories by folder, and under each memory its versions (newest first),
// which open as read-only documents. A memory opens as a document whose save makes a new version.

export class MemoryTree implements vscode.TreeDataProvider<MemoryTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MemoryTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly stores = new Map<string, MemoryStore>();
  private readonly memories = new Map<string, Memory>();
  private readonly versions = new Map<string, MemoryVersion>();
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly host: RuntimeHost,
    saved: vscode.Event<unknown>,
  ) {
    this.disposables = [host.onDidStart(() => this.refresh()), saved(() => this.refresh())];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: MemoryTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'memoryStore': {
        const s = this.stores.get(node.storeId);
        const item = new vscode.TreeItem(s?.name ?? node.storeId, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `memstore:${node.storeId}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'memoryStore';
        item.description = s?.description || undefined;
        item.tooltip = `${s?.name ?? node.storeId} (${node.storeId})${s?.description ? `\n${s.description}` : ''}`;
        return item;
      }
      case 'memoryFolder': {
        const name = node.prefix.slice(0, -1).split('/').at(-1) ?? node.prefix;
        const item = new vscode.TreeItem(`${name}/`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `memfolder:${node.storeId}:${node.prefix}`;
        item.iconPath = vscode.ThemeIcon.Folder;
        return item;
      }
      case 'memory': {
        const m = this.memories.get(node.memoryId);
        const item = new vscode.TreeItem(node.path.split('/').at(-1) ?? node.path, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `memory:${node.memoryId}`;
        item.iconPath = new vscode.ThemeIcon('note');
        item.contextValue = 'memory';
        item.resourceUri = memoryUri(node.storeId, node.path);
        item.description = m ? `${m.content_size_bytes} B · ${new Date(m.updated_at).toLocaleString()}` : undefined;
        item.tooltip = node.path;
        item.command = { command: 'vscode.open', title: 'Open Memory', arguments: [memoryUri(node.storeId, node.path)] };
        return item;
      }
      case 'memoryVersion': {
        const v = this.versions.get(node.versionId);
        const item = new vscode.TreeItem(v ? `${v.operation} ${new Date(v.created_at).toLocaleString()}` : node.versionId, vscode.TreeItemCollapsibleState.None);
        item.id = `memver:${node.versionId}`;
        item.iconPath = new vscode.ThemeIcon(v?.redacted_at ? 'eye-closed' : 'versions');
        item.contextValue = 'memoryVersion';
        item.description = v ? `${actorText(v.created_by)}${v.redacted_at ? ' · redacted' : ''}` : undefined;
        item.tooltip = `${node.versionId}${v?.path ? `\n${v.path}` : ''}`;
        item.command = { command: 'vscode.open', title: 'Open Version', arguments: [memoryUri(node.storeId, node.path, node.versionId)] };
        return item;
      }
    }
  }

  async getChildren(node?: MemoryTreeNode): Promise<MemoryTreeNode[]> {
    const memory = this.host.client.memory;
    if (!node) {
      this.stores.clear();
      return (await memory.stores()).map((s) => {
        this.stores.set(s.id, s);
        return { kind: 'memoryStore' as const, storeId: s.id };
      });
    }
    if (node.kind === 'memoryStore' || node.kind === 'memoryFolder') {
      const prefix = node.kind === 'memoryFolder' ? node.prefix : '/';
      return (await memory.children(node.storeId, prefix)).map((item): MemoryTreeNode => {
        if (item.type === 'memory_prefix') return { kind: 'memoryFolder', storeId: node.storeId, prefix: item.path };
        this.memories.set(item.id, item);
        return { kind: 'memory', storeId: node.storeId, memoryId: item.id, path: item.path };
      });
    }
    if (node.kind === 'memory') {
      return (await memory.versions(node.storeId, node.memoryId)).map((v) => {
        this.versions.set(v.id, v);
        return { kind: 'memoryVersion' as const, storeId: node.storeId, memoryId: node.memoryId, path: node.path, versionId: v.id };
      });
    }
    return [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

function actorText(a: Actor): string {
  switch (a.type) {
    case 'session_actor':
      return `session ${a.session_id}`;
    case 'api_actor':
      return 'API';
    case 'user_actor':
      return a.user_id;
    case 'service_account_actor':
      return a.service_account_id;
  }
}
