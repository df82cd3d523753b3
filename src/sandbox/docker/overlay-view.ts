import fs from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../../tools/paths';
import type { IgnoreRules } from '../repo/gitignore';
import { opaqueDirs } from './opaque';
import type { LowerIndex } from './snapshot';

// Reads an overlay session's state from the host without a container: the lower layer is the snapshot, the upper
// dir holds everything the session wrote. Whiteouts (char devices 0/0) are deletions, opaque directories hide the
// lower directory's content. redirect_dir and metacopy are off (see volume.ts), so every changed file is whole in
// the upper dir and a directory rename shows up as a copy plus a whiteout.

export interface UpperFile {
  abs: string;
  kind: 'f' | 'l';
  mode: number;
}

export interface OverlayScan {
  /** Paths whose upper file is now the visible one. */
  current: Map<string, UpperFile>;
  /** Lower files that are hidden (deleted, or replaced by a directory or by an opaque directory's content). */
  hidden: Set<string>;
}

function isGitDir(name: string): boolean {
  return name === '.git';
}

function lowerFilesUnder(lower: LowerIndex, dir: string): string[] {
  const prefix = `${dir}/`;
  let lo = 0;
  let hi = lower.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((lower.sorted[mid] as string) < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: string[] = [];
  for (let i = lo; i < lower.sorted.length && (lower.sorted[i] as string).startsWith(prefix); i++) out.push(lower.sorted[i] as string);
  return out;
}

/**
 * Everything the session changed, in O(entries of the upper dir). New paths that the workspace's .gitignore files
 * ignore are left out, and an ignored new directory is not even walked (a fresh node_modules costs nothing).
 */
export async function scanUpper(upper: string, lower: LowerIndex, ignores: IgnoreRules): Promise<OverlayScan> {
  const current = new Map<string, UpperFile>();
  const hiddenRoots: string[] = [];
  const candidates: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(upper, rel), { withFileTypes: true });
    for (const e of entries) {
      if (isGitDir(e.name)) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(upper, child);
      const untracked = !lower.files.has(child) && !lower.dirs.has(child);
      if (untracked && !e.isCharacterDevice() && (await ignores.ignored(child, e.isDirectory()))) continue;
      if (e.isCharacterDevice()) {
        if ((await fs.lstat(abs)).rdev === 0) hiddenRoots.push(child);
      } else if (e.isDirectory()) {
        if (lower.files.has(child)) hiddenRoots.push(child);
        if (lower.dirs.has(child)) candidates.push(child);
        await walk(child);
      } else if (e.isFile() || e.isSymbolicLink()) {
        const st = await fs.lstat(abs);
        current.set(child, { abs, kind: e.isSymbolicLink() ? 'l' : 'f', mode: st.mode & 0o777 });
        if (lower.dirs.has(child)) hiddenRoots.push(child);
      }
    }
  };
  await walk('');
  const opaque = await opaqueDirs(candidates.map((c) => path.join(upper, c)));
  for (const c of candidates) if (opaque.has(path.join(upper, c))) hiddenRoots.push(c);
  const hidden = new Set<string>();
  for (const root of hiddenRoots) {
    if (lower.files.has(root)) hidden.add(root);
    for (const f of lowerFilesUnder(lower, root)) hidden.add(f);
  }
  return { current, hidden };
}

async function lstatOrNull(abs: string) {
  try {
    return await fs.lstat(abs);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw err;
  }
}

async function contentOf(abs: string, isLink: boolean): Promise<Buffer> {
  return isLink ? Buffer.from(await fs.readlink(abs), 'utf8') : fs.readFile(abs);
}

/**
 * A file's bytes in the merged view (a symlink yields its target text, as git stores it); null when it does not
 * exist there. Parent directories are taken literally: a path through a symlinked directory is not followed.
 */
export async function readMerged(upper: string, lower: LowerIndex, rel: string): Promise<Buffer | null> {
  const parts = rel.split('/');
  const upperDirs: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    const st = await lstatOrNull(path.join(upper, dir));
    if (!st) {
      // Nothing above this point in the upper dir: the lower layer alone decides.
      if (!lower.dirs.has(dir)) return null;
      break;
    }
    if (!st.isDirectory()) return null;
    upperDirs.push(path.join(upper, dir));
  }
  const st = await lstatOrNull(path.join(upper, rel));
  if (st) return st.isFile() || st.isSymbolicLink() ? contentOf(path.join(upper, rel), st.isSymbolicLink()) : null;
  const low = lower.files.get(rel);
  if (!low) return null;
  if ((await opaqueDirs(upperDirs)).size > 0) return null;
  return contentOf(path.join(lower.tree, rel), low.kind === 'l');
}

export async function readLower(lower: LowerIndex, rel: string): Promise<Buffer | null> {
  const low = lower.files.get(rel);
  return low ? contentOf(path.join(lower.tree, rel), low.kind === 'l') : null;
}
