import fs from 'node:fs/promises';
import path from 'node:path';
import type { Docker } from './client';
import { removeContainer } from './container';
import { LABEL_LAYER, LABEL_MANAGED, LABEL_ROOT, LABEL_SESSION, rootKey } from './names';
import type { SnapshotStore } from './snapshot';
import { listStates, removeState } from './state';
import { layerDirs, removeVolume } from './volume';

// Removes what sessions that no longer exist left behind: labelled containers and volumes, host layer dirs, state
// files, and snapshots nothing uses. A container or volume is kept when its layer belongs to a live session (a
// claimed warm-pool container still carries the pool label) or to this process' pool and in-flight provisions.

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
  const keepLayers = new Set([...input.busyLayers, ...liveStates.map((s) => s.layerId)]);
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

  const ours = [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(root)}`];
  const containers = await docker.listContainers({ all: true, filters: { label: ours } });
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
  const inUse = new Set([...input.poolSnapshots, ...liveStates.flatMap((s) => (s.snapshotId ? [s.snapshotId] : []))]);
  await input.snapshots.gc(inUse);
  return [...removed].sort();
}
