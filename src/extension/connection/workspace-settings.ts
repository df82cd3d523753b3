import * as vscode from 'vscode';
import * as z from 'zod';
import { AGENT_HISTORY_DEPTH } from '../../sandbox/repo/agent-git';
import type { WorkspaceMode } from './workspace-source';

// `hangar.runtime.workspace`, `hangar.runtime.maxWorkspaceUploadMB` and `hangar.runtime.uploadHistoryCommits`: how a
// new session gets this window's workspace (workspace-source.ts). A mistyped value falls back to the default, as the
// other settings do (config.ts).

const WorkspaceSettings = z.object({
  mode: z.enum(['auto', 'shared', 'upload']).catch('auto'),
  maxMb: z.number().min(1).max(10_240).catch(200),
  historyCommits: z.number().int().min(0).max(AGENT_HISTORY_DEPTH).catch(AGENT_HISTORY_DEPTH),
});

export function readWorkspaceSettings(): { mode: WorkspaceMode; maxBytes: number; historyCommits: number } {
  const c = vscode.workspace.getConfiguration('hangar.runtime');
  const s = WorkspaceSettings.parse({ mode: c.get('workspace'), maxMb: c.get('maxWorkspaceUploadMB'), historyCommits: c.get('uploadHistoryCommits') });
  return { mode: s.mode, maxBytes: Math.round(s.maxMb * 1024 * 1024), historyCommits: s.historyCommits };
}
