import { appendFile, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { envWithoutGit, git, GitError, isolatedGitEnv } from './git';

// The .git the agent gets in /workspace, for every provider: a shallow clone of the user's repository at the user's
// HEAD (same branch name, same commit), with an index of HEAD, so the user's uncommitted changes show in `git status`
// and `git diff` as working-tree changes, as on the user's machine. It is the agent's to use and break: Hangar's
// baseline, from which review diffs are computed, lives elsewhere (local: baseline.git beside the workspace; Docker:
// the host snapshot or the layer's diff.git), so `git commit`, `reset` or `rm -rf .git` leave the review unchanged.
//
// A folder that is not the top of a git work tree (a plain folder, or a subfolder of a repository) gets a fresh
// repository with one commit of its files, so git still works there.

/** Commits of history the agent gets: enough for `log` and `blame` of recent work, bounded for huge histories. */
export const AGENT_HISTORY_DEPTH = 100;

const AGENT_CONFIG = `[core]
	autocrlf = false
	fsmonitor = false
[user]
	name = Hangar agent
	email = agent@hangar.localhost
`;

// The user's repository config must not run anything while Hangar reads it (core.fsmonitor names a program).
const SAFE_GIT = ['-c', 'core.fsmonitor=false', '-c', 'core.untrackedCache=false'];

/** The user's HEAD as the agent's clone reproduces it. */
export interface RepoHead {
  /** The commit HEAD names. */
  commit: string;
  /** `refs/heads/<name>`, or null when HEAD is detached. */
  branch: string | null;
}

async function userGit(repoPath: string, args: readonly string[]): Promise<string | null> {
  try {
    return (await git([...SAFE_GIT, ...args], { cwd: repoPath, env: envWithoutGit() })).toString('utf8').trim();
  } catch (err) {
    if (err instanceof GitError) return null;
    throw err;
  }
}

/**
 * The HEAD of the repository whose work tree top is `repoPath`; null when `repoPath` is not the top of a work tree
 * or its branch has no commit yet. Snapshots key on it: a commit changes the agent's .git even when no file changed.
 */
export async function repoHead(repoPath: string): Promise<RepoHead | null> {
  // One process (this runs on every Docker provision): the top, the commit, then HEAD's ref ("HEAD" when detached).
  const out = await userGit(repoPath, ['rev-parse', '--show-toplevel', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD']);
  const [top, commit, ref] = out?.split('\n') ?? [];
  if (!top || !commit || !ref) return null;
  if ((await realpath(top).catch(() => top)) !== (await realpath(repoPath).catch(() => repoPath))) return null;
  return { commit, branch: ref.startsWith('refs/') ? ref : null };
}

/**
 * Writes the agent's git directory at `gitDir` for the work tree `workTree`, which holds the copy of `repoPath` (or
 * is `repoPath` itself when the copy is elsewhere: nothing is written to it). `files` is the copy's listing, used only
 * when `repoPath` is not a repository's top (the fresh commit).
 */
export async function buildAgentGit(opts: { repoPath: string | undefined; gitDir: string; workTree: string; files: readonly string[] }): Promise<void> {
  const env = isolatedGitEnv({ GIT_DIR: opts.gitDir, GIT_WORK_TREE: opts.workTree });
  const run = (args: readonly string[], input?: Buffer) => git(args, { cwd: opts.workTree, env, input });
  await mkdir(opts.gitDir, { recursive: true });
  // Without GIT_WORK_TREE: init would record a work tree that is not the git dir's parent (core.worktree, a host path).
  await git(['init', '-q'], { env: isolatedGitEnv({ GIT_DIR: opts.gitDir }) });
  await appendFile(path.join(opts.gitDir, 'config'), AGENT_CONFIG);
  const head = opts.repoPath ? await repoHead(opts.repoPath) : null;
  if (opts.repoPath && head) {
    // A fresh process on the user's repository serves the objects (git upload-pack, as for any local clone); the
    // clone keeps no remote, so nothing in it points back at the host path.
    const ref = head.branch ?? 'refs/hangar/head';
    await run(['-c', 'protocol.file.allow=always', 'fetch', '-q', '--update-head-ok', '--no-tags', '--no-write-fetch-head', `--depth=${AGENT_HISTORY_DEPTH}`, path.resolve(opts.repoPath), `+HEAD:${ref}`]);
    if (head.branch) {
      await run(['symbolic-ref', 'HEAD', head.branch]);
    } else {
      await run(['update-ref', '--no-deref', 'HEAD', ref]);
      await run(['update-ref', '-d', ref]);
    }
    // The index is HEAD's tree, so what differs in the copy shows as the user's uncommitted changes; refreshed
    // against the copy, it holds the files' stat data, so the agent's first `git status` does not hash every file
    // (an overlay shows the snapshot's inodes and times as they are). Not when the copy is elsewhere (copy mode).
    await run(['read-tree', 'HEAD']);
    if (opts.workTree !== opts.repoPath) {
      // Exit 1 only says some files differ from HEAD: the user's uncommitted changes, which must stay.
      await run(['update-index', '-q', '--refresh']).catch((err: unknown) => {
        if (!(err instanceof GitError && err.code === 1)) throw err;
      });
    }
  } else {
    const list = Buffer.from(opts.files.map((f) => `${f}\0`).join(''), 'utf8');
    if (opts.files.length > 0) await run(['add', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'], list);
    await run(['commit', '-q', '--no-verify', '--allow-empty', '-m', 'The workspace as the session started']);
  }
}
