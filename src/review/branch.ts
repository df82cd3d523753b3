import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkspaceChanges } from '../sandbox/types';
import { envWithoutGit, git, GitError } from '../sandbox/repo/git';
import { applyChanges, type ApplyResult, type ReadSide } from './apply';

// Hands a session's changes off as one commit on a new branch of the user's repository, without disturbing the
// user's checkout (ARCHITECTURE.md invariant 6): HEAD, the index and the working tree are never touched. The commit
// is made in a scratch worktree checked out at the base commit (HEAD unless told otherwise), where the same apply
// rules as the working tree's hold (a path whose base version is not what the session started from is a conflict,
// and a conflict commits nothing); the branch ref is created last, only if it still does not exist, and the scratch
// worktree is removed whatever happens. The user's own git configuration applies (identity, signing), their hooks
// do not: nothing of theirs should run in a directory that disappears.

export interface BranchOptions {
  branch: string;
  message: string;
  /** The commit the branch starts from; HEAD when absent. */
  base?: string;
}

export interface BranchResult {
  branch: string;
  commit: string;
  base: string;
  /** Paths the commit changes (a rename names both). */
  files: string[];
}

/** A refusal with the reason and the fix; nothing was created. `conflicts` is set when the base does not match. */
export class BranchError extends Error {
  override readonly name = 'BranchError';
  constructor(
    message: string,
    readonly conflicts: ApplyResult['conflicts'] = [],
  ) {
    super(message);
  }
}

export async function commitToBranch(repo: string, changes: WorkspaceChanges, read: ReadSide, opts: BranchOptions): Promise<BranchResult> {
  const message = opts.message.trim();
  if (message === '') throw new BranchError('The commit message is empty: give one (the first line is its subject).');
  if (changes.files.length === 0) throw new BranchError('The session has no changes: there is nothing to commit.');
  const env = gitEnv();
  const top = await repositoryOf(repo, env);
  const branch = await checkBranchName(top, opts.branch, env);
  const base = await resolveBase(top, opts.base ?? 'HEAD', env);
  // The session's paths are relative to its repository, which may be a folder inside the git repository.
  const prefix = path.relative(top, await fsp.realpath(repo));
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-branch-'));
  const tree = path.join(scratch, 'tree');
  const run = (args: string[], cwd: string, input?: string) => git(['-c', 'core.hooksPath=/dev/null', ...args], { cwd, env, input });
  try {
    await run(['worktree', 'add', '--detach', '--quiet', tree, base], top);
    const result = await applyChanges(path.join(tree, prefix), changes, read);
    if (result.conflicts.length > 0) {
      const lines = result.conflicts.map((c) => `  ${c.path}: ${c.reason}`).join('\n');
      throw new BranchError(
        `Not committed: ${result.conflicts.length} path(s) of ${shortRef(opts.base)} do not hold what the session started from (uncommitted changes the session copied, or commits made since):\n${lines}\nCommit those changes first, or apply to the working tree instead.`,
        result.conflicts,
      );
    }
    if (result.applied.length === 0) throw new BranchError(`${shortRef(opts.base)} already holds every change of the session: a branch would add nothing.`);
    const files = result.applied.map((p) => path.posix.join(prefix.split(path.sep).join('/'), p));
    await run(['add', '--all', '--force', '--', ...files], tree);
    await run(['commit', '--quiet', '--no-verify', '--file', '-'], tree, `${message}\n`).catch((err: unknown) => {
      throw identityProblem(err) ?? err;
    });
    const commit = (await run(['rev-parse', 'HEAD'], tree)).toString().trim();
    // The empty old value makes git refuse if the branch appeared meanwhile.
    await run(['update-ref', '-m', 'hangar: session hand-off', `refs/heads/${branch}`, commit, ''], top).catch(() => {
      throw new BranchError(`A branch named ${branch} was created meanwhile; nothing was changed. Pick another name.`);
    });
    return { branch, commit, base, files };
  } finally {
    await run(['worktree', 'remove', '--force', tree], top).catch(() => undefined);
    await fsp.rm(scratch, { recursive: true, force: true });
    await run(['worktree', 'prune'], top).catch(() => undefined);
  }
}

/** Checks a branch name as git does (`git check-ref-format --branch`) and that no branch has it yet. */
export async function checkBranchName(repo: string, name: string, env = gitEnv()): Promise<string> {
  if (name.trim() === '') throw new BranchError('The branch name is empty.');
  if (name.startsWith('-') || name.startsWith('@')) throw new BranchError(`"${name}" is not a valid branch name: it may not start with "${name[0]}".`);
  const checked = await git(['check-ref-format', '--branch', name], { cwd: repo, env }).catch(() => null);
  if (checked === null || checked.toString().trim() !== name) {
    throw new BranchError(`"${name}" is not a valid branch name (git check-ref-format): no spaces, "..", "~", "^", ":", "?", "*", "[", "\\", no trailing "/" or ".lock".`);
  }
  const exists = await git(['show-ref', '--verify', '--quiet', `refs/heads/${name}`], { cwd: repo, env }).then(
    () => true,
    () => false,
  );
  if (exists) throw new BranchError(`A branch named ${name} already exists. Pick another name (or delete that branch with git branch -D ${name}).`);
  return name;
}

/** The top of the git repository that holds `repo`, or a refusal saying what is wrong with it. */
async function repositoryOf(repo: string, env: Record<string, string>): Promise<string> {
  const info = await fsp.stat(repo).catch(() => null);
  if (!info?.isDirectory()) throw new BranchError(`The session's repository ${repo} does not exist any more: there is nowhere to create a branch.`);
  const top = await git(['rev-parse', '--show-toplevel'], { cwd: repo, env }).catch(() => null);
  if (top === null) throw new BranchError(`${repo} is not a git repository: a branch needs one (git init, then commit once), or apply to the working tree instead.`);
  return top.toString().trim();
}

async function resolveBase(repo: string, rev: string, env: Record<string, string>): Promise<string> {
  const out = await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: repo, env }).catch(() => null);
  if (out !== null) return out.toString().trim();
  if (rev === 'HEAD') throw new BranchError(`${repo} has no commits yet: a branch needs a commit to start from. Commit once, or apply to the working tree instead.`);
  throw new BranchError(`${rev} is not a commit of ${repo}.`);
}

function identityProblem(err: unknown): BranchError | null {
  if (!(err instanceof GitError) || !/user\.(name|email)|who you are|identity/i.test(err.stderr)) return null;
  return new BranchError('git does not know who you are, so it cannot commit. Set it once: git config --global user.name "Your Name" && git config --global user.email you@example.com');
}

function shortRef(base: string | undefined): string {
  return base ?? 'HEAD';
}

const IDENTITY = ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'];

/**
 * The user's git, minus GIT_* variables that would point it at another repository or index (their identity
 * variables stay: the commit is theirs); never prompts, pathspecs are literal names.
 */
function gitEnv(): Record<string, string> {
  const identity = Object.fromEntries(IDENTITY.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])));
  return { ...envWithoutGit(), ...identity, GIT_TERMINAL_PROMPT: '0', GIT_LITERAL_PATHSPECS: '1' };
}
