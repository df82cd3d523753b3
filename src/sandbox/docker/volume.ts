import fs from 'node:fs/promises';
import path from 'node:path';
import type { Docker } from './client';
import { isConflict, isNotFound, OverlayUnsupportedError } from './errors';
import type { Owner } from './snapshot';

// A session's files: a "layer" of host dirs under the storage root plus the engine volume mounted at /workspace.
// Overlay mode: the volume is a local-driver overlay mount (lower = the shared snapshot, upper/work = this layer's
// dirs), so it is ready in one mount whatever the repository's size, and the upper dir is exactly what changed.
// redirect_dir/metacopy/index stay off (userxattr implies it), so the upper dir is plain files, whiteouts and opaque
// markers; userxattr keeps those markers in user.* attributes a non-root host user can read.
// Copy mode (engines that cannot mount host paths): a plain named volume the repository is streamed into.

export interface LayerDirs {
  root: string;
  /** Symlink to the snapshot tree: the volume can be defined before the snapshot is ready (mount follows it). */
  lower: string;
  upper: string;
  work: string;
  diffGit: string;
  /** A warm container's outputs dir, bound at /mnt/session/outputs until a session claims it and takes the dir. */
  outputs: string;
}

export function layerDirs(storageRoot: string, layerId: string): LayerDirs {
  const root = path.join(storageRoot, 'layers', layerId);
  return { root, lower: path.join(root, 'lower'), upper: path.join(root, 'upper'), work: path.join(root, 'work'), diffGit: path.join(root, 'diff.git'), outputs: path.join(root, 'outputs') };
}

export async function createLayerDirs(dirs: LayerDirs, owner: Owner | null): Promise<void> {
  await fs.mkdir(dirs.upper, { recursive: true, mode: 0o755 });
  await fs.mkdir(dirs.work, { recursive: true, mode: 0o700 });
  // The overlay's root directory takes the upper dir's owner: the sandbox user must be able to write /workspace.
  if (owner) await fs.chown(dirs.upper, owner.uid, owner.gid);
}

const OPTION_BREAKERS = /[,:\s]/;

/** Points the layer at its snapshot; must happen before the volume is first mounted (container start). */
export async function linkLower(dirs: LayerDirs, snapshotTree: string): Promise<void> {
  await fs.rm(dirs.lower, { force: true });
  await fs.symlink(snapshotTree, dirs.lower);
}

export async function createOverlayVolume(docker: Docker, name: string, dirs: LayerDirs, labels: Record<string, string>): Promise<void> {
  for (const p of [dirs.lower, dirs.upper, dirs.work]) {
    if (OPTION_BREAKERS.test(p)) throw new OverlayUnsupportedError(`the path ${p} contains a comma, colon or space, which overlay mount options cannot carry`);
  }
  try {
    await docker.createVolume({
      Name: name,
      Driver: 'local',
      DriverOpts: { type: 'overlay', device: 'overlay', o: `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work},userxattr` },
      Labels: labels,
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

export async function createPlainVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<void> {
  await docker.createVolume({ Name: name, Driver: 'local', Labels: labels });
}

export async function removeVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Does a container start with this engine fail because of the overlay volume (host paths it cannot see)? */
export function isOverlayMountFailure(err: unknown): boolean {
  const message = String((err as { message?: unknown })?.message ?? err);
  return /error while mounting volume|failed to mount local volume|no such file or directory.*(lowerdir|upperdir)|invalid argument/i.test(message);
}
