import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FileChange, FileSide, WorkspaceChanges } from '../sandbox/types';

// Lands a session's changes in the user's repository (DESIGN.md invariant 6): only files whose repository content
// still equals the sandbox baseline are written; any file the user changed meanwhile is a conflict, and a
// conflict anywhere means nothing is written (the caller shows the names and offers per-hunk review instead).

export interface ApplyResult {
  applied: string[];
  conflicts: { path: string; reason: string }[];
}

export type ReadSide = (file: string, side: FileSide) => Promise<Buffer | null>;

export async function applyChanges(repo: string, changes: WorkspaceChanges, read: ReadSide, only?: ReadonlySet<string>): Promise<ApplyResult> {
  const files = changes.files.filter((f) => !only || only.has(f.path));
  const conflicts: ApplyResult['conflicts'] = [];
  for (const f of files) {
    for (const p of touchedPaths(f)) {
      const reason = await conflictAt(repo, p, f, read);
      if (reason) conflicts.push({ path: p, reason });
    }
  }
  if (conflicts.length > 0) return { applied: [], conflicts };
  for (const f of files) await applyOne(repo, f, read);
  return { applied: files.map((f) => f.path), conflicts: [] };
}

function touchedPaths(f: FileChange): string[] {
  return f.status === 'renamed' && f.old_path ? [f.old_path, f.path] : [f.path];
}

/** The repo file must still look like the baseline the agent started from. */
async function conflictAt(repo: string, rel: string, f: FileChange, read: ReadSide): Promise<string | null> {
  const target = safeJoin(repo, rel);
  const baseline = f.status === 'added' || (f.status === 'renamed' && rel === f.path) ? null : await read(f.status === 'renamed' ? (f.old_path ?? rel) : rel, 'baseline');
  const current = await fsp.readFile(target).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (baseline === null && current !== null) return 'the repository now has a file here that the session did not start from';
  if (baseline !== null && current === null) return 'the file was deleted in the repository since the session started';
  if (baseline !== null && current !== null && !baseline.equals(current)) return 'the file changed in the repository since the session started';
  return null;
}

async function applyOne(repo: string, f: FileChange, read: ReadSide): Promise<void> {
  const target = safeJoin(repo, f.path);
  if (f.status === 'deleted') {
    await fsp.rm(target, { force: true });
    return;
  }
  if (f.status === 'renamed' && f.old_path) await fsp.rm(safeJoin(repo, f.old_path), { force: true });
  const content = await read(f.path, 'current');
  if (content === null) throw new Error(`the sandbox no longer has ${f.path}; reload its changes and try again`);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  // A symlinked directory inside the repository must not carry the write somewhere else.
  const [realRepo, realDir] = await Promise.all([fsp.realpath(repo), fsp.realpath(path.dirname(target))]);
  if (realDir !== realRepo && !realDir.startsWith(realRepo + path.sep)) throw new Error(`refusing to write ${f.path}: its directory links outside the repository`);
  await fsp.writeFile(target, content);
  if (f.new_mode) await fsp.chmod(target, f.new_mode.endsWith('755') ? 0o755 : 0o644);
}

/** Joins a repository-relative path, refusing anything that would land outside the repository. */
export function safeJoin(repo: string, rel: string): string {
  const target = path.resolve(repo, rel);
  const root = path.resolve(repo);
  if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`refusing to write outside the repository: ${rel}`);
  return target;
}
