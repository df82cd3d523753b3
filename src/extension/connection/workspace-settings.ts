import * as vscode from 'vscode';
import * as z from 'zod';
import type { WorkspaceMode } from './workspace-source';

// `hangar.runtime.workspace` and `hangar.runtime.maxWorkspaceUploadMB`: how a new session gets this window's
// workspace (workspace-source.ts). A mistyped value falls back to the default, as the other settings do (config.ts).

const WorkspaceSettings = z.object({
  mode: z.enum(['auto', 'shared', 'upload']).catch('auto'),
  maxMb: z.number().min(1).max(10_240).catch(200),
});

export function readWorkspaceSettings(): { mode: WorkspaceMode; maxBytes: number } {
  const c = vscode.workspace.getConfiguration('hangar.runtime');
  const s = WorkspaceSettings.parse({ mode: c.get('workspace'), maxMb: c.get('maxWorkspaceUploadMB') });
  return { mode: s.mode, maxBytes: Math.round(s.maxMb * 1024 * 1024) };
}
