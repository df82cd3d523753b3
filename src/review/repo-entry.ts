import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FileChange } from '../sandbox/types';
import type { ReadSide } from './apply';

// What one path of the user's repository holds, seen without following symbolic links: apply compares it with what
// the session started from and what it wants there, so a link is compared as a link (its target text) and a file
// reached through a linked directory is never mistaken for a file of the repository.

export type Entry =
  | { kind: 'absent' }
  | { kind: 'file'; content: Buffer; /** null: unknown, not compared */ exec: boolean | null }
  | { kind: 'symlink'; target: string }
  | { kind: 'directory' }
  | { kind: 'other' }
  /** A parent of the path is a symbolic link or a file: writing here would go through it. */
  | { kind: 'blocked'; by: string; what: string };

const SYMLINK_MODE = '120000';
const ABSENT: Entry = { kind: 'absent' };

export function describe(e: Entry): string {
  switch (e.kind) {
    case 'absent':
      return 'nothing';
    case 'file':
      return 'a file';
    case 'symlink':
      return `a symbolic link to ${e.target}`;
    case 'directory':
      return 'a directory';
    case 'other':
      return 'a special file';
    case 'blocked':
      return `below ${e.what} (${e.by})`;
  }
}

export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.kind === 'file' && b.kind === 'file') return a.content.equals(b.content) && (a.exec === null || b.exec === null || a.exec === b.exec);
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  return a.kind === b.kind && (a.kind === 'absent' || a.kind === 'directory');
}

/** A stable fingerprint of what apply wrote at a path (recorded, so a later apply knows its own work). */
export function entryHash(e: Entry): string {
  const h = createHash('sha256').update(e.kind);
  if (e.kind === 'file') h.update(e.exec ? 'x' : '-').update(e.content);
  if (e.kind === 'symlink') h.update(e.target);
  return h.digest('hex');
}

/**
 * The repository's entry at `rel`. `removed` names paths this apply deletes or replaces: a linked directory or a
 * file among them is about to go, so what lies below it counts as absent instead of blocked.
 */
export async function readEntry(repo: string, rel: string, removed: ReadonlySet<string>): Promise<Entry> {
  const parts = rel.split('/');
  let dir = repo;
  for (let i = 0; i < parts.length - 1; i++) {
    const prefix = parts.slice(0, i + 1).join('/');
    const info = await lstatOrNull(path.join(dir, parts[i] as string));
    if (!info) return ABSENT;
    if (info.isDirectory()) {
      dir = path.join(dir, parts[i] as string);
      continue;
    }
    if (removed.has(prefix)) return ABSENT;
    return { kind: 'blocked', by: prefix, what: info.isSymbolicLink() ? 'a symbolic link' : 'a file' };
  }
  const file = path.join(dir, parts.at(-1) as string);
  const info = await lstatOrNull(file);
  if (!info) return ABSENT;
  if (info.isSymbolicLink()) return { kind: 'symlink', target: await fsp.readlink(file) };
  if (info.isDirectory()) return { kind: 'directory' };
  if (!info.isFile()) return { kind: 'other' };
  return { kind: 'file', content: await fsp.readFile(file), exec: (info.mode & 0o100) !== 0 };
}

/** The entry the session started from at `rel` (one of the paths `f` touches). */
export async function baselineEntry(f: FileChange, rel: string, read: ReadSide): Promise<Entry> {
  if (f.status === 'added' || (f.status === 'renamed' && rel === f.path)) return ABSENT;
  return fromSide(await read(f.status === 'renamed' ? (f.old_path ?? rel) : rel, 'baseline'), f.old_mode);
}

/** The entry the session wants at `rel`. */
export async function targetEntry(f: FileChange, rel: string, read: ReadSide): Promise<Entry> {
  if (f.status === 'deleted' || (f.status === 'renamed' && rel !== f.path)) return ABSENT;
  const content = await read(f.path, 'current');
  if (content === null) throw new Error(`the sandbox no longer has ${f.path}; look at the session's changes again and retry`);
  return fromSide(content, f.new_mode);
}

function fromSide(content: Buffer | null, mode: string | undefined): Entry {
  if (content === null) return ABSENT;
  if (mode === SYMLINK_MODE) return { kind: 'symlink', target: content.toString('utf8') };
  return { kind: 'file', content, exec: mode === undefined ? null : mode === '100755' };
}

export async function lstatOrNull(file: string) {
  return fsp.lstat(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? null : Promise.reject(err)));
}
