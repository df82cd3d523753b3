import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isolatedGitEnv } from '../../../src/sandbox/repo/git';

export function gitIn(cwd: string, args: string[], input?: string | Buffer): string {
  return execFileSync('git', args, { cwd, env: isolatedGitEnv({}), input, encoding: 'utf8' });
}

export type Entry = string | Buffer | { link: string } | { data: string | Buffer; mode: number };

export async function writeTree(root: string, entries: Record<string, Entry>): Promise<void> {
  for (const [rel, entry] of Object.entries(entries)) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) await writeFile(file, entry);
    else if ('link' in entry) await symlink(entry.link, file);
    else {
      await writeFile(file, entry.data);
      await chmod(file, entry.mode);
    }
  }
}

/** A git repository with `committed` in one commit and `untracked` left untracked. */
export async function makeRepo(root: string, committed: Record<string, Entry>, untracked: Record<string, Entry> = {}): Promise<void> {
  await mkdir(root, { recursive: true });
  gitIn(root, ['init', '-q']);
  await writeTree(root, committed);
  gitIn(root, ['add', '-A', '-f']);
  gitIn(root, ['commit', '-q', '-m', 'initial']);
  await writeTree(root, untracked);
}

/** Every file below `root` except .git dirs: path → content description (bytes, link target, exec bit). */
export async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(rel: string): Promise<void> {
    for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = path.join(root, child);
      const info = await lstat(abs);
      if (info.isDirectory()) await walk(child);
      else if (info.isSymbolicLink()) out.set(child, `link:${await readlink(abs)}`);
      else out.set(child, `${info.mode & 0o111 ? 'x' : '-'}:${(await readFile(abs)).toString('base64')}`);
    }
  }
  await walk('');
  return out;
}
