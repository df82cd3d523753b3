import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../log/fsutil';
import type { FileChange, FileSide, WorkspaceChanges } from '../sandbox/types';
import { baselineEntry, describe, entryHash, lstatOrNull, readEntry, sameEntry, targetEntry, type Entry } from './repo-entry';

// Lands a session's changes in the user's repository (ARCHITECTURE.md invariant 6). The rules:
// - A path is written only when the repository still holds what the session started from there (or what an
//   earlier apply of this session wrote); anything else is a conflict, and a conflict anywhere writes nothing.
// - A path that already holds what the session wants is left alone ("already applied").
// - Entries are compared without following links: a link is its target text, and a path below a linked directory
//   or a file is blocked unless this apply removes that link or file first.
// - Files are written to a temporary name and renamed into place, so a repository file hard-linked elsewhere is
//   replaced, never written through, and a link at the path is replaced by the file instead of followed.
// - Links the session made are created as links when their target stays inside the repository; a link to anywhere
//   else is refused.

export interface ApplyResult {
  /** Paths written (or removed). */
  applied: string[];
  /** Paths that already held what the session wants. */
  already: string[];
  conflicts: { path: string; reason: string }[];
  /** Fingerprints of what each applied or already-applied path now holds, for the next apply. */
  written: Record<string, string>;
}

export type ReadSide = (file: string, side: FileSide) => Promise<Buffer | null>;

export interface ApplyOptions {
  /** Apply only these paths. */
  only?: ReadonlySet<string>;
  /** Fingerprints an earlier apply of this session recorded: a path still holding one is not a conflict. */
  previous?: Readonly<Record<string, string>>;
  /** Plan only: report what would happen, write nothing. */
  dryRun?: boolean;
}

interface Step {
  path: string;
  target: Entry;
}

export async function applyChanges(repo: string, changes: WorkspaceChanges, read: ReadSide, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const root = await fsp.realpath(repo);
  const files = changes.files.filter((f) => !opts.only || opts.only.has(f.path));
  const touched = files.flatMap((f) => touchedPaths(f).map((p) => ({ f, p })));
  for (const { p } of touched) safeJoin(root, p);
  const removed = new Set(touched.map(({ p }) => p));
  const result: ApplyResult = { applied: [], already: [], conflicts: [], written: {} };
  const steps: Step[] = [];
  for (const { f, p } of touched) {
    const [current, baseline, target] = await Promise.all([readEntry(root, p, removed), baselineEntry(f, p, read), targetEntry(f, p, read)]);
    const refusal = target.kind === 'symlink' ? linkRefusal(root, p, target.target) : null;
    if (refusal) result.conflicts.push({ path: p, reason: refusal });
    else if (sameEntry(current, target)) result.already.push(p);
    else if (sameEntry(current, baseline) || (current.kind !== 'blocked' && opts.previous?.[p] === entryHash(current))) steps.push({ path: p, target });
    else result.conflicts.push({ path: p, reason: conflictReason(current, baseline) });
    if (target.kind === 'file' || target.kind === 'symlink' || target.kind === 'absent') result.written[p] = entryHash(target);
  }
  if (result.conflicts.length > 0 || opts.dryRun) return { ...result, applied: result.conflicts.length > 0 ? [] : steps.map((s) => s.path), written: {} };
  // Removals first: a link or file that goes may be where a directory of a later write belongs.
  for (const s of steps.filter((s) => s.target.kind === 'absent')) await removeEntry(root, s.path);
  for (const s of steps.filter((s) => s.target.kind !== 'absent').sort((a, b) => a.path.localeCompare(b.path))) await writeEntry(root, s.path, s.target);
  result.applied = steps.map((s) => s.path);
  return result;
}

function touchedPaths(f: FileChange): string[] {
  return f.status === 'renamed' && f.old_path ? [f.old_path, f.path] : [f.path];
}

function conflictReason(current: Entry, baseline: Entry): string {
  if (current.kind === 'blocked') return `its directory ${current.by} is ${current.what} in the repository`;
  if (baseline.kind === 'absent') return `the repository now has ${describe(current)} here that the session did not start from`;
  if (current.kind === 'absent') return `it was deleted in the repository since the session started`;
  if (current.kind !== baseline.kind) return `it is now ${describe(current)} in the repository; the session started from ${describe(baseline)}`;
  return current.kind === 'symlink' ? `the link was changed in the repository since the session started (now ${describe(current)})` : 'the file changed in the repository since the session started';
}

function linkRefusal(root: string, rel: string, target: string): string | null {
  const resolved = path.resolve(path.dirname(path.join(root, rel)), target);
  if (path.isAbsolute(target) || !isInside(root, resolved)) return `the session made it a symbolic link to ${target}, outside the repository; Hangar does not create links that leave the repository`;
  return null;
}

async function removeEntry(root: string, rel: string): Promise<void> {
  const file = path.join(root, rel);
  const info = await lstatOrNull(file);
  if (info && !info.isDirectory()) await fsp.unlink(file);
}

async function writeEntry(root: string, rel: string, target: Entry): Promise<void> {
  const file = path.join(root, rel);
  await ensureRealDirectory(root, path.dirname(rel));
  if (target.kind === 'symlink') {
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await fsp.symlink(target.target, tmp);
    await fsp.rename(tmp, file).catch(async (err: unknown) => {
      await fsp.rm(tmp, { force: true });
      throw err;
    });
    return;
  }
  if (target.kind !== 'file') return;
  const before = await lstatOrNull(file);
  // Keep the permission bits the user gave the file; only the executable bit follows the session.
  const base = before?.isFile() ? before.mode & 0o666 : 0o644;
  const exec = target.exec ?? (before?.isFile() ? (before.mode & 0o100) !== 0 : false);
  const mode = exec ? base | ((base & 0o444) >> 2) : base;
  await writeFileAtomic(file, target.content, { mode });
  await fsp.chmod(file, mode);
}

/** Creates the directories of `relDir` as real directories, refusing to go through a link or a file. */
async function ensureRealDirectory(root: string, relDir: string): Promise<void> {
  let dir = root;
  for (const part of relDir === '.' ? [] : relDir.split('/')) {
    dir = path.join(dir, part);
    const info = await lstatOrNull(dir);
    if (!info) await fsp.mkdir(dir);
    else if (!info.isDirectory()) throw new Error(`refusing to write below ${path.relative(root, dir)}: it is not a directory in the repository`);
  }
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root + path.sep);
}

/** Joins a repository-relative path, refusing anything that would land outside the repository. */
export function safeJoin(repo: string, rel: string): string {
  const target = path.resolve(repo, rel);
  if (!isInside(path.resolve(repo), target)) throw new Error(`refusing to write outside the repository: ${rel}`);
  return target;
}
