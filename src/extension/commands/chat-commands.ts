import path from 'node:path';
import * as vscode from 'vscode';
import type { Hangar } from '../hangar';
import { selectionContext } from '../panel/selection-text';
import { guarded, resolveSession } from './args';

// Where a session shows (side-bar chat or editor tab) and what goes into its composer: a new session's empty
// composer, and the editor's selection as context.

export function registerChatCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.openSessionInEditor', async (arg) => {
      const id = await resolveSession(h, arg, 'Open which session in an editor tab?');
      if (id) await h.panels.show(id, 'editor');
      return id;
    }),
    reg('hangar.openSessionInSideBar', async (arg) => {
      const id = await resolveSession(h, arg, 'Open which session in the side bar?');
      if (id) await h.panels.show(id, 'sideBar');
      return id;
    }),
    reg('hangar.newSession', async () => {
      await h.panels.chat.compose();
      return true;
    }),
    reg('hangar.addSelectionToChat', async () => {
      const text = selectionText(vscode.window.activeTextEditor);
      if (!text) {
        void vscode.window.showInformationMessage('Hangar: select some text in an editor first.');
        return false;
      }
      await h.panels.chat.insert(text);
      return true;
    }),
  ];
}

/** The editor's selection (the first non-empty one) as composer text, or undefined when nothing is selected. */
function selectionText(editor: vscode.TextEditor | undefined): string | undefined {
  const selection = editor?.selections.find((s) => !s.isEmpty);
  if (!editor || !selection) return undefined;
  const doc = editor.document;
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const rel = folder ? path.relative(folder.uri.fsPath, doc.uri.fsPath).split(path.sep).join('/') : vscode.workspace.asRelativePath(doc.uri, false);
  // A selection that ends at the start of a line does not take that line.
  const end = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line - 1 : selection.end.line;
  return selectionContext(rel, selection.start.line + 1, end + 1, doc.languageId, doc.getText(selection));
}
