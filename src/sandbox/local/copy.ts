import { constants, copyFile, lstat, mkdir, readlink, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { canonicalize, isWithin } from '../../tools/paths';
import { isRepoPath } from '../repo/paths';
import { pool } from './pool';

const COPY_CONCURRENCY = 32;
const PROGRESS_EVERY = 500;

/**
 * Copies `files` (relative to `from`) into `to` as an independent snapshot: regular files with their permission
 * bits (copyFile keeps them; copy-on-write clones where the filesystem has them), symlinks as links. Directories in
 * the list (submodules, nested repositories) and special files are skipped. Returns the paths actually copied.
 */
export async function copySnapshot(from: string, to: string, files: readonly string[], onProgress?: (message: string) => void): Promise<string[]> {
  const regular: string[] = [];
  const links: { rel: string; target: string }[] = [];
  let scanned = 0;
  await pool(files.filter(isRepoPath), COPY_CONCURRENCY, async (rel) => {
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
