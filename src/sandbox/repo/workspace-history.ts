import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AGENT_HISTORY_DEPTH, repoHead } from './agent-git';
import { git, GitError, isolatedGitEnv } from './git';
import { isRepoPath } from './paths';
import { checkoutRest, DeltaError } from './workspace-delta';

// The git history an uploaded workspace carries to a runtime on another machine (issue #15 §2): the user's HEAD with
// at most AGENT_HISTORY_DEPTH commits (all an agent's clone takes from a repository on its own machine too), as a
// git bundle plus the shallow boundary. A bundle made from a shallow repository names no prerequisites, so the
// receiver is told where history is cut, or the bundle's connectivity check fails.
//
// The runtime restores it as the unpacked copy's repository: HEAD is the user's commit on the user's branch, and the
// index is exactly the uploaded files (so every provider's listing is what the client sent, and the uncommitted
// changes are the difference between HEAD and the work tree, as on the user's machine). The agent's .git is then
// cloned from it like from any repository (agent-git.ts), and review's baseline is the copy's files, never HEAD.

/** The archive entries that carry the history: under `.git/`, which no repository path can name (paths.ts). */
export const HISTORY_BUNDLE_ENTRY = '.git/hangar-history.bundle';
export const HISTORY_SHALLOW_ENTRY = '.git/hangar-history.shallow';
/**
 * Present when the archive holds only the files that differ from HEAD (workspace-delta.ts): HEAD's paths the workspace
 * no longer has, each followed by a NUL. The runtime checks out HEAD's other files.
 */
export const HISTORY_DELETED_ENTRY = '.git/hangar-history.deleted';

/** The ref a detached HEAD travels under. */
const DETACHED_REF = 'refs/hangar/head';

export interface WorkspaceHistory {
  /** The bundle file: one ref, the user's branch (or DETACHED_REF), at HEAD. */
  bundle: string;
  /** The shallow boundary, one commit id a line (an empty file when the whole history fits in the depth). */
  shallow: string;
  /** The bundle's and boundary's bytes. */
  bytes: number;
  /** The commit the bundle's ref is at: HEAD when it was made. */
  head: string;
  /** How many commits the bundle holds, and on which branch (null: a detached HEAD). */
  commits: number;
  branch: string | null;
  /** Removes the temp files. */
  dispose(): Promise<void>;
}

/**
 * The history of the repository whose work tree top is `repoPath`, at most `depth` commits from HEAD; null when
 * `repoPath` is not a repository's top, its branch has no commit yet, or `depth` is 0.
 */
