import fs from 'node:fs/promises';
import path from 'node:path';
import type { Docker } from './client';
import { removeContainer } from './container';
import { pidAlive } from '../../log/file-lock';
import { LABEL_LAYER, LABEL_MANAGED, LABEL_POOL_OWNER, LABEL_ROOT, LABEL_SESSION, POOL_SESSION, poolContainerName, rootKey, volumeName } from './names';
import type { SnapshotStore } from './snapshot';
import { listStates, removeState } from './state';
import { layerDirs, removeVolume } from './volume';

// Removes what sessions that no longer exist left behind: labelled containers and volumes, host layer dirs, state
// files, and snapshots nothing uses. A container or volume is kept when its layer belongs to a live session (a
// claimed warm-pool container still carries the pool label) or to this process' pool and in-flight provisions. Another
// live process' warm containers are kept too; those of a process that died without draining its pool are not
// (sweepOrphanPools removes them as soon as a provider connects, without a full reap).

interface Listed {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
}

/** An unclaimed warm container of `root` (claiming renames it after its session), with the process that keeps it. */
function unclaimedPool(root: string, c: Listed): { layer: string; owner: number } | null {
  const layer = c.Labels[LABEL_LAYER];
  if (c.Labels[LABEL_SESSION] !== POOL_SESSION || !layer || !c.Names.includes(`/${poolContainerName(root, layer)}`)) return null;
  return { layer, owner: Number(c.Labels[LABEL_POOL_OWNER]) };
}

/** Kept by another process that is still running. */
function othersLivePool(root: string, c: Listed): string | null {
  const pool = unclaimedPool(root, c);
  return pool && pool.owner !== process.pid && pidAlive(pool.owner) ? pool.layer : null;
}

/** Removes the unclaimed warm containers (and their volumes and layer dirs) whose process is gone; returns how many. */
export async function sweepOrphanPools(docker: Docker, root: string): Promise<number> {
  const filters = { label: [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(root)}`, `${LABEL_SESSION}=${POOL_SESSION}`] };
  let removed = 0;
  for (const c of await docker.listContainers({ all: true, filters })) {
    const pool = unclaimedPool(root, c);
    if (!pool || pidAlive(pool.owner)) continue;
    await removeContainer(docker, c.Id);
    await removeVolume(docker, volumeName(pool.layer));
    await fs.rm(layerDirs(root, pool.layer).root, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

export interface ReapInput {
  docker: Docker;
  root: string;
  snapshots: SnapshotStore;
  liveSessions: ReadonlySet<string>;
  /** Layers being made or sitting in this process' warm pool. */
  busyLayers: ReadonlySet<string>;
  poolSnapshots: ReadonlySet<string>;
}

/** Returns the ids of the sessions whose leftovers were removed. */
export async function reapLeftovers(input: ReapInput): Promise<string[]> {
  const { docker, root, liveSessions } = input;
  const states = await listStates(root);
  const liveStates = states.filter((s) => liveSessions.has(s.sessionId));
  const ours = [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(root)}`];
  const containers = await docker.listContainers({ all: true, filters: { label: ours } });
  const otherPools = containers.flatMap((c) => othersLivePool(root, c) ?? []);
  const keepLayers = new Set([...input.busyLayers, ...liveStates.map((s) => s.layerId), ...otherPools]);
  const removed = new Set<string>();
  const keeps = (labels: Record<string, string> | undefined): boolean => {
    const layer = labels?.[LABEL_LAYER];
    const session = labels?.[LABEL_SESSION];
    return (layer !== undefined && keepLayers.has(layer)) || (session !== undefined && liveSessions.has(session));
  };
  const note = (labels: Record<string, string> | undefined) => {
    const session = labels?.[LABEL_SESSION];
    if (session && session !== 'pool' && session !== 'probe') removed.add(session);
  };

  // Image probes (image.ts) live for milliseconds; one older than a minute was left by a crash.
  const probes = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_SESSION}=probe`] } });
  for (const c of probes) if (Date.now() / 1000 - c.Created > 60) await removeContainer(docker, c.Id);
  for (const c of containers) {
    if (keeps(c.Labels)) continue;
    await removeContainer(docker, c.Id);
    note(c.Labels);
  }
  const { Volumes: volumes } = await docker.listVolumes({ filters: { label: ours } });
  for (const v of volumes ?? []) {
    if (keeps(v.Labels ?? undefined)) continue;
    await removeVolume(docker, v.Name);
    note(v.Labels ?? undefined);
  }
  for (const s of states) {
    if (liveSessions.has(s.sessionId)) continue;
    await removeState(root, s.sessionId);
    removed.add(s.sessionId);
  }
  for (const layerId of await fs.readdir(path.join(root, 'layers')).catch(() => [] as string[])) {
    if (!keepLayers.has(layerId)) await fs.rm(layerDirs(root, layerId).root, { recursive: true, force: true });
  }
  // Another process' warm container stands on the snapshot its layer's lower dir links to.
  const otherSnapshots = await Promise.all(otherPools.map((layer) => fs.readlink(layerDirs(root, layer).lower).then((tree) => [path.basename(path.dirname(tree))], () => [])));
  const inUse = new Set([...input.poolSnapshots, ...otherSnapshots.flat(), ...liveStates.flatMap((s) => (s.snapshotId ? [s.snapshotId] : []))]);
  await input.snapshots.gc(inUse);
  return [...removed].sort();
}
