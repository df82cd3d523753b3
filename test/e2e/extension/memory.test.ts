import assert from 'node:assert/strict';
import os from 'node:os';
import * as vscode from 'vscode';
import { memoryUri } from '../../../src/extension/memory/memory-fs';
import type { MemoryTreeNode } from '../../../src/extension/tree/nodes';
import { LOCAL_API_ACTOR } from '../../../src/runtime/memory-stores';
import { hangar, saveExpectingSuccess } from './support';

// The Memory view in a real VS Code: stores, their memories by folder and each memory's versions; a memory opened as
// a document and saved becomes a new version by the user; a save over a change made meanwhile is refused; a version
// opens read only.

async function replaceText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit));
}

export function memorySuite(): void {
  describe('memory: stores in the tree, memories as documents, their history', () => {
    it('lists stores, folders, memories and versions; saving a memory makes a version by the user', async () => {
      const h = await hangar();
      const ms = h.host.runtime.memoryStores;
      const store = await ms.create({ name: 'Team Notes', description: 'what we learned' });
      await ms.createMemory(store.id, { path: '/conventions.md', content: 'use tabs\n' }, LOCAL_API_ACTOR);
      await ms.createMemory(store.id, { path: '/projects/hangar.md', content: 'build with npm\n' }, LOCAL_API_ACTOR);

      const tree = h.memoryTree;
      const storeNode = (await tree.getChildren()).find((n) => n.kind === 'memoryStore' && n.storeId === store.id);
      assert.ok(storeNode, 'the store is in the Memory view');
      assert.equal(tree.getTreeItem(storeNode).label, 'Team Notes');
      assert.equal(tree.getTreeItem(storeNode).description, 'what we learned');
      const top = await tree.getChildren(storeNode);
      assert.deepEqual(top.map((n) => tree.getTreeItem(n).label), ['conventions.md', 'projects/']);
      const folder = top[1]!;
      assert.deepEqual((await tree.getChildren(folder)).map((n) => tree.getTreeItem(n).label), ['hangar.md']);
      const memoryNode = top[0] as Extract<MemoryTreeNode, { kind: 'memory' }>;
      const open = tree.getTreeItem(memoryNode).command!;
      assert.equal(open.command, 'vscode.open');

      await vscode.commands.executeCommand(open.command, ...(open.arguments ?? []));
      const doc = vscode.window.activeTextEditor!.document;
      assert.equal(doc.uri.toString(), memoryUri(store.id, '/conventions.md').toString());
      assert.equal(doc.getText(), 'use tabs\n');
      await replaceText(doc, 'use spaces\n');
      await saveExpectingSuccess(doc);
      const saved = await ms.memoryAt(store.id, '/conventions.md');
      assert.equal(saved?.content, 'use spaces\n');

      const versions = await tree.getChildren(memoryNode);
      assert.equal(versions.length, 2);
      const [newest, first] = versions.map((n) => tree.getTreeItem(n));
      assert.match(String(newest!.label), /^modified /);
      assert.equal(newest!.description, os.userInfo().username);
      assert.match(String(first!.label), /^created /);
      assert.equal(first!.description, 'API');
      const oldDoc = await vscode.workspace.openTextDocument(first!.command!.arguments![0] as vscode.Uri);
      assert.equal(oldDoc.getText(), 'use tabs\n');
      assert.equal((await vscode.workspace.fs.stat(oldDoc.uri)).permissions, vscode.FilePermission.Readonly);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('refuses to save over a change made since the document was read, and keeps that change', async () => {
      const h = await hangar();
      const ms = h.host.runtime.memoryStores;
      const store = await ms.create({ name: 'race' });
      const m = await ms.createMemory(store.id, { path: '/plan.md', content: 'v0' }, LOCAL_API_ACTOR);
      const doc = await vscode.workspace.openTextDocument(memoryUri(store.id, '/plan.md'));
      await ms.updateMemory(store.id, m.id, { content: 'from a session' }, { type: 'session_actor', session_id: 'sesn_x' });
      await replaceText(doc, 'from the editor');
      assert.equal(await doc.save(), false);
      assert.equal((await ms.memoryAt(store.id, '/plan.md'))?.content, 'from a session');
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
}
