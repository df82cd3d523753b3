import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CloudConfig } from '../../wire/environment';
import type { Docker } from './client';
import { devcontainerImage, postCreateArgvs, readDevcontainer } from './devcontainer';
import { inspectImage, resolveUser } from './image';
import { ensureNetwork, planNetwork } from './network';
import type { Owner, SnapshotInfo, SnapshotStore } from './snapshot';
import type { ContainerSettings } from './state';

// From a provision request to everything a container for it needs: image (the environment's, or the repository's
// devcontainer), user, env, limits, network, how the files get in (overlay or copy) and, for overlay, the snapshot.
// The key identifies interchangeable containers: a warm-pool container serves a session whose plan has its key.

export const DEFAULT_IMAGE = 'hangar-sandbox:latest';

export type FileMode = 'overlay' | 'copy';

export interface SandboxPlan {
  settings: ContainerSettings;
  mode: FileMode;
  snapshot: SnapshotInfo | null;
  /** Owner the snapshot and upper dir get (null: the host user already is the sandbox user). */
  owner: Owner | null;
  repoPath: string | null;
  key: string;
}

export interface PlanRequest {
  repoPath?: string;
  environment: CloudConfig;
  onProgress?: (message: string) => void;
}

/** Overlay needs the snapshot's files to belong to the sandbox user: possible as root, or when the uids agree. */
export function ownerFor(uid: number, gid: number): { possible: boolean; owner: Owner | null } {
  const hostUid = process.getuid?.() ?? -1;
  if (hostUid === 0) return { possible: true, owner: { uid, gid } };
  return { possible: hostUid === uid, owner: null };
}

export async function planSandbox(docker: Docker, snapshots: SnapshotStore, req: PlanRequest, allowOverlay: boolean): Promise<SandboxPlan> {
  const repoPath = req.repoPath ? path.resolve(req.repoPath) : null;
  const dc = repoPath ? await readDevcontainer(repoPath) : null;
  const imageRef = dc ? await devcontainerImage(docker, dc, req.onProgress) : (req.environment.hangar.image ?? DEFAULT_IMAGE);
  const image = await inspectImage(docker, imageRef);
  const user = dc?.spec.remoteUser ?? dc?.spec.containerUser ?? (image.user || 'root');
  const who = await resolveUser(docker, image.id, user);
  const network = planNetwork(req.environment.networking);
  await ensureNetwork(docker, network);
  const settings: ContainerSettings = {
    image: imageRef,
    user,
    uid: who.uid,
    gid: who.gid,
    home: who.home,
    env: [...Object.entries(dc?.spec.containerEnv ?? {}).map(([k, v]) => `${k}=${v}`), ...network.env],
    limits: req.environment.hangar.limits,
    networkMode: network.mode,
    postCreate: dc?.spec.postCreateCommand ? postCreateArgvs(dc.spec.postCreateCommand) : [],
  };
  const { possible, owner } = ownerFor(who.uid, who.gid);
  const mode: FileMode = allowOverlay && possible ? 'overlay' : 'copy';
  const snapshot = mode === 'overlay' ? await snapshots.prepare(repoPath ?? undefined, owner, req.onProgress) : null;
  const key = createHash('sha256')
    .update(JSON.stringify({ settings, imageId: image.id, mode, snapshot: snapshot?.id ?? null, repoPath }))
    .digest('hex')
    .slice(0, 24);
  return { settings, mode, snapshot, owner, repoPath, key };
}
