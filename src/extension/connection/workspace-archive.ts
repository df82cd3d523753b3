import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { AGENT_HISTORY_DEPTH } from '../../sandbox/repo/agent-git';
import { GitError } from '../../sandbox/repo/git';
import { listRepository } from '../../sandbox/repo/listing';
import { deltaFromHead } from '../../sandbox/repo/workspace-delta';
import { bundleHistory, HISTORY_BUNDLE_ENTRY, HISTORY_DELETED_ENTRY, HISTORY_SHALLOW_ENTRY, type WorkspaceHistory } from '../../sandbox/repo/workspace-history';

// The workspace as a runtime on another machine gets it (issue #15 §2): the files a sandbox copy holds (git's view,
// `ls-files --cached --others --exclude-standard`, or the plain walk outside git: sandbox/repo/listing.ts) in a
// gzipped tar in a temp file, with its SHA-256 so the runtime can tell a cut-off upload. The repository's recent
// history (a git bundle of HEAD, sandbox/repo/workspace-history.ts) goes first in the same archive, so the agent's
// `git log` and `blame` answer there as on this machine; then the files are only those that differ from HEAD, plus the
// list of HEAD's deleted paths, since the bundle holds HEAD's files already (sandbox/repo/workspace-delta.ts; every
// file when git may convert files between HEAD and the work tree). Everything is streamed (async reads, zlib off the main
// thread), so building it never blocks the extension host.

/** The settings that bound an upload, named in the refusal. */
export const UPLOAD_LIMIT_SETTING = 'hangar.runtime.maxWorkspaceUploadMB';
export const HISTORY_DEPTH_SETTING = 'hangar.runtime.uploadHistoryCommits';

export interface WorkspaceArchive {
  file: string;
  sha256: string;
  /** The archive's size (compressed). */
  bytes: number;
  /** Files and symbolic links in it. */
  entries: number;
  /** The workspace's files left out because HEAD's history holds them as they are (0 when every file is sent). */
  fromHistory: number;
  /** The bytes of the files in it. */
  contentBytes: number;
  /** The git history that went along: how many commits, and their bundle's bytes (none outside a repository). */
  history: { commits: number; bytes: number } | null;
  /** Removes the temp file. */
  dispose(): Promise<void>;
}

export interface ArchiveOptions {
  /** The most the workspace's files and history may come to, in bytes. */
  maxBytes: number;
  /** Commits of history from HEAD to send (0: none; default and most: AGENT_HISTORY_DEPTH, all an agent's clone takes). */
  historyCommits?: number;
  /** false: every file goes even with history (a runtime that cannot restore an upload of the changes alone); default true. */
  delta?: boolean;
  /** Stops packing (the archive is removed) with the signal's reason. */
  signal?: AbortSignal;
  /** Called as files are packed: how many of how many, and their bytes. */
  onProgress?(packed: number, total: number, bytes: number): void;
}

export class WorkspaceTooLargeError extends Error {}

interface Entry {
  name: string;
  size: number;
  mode: number;
  link?: string;
  /** Where its bytes are read from, when not `name` in the workspace (the history's files)... */
  from?: string;
  /** ...or its bytes (the list of deleted files). */
  body?: Buffer;
}

const isWorkspaceFile = (e: Entry) => e.from === undefined && e.body === undefined;

export async function archiveWorkspace(dir: string, opts: ArchiveOptions): Promise<WorkspaceArchive> {
  const all = await entriesOf(dir);
  opts.signal?.throwIfAborted();
  const history = await bundleHistory(dir, opts.historyCommits ?? AGENT_HISTORY_DEPTH).catch((err: unknown) => {
    if (!(err instanceof GitError)) throw err;
    throw new Error(`Could not pack the git history of ${dir} to upload with it (git: ${err.stderr.trim().split('\n').pop()}). Set ${HISTORY_DEPTH_SETTING} to 0 to upload the workspace without its history.`, { cause: err });
  });
  // A git that cannot answer (a damaged index, an odd attribute) costs only the smaller upload: every file is sent.
  const delta = history && opts.delta !== false && (await deltaFromHead(dir, history.head, all).catch((err: unknown) => (err instanceof GitError ? null : Promise.reject(err))));
  const entries = delta ? all.filter((e) => !delta.unchanged.has(e.name)) : all;
  const contentBytes = entries.reduce((sum, e) => sum + e.size, 0);
  if (contentBytes + (history?.bytes ?? 0) > opts.maxBytes) {
    await history?.dispose();
    const changed = delta ? ' changed since its last commit' : '';
    const withHistory = history ? ` plus ${formatSize(history.bytes)} of git history (${commitCount(history.commits)}), over the ${mb(opts.maxBytes)} MB` : `, over the ${mb(opts.maxBytes)} MB`;
    const fewer = history ? `, send fewer commits of history (${HISTORY_DEPTH_SETTING}, 0 sends none)` : '';
    throw new WorkspaceTooLargeError(`The workspace ${dir} is ${mb(contentBytes)} MB in ${entries.length === 1 ? '1 file' : `${entries.length} files`}${changed}${withHistory} the setting ${UPLOAD_LIMIT_SETTING} allows to upload to a runtime on another machine. Raise that setting${fewer}, or add what the agent does not need (build output, data) to .gitignore.`);
  }
  try {
    const deleted: Entry[] = delta ? [deletedEntry(delta.deleted)] : [];
    return await packArchive(dir, [...(await historyEntries(history)), ...deleted, ...entries], opts, { contentBytes, history, fromHistory: all.length - entries.length });
  } finally {
    await history?.dispose();
  }
}