export async function bundleHistory(repoPath: string, depth: number): Promise<WorkspaceHistory | null> {
  if (depth < 1) return null;
  const head = await repoHead(repoPath);
  if (!head) return null;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'hangar-history-'));
  const dispose = () => rm(tmp, { recursive: true, force: true });
  try {
    const gitDir = path.join(tmp, 'history.git');
    const env = isolatedGitEnv({ GIT_DIR: gitDir });
    await git(['init', '-q', '--bare', gitDir], { env: isolatedGitEnv({}) });
    const ref = head.branch ?? DETACHED_REF;
    // Through upload-pack, as the agent's clone on a local runtime: the user's repository is only read.
    await git(['-c', 'protocol.file.allow=always', 'fetch', '-q', '--no-tags', '--no-write-fetch-head', `--depth=${Math.min(depth, AGENT_HISTORY_DEPTH)}`, path.resolve(repoPath), `+HEAD:${ref}`], { env });
    const bundle = path.join(tmp, 'history.bundle');
    await git(['bundle', 'create', '-q', bundle, ref], { env });
    const shallow = path.join(tmp, 'history.shallow');
    await writeFile(shallow, await readFile(path.join(gitDir, 'shallow'), 'utf8').catch(() => ''));
    const commits = Number((await git(['rev-list', '--count', ref], { env })).toString('utf8').trim());
    const commit = (await git(['rev-parse', '--verify', `${ref}^{commit}`], { env })).toString('utf8').trim();
    const bytes = (await stat(bundle)).size + (await stat(shallow)).size;
    return { bundle, shallow, bytes, head: commit, commits, branch: head.branch?.replace(/^refs\/heads\//, '') ?? null, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

export class HistoryError extends Error {}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Makes `dir` (the unpacked files, with the archive's HISTORY_* entries written at their names) a repository on the
 * bundled history, its index exactly `files` (plus HEAD's files the archive left out, checked out, when it holds only
 * what differs from HEAD). Nothing of the bundle is trusted beyond what git checks: one ref,
 * a branch or the detached one, commit ids as the boundary.
 */
export async function restoreHistory(dir: string, files: readonly string[]): Promise<void> {
  const env = isolatedGitEnv({});
  const run = (args: readonly string[], input?: Buffer) => git(args, { cwd: dir, env, input });
  const bundle = path.join(dir, HISTORY_BUNDLE_ENTRY);
  const shallowList = path.join(dir, HISTORY_SHALLOW_ENTRY);
  const boundary = (await readFile(shallowList, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const bad = boundary.find((id) => !COMMIT_ID.test(id));
  if (bad !== undefined) throw new HistoryError(`its history's shallow boundary holds ${JSON.stringify(bad.slice(0, 80))}, which is not a commit id`);
  await run(['init', '-q']);
  // Before the fetch: its connectivity check stops at the boundary instead of asking for the parents left out.
  if (boundary.length > 0) await writeFile(path.join(dir, '.git', 'shallow'), `${boundary.join('\n')}\n`);
  const heads = await run(['bundle', 'list-heads', bundle]).catch((err: unknown) => {
    if (err instanceof GitError) throw new HistoryError(`its history is not a git bundle (${err.stderr.trim().split('\n').pop()})`);
    throw err;
  });
  const refs = heads.toString('utf8').split('\n').filter(Boolean).map((line) => line.split(' ')[1] ?? '');
  const ref = refs[0] ?? '';
  if (refs.length !== 1 || !(ref === DETACHED_REF || (ref.startsWith('refs/heads/') && (await isRefName(dir, ref))))) {
    throw new HistoryError(`its history bundle should hold one branch, not ${JSON.stringify(refs)}`);
  }
  try {
    await run(['fetch', '-q', '--update-head-ok', '--no-tags', '--no-write-fetch-head', bundle, `+${ref}:${ref}`]);
  } catch (err) {
    if (err instanceof GitError) throw new HistoryError(`its history cannot be restored (${err.stderr.trim().split('\n').pop()})`);
    throw err;
  }
  if (ref === DETACHED_REF) {
    await run(['update-ref', '--no-deref', 'HEAD', ref]);
    await run(['update-ref', '-d', ref]);
  } else {
    await run(['symbolic-ref', 'HEAD', ref]);
  }
  await rm(bundle, { force: true });
  await rm(shallowList, { force: true });
  const deleted = await readDeleted(path.join(dir, HISTORY_DELETED_ENTRY));
  if (deleted) {
    await checkoutRest(dir, files, deleted).catch((err: unknown) => {
      if (err instanceof DeltaError) throw new HistoryError(err.message);
      throw err;
    });
    return;
  }
  // An empty index, then every uploaded file: the listing is exactly the upload, HEAD is the user's commit.
  const list = Buffer.from(files.map((f) => `${f}\0`).join(''), 'utf8');
  if (files.length > 0) await run(['add', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'], list);
}

/** The deletions list of an archive that holds only what differs from HEAD; null for an archive of every file. */
async function readDeleted(file: string): Promise<string[] | null> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (text === null) return null;
  await rm(file, { force: true });
  const deleted = text.split('\0').filter(Boolean);
  const bad = deleted.find((p) => !isRepoPath(p));
  if (bad !== undefined) throw new HistoryError(`its list of deleted files holds ${JSON.stringify(bad.slice(0, 200))}, which is not a path inside a workspace`);
  return deleted;
}

async function isRefName(dir: string, ref: string): Promise<boolean> {
  return git(['check-ref-format', ref], { cwd: dir, env: isolatedGitEnv({}) }).then(() => true, () => false);
}
