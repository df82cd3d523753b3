import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { Hangar } from '../hangar';
import { sandboxUri } from './sandbox-content';

// Opens a changed file for review as `vscode.diff(workspace file, sandbox copy)`, titled "<name> (Hangar review)", with
// the cursor on the given hunk, else the first one still pending (what the review commands act on).
// A file the agent added, which the workspace does not have, opens alone (tinted as inserted by the review
// decorations): VS Code diffs an empty document as one empty line, so a diff would show a deleted line 1. A file the
// agent deleted opens alone too, its old content tinted as removed (a diff would show one inserted empty line).

export async function openChange(h: Hangar, sessionId: string, path: string, hunkId?: string): Promise<void> {
  const file = await h.reviews.file(sessionId, path);
  const workspace = await h.reviews.workspaceUri(sessionId, file.basePath);
  const exists = await vscode.workspace.fs.stat(workspace).then(() => true, () => false);
  const right = sandboxUri(sessionId, file.path, 'current');
  const hunk = file.hunks.find((x) => x.id === hunkId) ?? file.hunks.find((x) => x.status === 'pending');
  const selection = hunk ? new vscode.Range(hunk.newStart, 0, hunk.newStart, 0) : undefined;
  const options = { preview: true, ...(selection ? { selection } : {}) };
  if (!exists && file.change.status === 'added') {
    await vscode.window.showTextDocument(right, options);
    return;
  }
  if (file.change.status === 'deleted') {
    await vscode.window.showTextDocument(sandboxUri(sessionId, file.path, 'removed'), options);
    return;
  }
  const left = exists ? workspace : sandboxUri(sessionId, file.basePath, 'empty');
  await vscode.commands.executeCommand('vscode.diff', left, right, reviewTitle(file.path), options);
}

export function reviewTitle(path: string): string {
  return `${posix.basename(path)} (Hangar review)`;
}
