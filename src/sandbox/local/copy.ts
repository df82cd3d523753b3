import { constants, copyFile, lstat, mkdir, readdir, readFile, readlink, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { canonicalize, isWithin } from '../../tools/paths';
import { envWithoutGit, git } from './git';

/** What a non-git folder leaves out of the copy (plus the patterns of its own root .gitignore). */
export const DEFAULT_IGNORES = [
  '.git/', 'node_modules/', 'dist/', 'build/', 'out/', '.venv/', 'venv/', '__pycache__/', '*.pyc', '.DS_Store',
  '*.log', '.next/', '.nuxt/', '.turbo/', '.cache/', '.parcel-cache/', '.pytest_cache/', '.mypy_cache/', '.tox/',
  'coverage/', 'target/', '.gradle/', '.idea/', '.vscode-test/',
];

const COPY_CONCURRENCY = 32;
const PROGRESS_EVERY = 500;

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

/** The files a sandbox copy of `dir` holds: git's view in a work tree, otherwise a walk with default ignores. */
export async function listRepository(dir: string): Promise<{ files: string[]; git: boolean }> {
  if (await isGitWorkTree(dir)) return { files: await gitListing(dir), git: true };
  return { files: await plainListing(dir), git: false };
}

function safeRelative(rel: string): boolean {
  const parts = rel.split('/');
  return !path.isAbsolute(rel) && !rel.includes('\0') && parts.every((p) => p !== '' && p !== '.' && p !== '..' && p !== '.git');
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Copies `files` (relative to `from`) into `to` as an independent snapshot: regular files with their permission
 * bits (copyFile keeps them; copy-on-write clones where the filesystem has them), symlinks as links. Directories in
 * the list (submodules, nested repositories) and special files are skipped. Returns the paths actually copied.
 */
export async function copySnapshot(from: string, to: string, files: readonly string[], onProgress?: (message: string) => void): Promise<string[]> {
  const regular: string[] = [];
  const links: { rel: string; target: string }[] = [];
  let scanned = 0;
  await pool(files.filter(safeRelative), COPY_CONCURRENCY, async (rel) => {
    const info = await lstat(path.join(from, rel)).catch(() => null);
    if (info?.isFile()) regular.push(rel);
    else if (info?.isSymbolicLink()) links.push({ rel, target: await readlink(path.join(from, rel)) });
  });
  // Each directory once, parents first.
  const dirs = [...new Set(regular.map((rel) => path.posix.dirname(rel)))].filter((d) => d !== '.').sort();
  for (const dir of dirs) await mkdir(path.join(to, dir), { recursive: true });
  await pool(regular, COPY_CONCURRENCY, async (rel) => {
    await copyFile(path.join(from, rel), path.join(to, rel), constants.COPYFILE_FICLONE);
    if (++scanned % PROGRESS_EVERY === 0) onProgress?.(`Copying the repository: ${scanned} of ${regular.length} files`);
  });
  // Links last, so no file copy is written through a link created earlier; and none is placed through another link.
  const realTo = await realpath(to);
  const placed: string[] = [];
  for (const { rel, target } of links) {
    const dest = path.join(to, rel);
    if (!isWithin(realTo, await canonicalize(path.dirname(dest)))) continue;
    await mkdir(path.dirname(dest), { recursive: true });
    await symlink(target, dest);
    placed.push(rel);
  }
  onProgress?.(`Copied ${regular.length + placed.length} files`);
  return [...regular, ...placed].sort();
}
