import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { envWithoutGit, git } from './git';

// Which files a sandbox's copy of a repository holds, for every provider: git's view (tracked plus untracked but not
// ignored) in a work tree, otherwise a walk that leaves out the usual build and dependency folders.

/** What a non-git folder leaves out of the copy (plus the patterns of its own root .gitignore). */
const DEFAULT_IGNORES = [
  '.git/', 'node_modules/', 'dist/', 'build/', 'out/', '.venv/', 'venv/', '__pycache__/', '*.pyc', '.DS_Store',
  '*.log', '.next/', '.nuxt/', '.turbo/', '.cache/', '.parcel-cache/', '.pytest_cache/', '.mypy_cache/', '.tox/',
  'coverage/', 'target/', '.gradle/', '.idea/', '.vscode-test/',
];

// The repository's own config must not run anything: core.fsmonitor names a program git would start.
const SAFE_GIT = ['-c', 'core.fsmonitor=false', '-c', 'core.untrackedCache=false'];

async function isGitWorkTree(dir: string): Promise<boolean> {
  try {
    const out = await git([...SAFE_GIT, 'rev-parse', '--is-inside-work-tree'], { cwd: dir, env: envWithoutGit() });
    return out.toString('utf8').trim() === 'true';
  } catch {
    return false;
  }
}

/** Tracked plus untracked-but-not-ignored paths under `dir`, relative to it. */
async function gitListing(dir: string): Promise<string[]> {
  const out = await git([...SAFE_GIT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: dir, env: envWithoutGit() });
  return [...new Set(out.toString('utf8').split('\0').filter(Boolean))];
}

async function plainListing(dir: string): Promise<string[]> {
  const rules: Ignore = ignore().add(DEFAULT_IGNORES);
  const own = await readFile(path.join(dir, '.gitignore'), 'utf8').catch(() => null);
  if (own !== null) rules.add(own);
  const files: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!rules.ignores(`${child}/`)) await walk(child);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !rules.ignores(child)) {
        files.push(child);
      }
    }
  }
  await walk('');
  return files;
}

export interface RepoListing {
  files: string[];
  /** `dir` is a git work tree (the files are git's view). */
  git: boolean;
}

/** The files a sandbox copy of `dir` holds: git's view in a work tree, otherwise a walk with default ignores. */
export async function listRepository(dir: string): Promise<RepoListing> {
  if (await isGitWorkTree(dir)) return { files: await gitListing(dir), git: true };
  return { files: await plainListing(dir), git: false };
}
