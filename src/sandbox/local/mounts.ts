import { chmod, copyFile, cp, lstat, mkdir, readdir, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { SESSION_OUTPUTS_DIR } from '../../wire/file';
import type { SandboxMount } from '../types';

// The local provider's mounts: without a root of its own, an absolute sandbox path P lives at <sandbox dir>/P. Files
// are copied there read-only (mode 0444 in 0555 directories); commands run as the user, who could chmod them back, so
// read-only here is a guard against accidents, not isolation (the Docker provider bind-mounts them read-only). The
// outputs directory is a symlink to the host directory the runtime captures from.

export function localMountPath(sandboxDir: string, target: string): string {
  return path.join(sandboxDir, ...target.split('/').filter(Boolean));
}

/** Writable folders (a session's read_write memory stores) are symlinks to their host folder, like the outputs. */
export async function linkWritable(sandboxDir: string, writable: readonly SandboxMount[]): Promise<void> {
  for (const m of writable) {
    const link = localMountPath(sandboxDir, m.target);
    await mkdir(path.dirname(link), { recursive: true });
    if (!(await lstat(link).catch(() => null))) await symlink(m.source, link, 'dir');
  }
}

export async function placeMounts(sandboxDir: string, mounts: readonly SandboxMount[], outputsDir: string | undefined): Promise<void> {
  const folders: SandboxMount[] = [];
  for (const m of mounts) {
    if ((await stat(m.source)).isDirectory()) {
      folders.push(m);
      continue;
    }
    const at = localMountPath(sandboxDir, m.target);
    await mkdir(path.dirname(at), { recursive: true });
    // A file added to a live session goes into a directory an earlier placement made read-only.
    await chmod(path.dirname(at), 0o755);
    await rm(at, { force: true });
    await copyFile(m.source, at);
    await chmod(at, 0o444);
  }
  for (const dir of new Set(mounts.filter((m) => !folders.includes(m)).map((m) => path.dirname(localMountPath(sandboxDir, m.target))))) await chmod(dir, 0o555);
  if (outputsDir) {
    const link = localMountPath(sandboxDir, SESSION_OUTPUTS_DIR);
    await mkdir(path.dirname(link), { recursive: true });
    if (!(await lstat(link).catch(() => null))) await symlink(outputsDir, link, 'dir');
  }
  // A folder (the session's skills) is copied whole and made read-only below its top; its parent stays writable.
  for (const m of folders) {
    const at = localMountPath(sandboxDir, m.target);
    await mkdir(path.dirname(at), { recursive: true });
    await chmod(at, 0o755).catch(() => undefined);
    await unlockMounts(at, []);
    await rm(at, { recursive: true, force: true });
    await cp(m.source, at, { recursive: true });
    await lockFolder(at);
  }
}

/** Makes the read-only mount directories writable again, so the sandbox directory can be removed (as a non-root user). */
export async function unlockMounts(sandboxDir: string, keep: readonly string[]): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755).catch(() => undefined);
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(path.join(dir, e.name));
  };
  for (const e of await readdir(sandboxDir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory() && !keep.includes(e.name)) await walk(path.join(sandboxDir, e.name));
  }
}

/** Files 0444 and folders 0555, from `dir` down. */
async function lockFolder(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await lockFolder(p);
    else await chmod(p, 0o444);
  }
  await chmod(dir, 0o555);
}
