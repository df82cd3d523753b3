import * as vscode from 'vscode';
import type { ResourceParams } from '../../wire';
import type { RuntimeClient } from './runtime-client';
import { readWorkspaceSettings } from './workspace-settings';
import { workspaceRepository } from './workspace-source';

type LocalRepositoryParams = Extract<ResourceParams, { type: 'local_repository' }>;

/**
 * The workspace resource of a new session (Start Agent, Best-of-N) inside their cancellable progress notification:
 * packing and the upload's bytes are its steps, and its Cancel stops either (a cut-off upload leaves nothing on the
 * runtime). Undefined when the user cancelled.
 */
export async function workspaceWithProgress(client: RuntimeClient, folder: string, progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken): Promise<LocalRepositoryParams | undefined> {
  const cancel = new AbortController();
  const listener = token.onCancellationRequested(() => cancel.abort());
  try {
    if (token.isCancellationRequested) return undefined;
    return await workspaceRepository(client, folder, { ...readWorkspaceSettings(), signal: cancel.signal, report: (message, increment) => progress.report({ message, increment }) });
  } catch (err) {
    if (cancel.signal.aborted) return undefined;
    throw err;
  } finally {
    listener.dispose();
  }
}