async function packArchive(dir: string, entries: readonly Entry[], opts: ArchiveOptions, sizes: { contentBytes: number; history: WorkspaceHistory | null; fromHistory: number }): Promise<WorkspaceArchive> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'hangar-workspace-'));
  const file = path.join(tmp, `${path.basename(dir) || 'workspace'}.tar.gz`);
  const dispose = () => rm(tmp, { recursive: true, force: true });
  const tar = pack();
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = new PassThrough();
    counted.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    const written = pipeline(tar, createGzip(), counted, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    let packed = 0;
    let packedBytes = 0;
    const files = entries.filter(isWorkspaceFile).length;
    for (const e of entries) {
      opts.signal?.throwIfAborted();
      if (e.link !== undefined) {
        tar.entry({ name: e.name, type: 'symlink', linkname: e.link, mode: 0o777 });
      } else {
        await new Promise<void>((resolve, reject) => {
          const header = { name: e.name, type: 'file' as const, size: e.size, mode: e.mode };
          const done = (err?: Error | null) => (err ? reject(err) : resolve());
          if (e.size === 0 || e.body) return void tar.entry(header, e.body ?? '', done);
          // The header promised e.size bytes: a file that grew since is cut there, one that shrank fails the archive.
          createReadStream(e.from ?? path.join(dir, e.name), { end: e.size - 1 }).on('error', reject).pipe(tar.entry(header, done));
        });
      }
      if (!isWorkspaceFile(e)) continue;
      packed += 1;
      packedBytes += e.size;
      opts.onProgress?.(packed, files, packedBytes);
    }
    tar.finalize();
    await written;
    const history = sizes.history && { commits: sizes.history.commits, bytes: sizes.history.bytes };
    return { file, sha256: hash.digest('hex'), bytes, entries: files, fromHistory: sizes.fromHistory, contentBytes: sizes.contentBytes, history, dispose };
  } catch (err) {
    tar.destroy();
    await dispose();
    throw err;
  }
}

async function historyEntries(history: WorkspaceHistory | null): Promise<Entry[]> {
  if (!history) return [];
  const sized = async (name: string, from: string) => ({ name, from, size: (await stat(from)).size, mode: 0o644 });
  return [await sized(HISTORY_BUNDLE_ENTRY, history.bundle), await sized(HISTORY_SHALLOW_ENTRY, history.shallow)];
}

function deletedEntry(paths: readonly string[]): Entry {
  const body = Buffer.from(paths.map((p) => `${p}\0`).join(''), 'utf8');
  return { name: HISTORY_DELETED_ENTRY, size: body.length, mode: 0o644, body };
}

/** The listing's regular files and symbolic links (a submodule's directory, or a file deleted since, is left out). */
async function entriesOf(dir: string): Promise<Entry[]> {
  const { files } = await listRepository(dir);
  const out: Entry[] = [];
  for (const name of files.sort()) {
    const full = path.join(dir, name);
    const st = await lstat(full).catch(() => null);
    if (st?.isSymbolicLink()) out.push({ name, size: 0, mode: 0o777, link: await readlink(full) });
    else if (st?.isFile()) out.push({ name, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 });
  }
  return out;
}

function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}

export function commitCount(n: number): string {
  return n === 1 ? '1 commit' : `${n} commits`;
}

/** How far a transfer got, in one unit with a decimal, so each percent of a large one reads as a step. */
export function formatProgress(done: number, total: number): string {
  const [unit, per] = total < 1024 * 1024 ? ['KB', 1024] as const : ['MB', 1024 * 1024] as const;
  return `${(done / per).toFixed(1)} of ${(total / per).toFixed(1)} ${unit}`;
}

/** A size for progress and errors: KB below a megabyte, MB above. */
export function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${mb(bytes)} MB`;
}
