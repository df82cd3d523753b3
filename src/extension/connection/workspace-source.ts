import { randomBytes } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResourceParams } from '../../wire';
import type { WorkspaceProbeResult } from '../../wire/workspace';
import type { RuntimeClient } from './runtime-client';
import { archiveWorkspace, commitCount, formatProgress, formatSize } from './workspace-archive';

// How a new session gets the window's workspace (issue #15 §2): a runtime that sees it in place works on it by path
// (the in-process runtime, a detached one on this machine); one that does not (another machine, a container, a
// mount namespace) gets it uploaded as an archive. Automatic by default: the runtime answers a probe written into the
// workspace. `hangar.runtime.workspace` can force either, and forcing "shared" on a runtime that cannot see the
// workspace is refused rather than starting an agent on whatever that path holds there.

/** `hangar.runtime.workspace`. */
export type WorkspaceMode = 'auto' | 'shared' | 'upload';
export const WORKSPACE_MODE_SETTING = 'hangar.runtime.workspace';

export interface WorkspaceSourceOptions {
  mode: WorkspaceMode;
  /** The upload limit in bytes (hangar.runtime.maxWorkspaceUploadMB). */
  maxBytes: number;
  /** Commits of git history the upload carries (hangar.runtime.uploadHistoryCommits; default: all an agent's clone takes). */
  historyCommits?: number;
  /** Progress as VS Code's withProgress takes it: a message and a share of 100. */
  report?(message: string, increment?: number): void;
  /** Stops packing or uploading (the runtime keeps nothing of a cut-off upload) with the signal's reason. */
  signal?: AbortSignal;
}

type LocalRepositoryParams = Extract<ResourceParams, { type: 'local_repository' }>;

/** The session's local_repository resource for `folder`: by path, or uploaded first. */
export async function workspaceRepository(client: RuntimeClient, folder: string, opts: WorkspaceSourceOptions): Promise<LocalRepositoryParams> {
  if (opts.mode !== 'upload') {
    // The window's own runtime reads the window's files.
    if (!client.detached) return { type: 'local_repository', path: folder };
    opts.report?.('checking whether the runtime sees this workspace');
    const seen = await probeFrom(client, folder);
    if (seen.visible) return { type: 'local_repository', path: folder };
    if (opts.mode === 'shared') {
      throw new Error(`The setting ${WORKSPACE_MODE_SETTING} is "shared", but the runtime at ${client.where} cannot work on ${folder} in place: ${seen.reason} Set it to "auto" to upload the workspace to that runtime.`);
    }
  }
  return uploadWorkspace(client, folder, opts);
}

/** Asks the runtime to read a probe file with a random token written into the workspace just now. */
export async function probeFrom(client: RuntimeClient, folder: string): Promise<WorkspaceProbeResult> {
  // Inside the workspace's own .git when it has one (git status and the file explorer do not show it), else a dotfile.
  const inGit = await stat(path.join(folder, '.git')).then((s) => s.isDirectory(), () => false);
  const name = `${inGit ? '.git/' : ''}.hangar-probe-${randomBytes(16).toString('hex')}`;
  const token = randomBytes(32).toString('hex');
  const file = path.join(folder, name);
  await writeFile(file, token, { flag: 'wx', mode: 0o600 });
  try {
    return await client.probeWorkspace({ path: folder, probe: { name, token } });
  } finally {
    await rm(file, { force: true });
  }
}

async function uploadWorkspace(client: RuntimeClient, folder: string, opts: WorkspaceSourceOptions): Promise<LocalRepositoryParams> {
  // Asked before packing: an older `hangar serve` would take an archive of the changes alone for the whole workspace.
  const delta = opts.historyCommits === 0 || (await client.acceptsUploadDelta());
  if (!delta) opts.report?.(`the runtime at ${client.where} is an older hangar serve that takes every file of the workspace (update it to upload only the changed ones)`);
  opts.report?.('listing the workspace to upload');
  // Half the bar for packing, half for the upload; a step is reported when the bar moves (at most 100 of them).
  let shown = 0;
  const advance = (share: number, message: string) => {
    if (share <= shown && share < 100) return;
    opts.report?.(message, share - shown);
    shown = share;
  };
  const archive = await archiveWorkspace(folder, {
    maxBytes: opts.maxBytes,
    historyCommits: opts.historyCommits,
    delta,
    signal: opts.signal,
    onProgress: (packed, total, bytes) => advance(Math.floor((packed / total) * 50), `packing the workspace: ${packed} of ${total} files, ${formatSize(bytes)}`),
  });
  try {
    const history = archive.history ? `, ${commitCount(archive.history.commits)} of history` : '';
    const files = archive.entries + archive.fromHistory;
    const changed = archive.fromHistory > 0 ? `, ${archive.entries} of them changed since the last commit` : '';
    const what = `the workspace (${files} files${changed}${history}, ${formatSize(archive.bytes)} compressed)`;
    opts.report?.(`uploading ${what} to ${client.where}`);
    const file = await client
      .uploadFile(archive.file, {
        signal: opts.signal,
        onProgress: (sent, total) => advance(50 + Math.floor((sent / Math.max(total, 1)) * 50), `uploading ${what}: ${formatProgress(sent, total)}`),
      })
      .catch((err: unknown) => {
        opts.signal?.throwIfAborted();
        throw new Error(`Could not upload ${what} to the runtime at ${client.where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
    advance(100, 'the workspace is uploaded');
    return { type: 'local_repository', path: folder, upload: { file_id: file.id, sha256: archive.sha256 } };
  } finally {
    await archive.dispose();
  }
}
