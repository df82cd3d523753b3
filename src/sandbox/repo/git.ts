import { runCollected } from '../../tools/spawn-off-loop';

// Running git on the host for Hangar's own bookkeeping (listing a repository, baselines, diffs), shielded from the
// user's git configuration and from GIT_* variables that would point it at another repository.

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`);
  }
}

export interface GitOptions {
  cwd?: string;
  env: Record<string, string>;
  input?: Buffer | string;
}

/** Runs git (started off the event loop: spawn-off-loop.ts) and returns its stdout as bytes (paths and patches are not necessarily UTF-8). */
export async function git(args: readonly string[], options: GitOptions): Promise<Buffer> {
  const run = await runCollected('git', args, options);
  if (run.code !== 0) throw new GitError(args, run.code, run.stderr);
  return run.stdout;
}

/**
 * The host environment without GIT_* variables, which would redirect git to another repository or index. Read once:
 * walking process.env crosses into C++ for every variable, a tool call runs git several times (checkpoints, baselines),
 * and Hangar never changes its own environment.
 */
export function envWithoutGit(): Record<string, string> {
  return { ...hostEnvWithoutGit() };
}

let withoutGit: Readonly<Record<string, string>> | undefined;
function hostEnvWithoutGit(): Readonly<Record<string, string>> {
  if (!withoutGit) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !key.startsWith('GIT_')) env[key] = value;
    }
    withoutGit = Object.freeze(env);
  }
  return withoutGit;
}

const FIXED_IDENTITY = {
  GIT_AUTHOR_NAME: 'Hangar',
  GIT_AUTHOR_EMAIL: 'hangar@localhost',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Hangar',
  GIT_COMMITTER_EMAIL: 'hangar@localhost',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
};

/**
 * Environment for git runs Hangar relies on: no system or user config (no hooks, fsmonitor, autocrlf, signing,
 * external diff from the user's setup), literal pathspecs (file names with `*` are names), a fixed identity.
 */
export function isolatedGitEnv(extra: Record<string, string>): Record<string, string> {
  return {
    ...hostEnvWithoutGit(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...FIXED_IDENTITY,
    ...extra,
  };
}
