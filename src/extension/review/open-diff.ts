import * as vscode from 'vscode';
import type { Hangar } from '../hangar';
import { sandboxUri } from './sandbox-content';

// Opens a changed file as `vscode.diff(workspace file, sandbox copy)`. A file the workspace does not have (the
// agent added it) is compared against an empty document.

export async function openChange(h: Hangar, sessionId: string, path: string, hunkId?: string): Promise<void> {
  const file = await h.reviews.file(sessionId, path);
  const workspace = await h.reviews.workspaceUri(sessionId, file.basePath);
  const exists = await vscode.workspace.fs.stat(workspace).then(() => true, () => false);
  const left = exists ? workspace : sandboxUri(sessionId, file.basePath, 'empty');
  const right = sandboxUri(sessionId, file.path, 'current');
  const view = await h.sessions.view(sessionId).catch(() => undefined);
  const hunk = file.hunks.find((x) => x.id === hunkId);
  const selection = hunk ? new vscode.Range(hunk.newStart, 0, hunk.newStart, 0) : undefined;
  await vscode.commands.executeCommand('vscode.diff', left, right, `${path} (workspace ↔ ${view?.title ?? 'sandbox'})`, { preview: true, ...(selection ? { selection } : {}) });
}

let offered = false;

/** VS Code hides CodeLenses in diff editors by default; the Accept/Reject lenses need them, so offer once. */
export async function offerDiffCodeLens(): Promise<void> {
  const config = vscode.workspace.getConfiguration('diffEditor');
  if (offered || config.get<boolean>('codeLens')) return;
  offered = true;
  const answer = await vscode.window.showInformationMessage(
    'Hangar shows "Accept | Reject" above each hunk as CodeLens, which VS Code hides in diff editors. Show CodeLens in diff editors?',
    'Show',
    'Not Now',
  );
  if (answer === 'Show') await config.update('codeLens', true, vscode.ConfigurationTarget.Global);
}
