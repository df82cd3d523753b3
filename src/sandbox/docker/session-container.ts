import type { Docker } from './client';
import { removeContainer, runningContainer } from './container';
import { installCa } from './egress';
import { attachHands, prepareContainer, runLifecycle, startWithHands, type Hands, type HandsContext } from './hands';
import { containerName, labels } from './names';
import { engineSocket, markRetired, releaseHeld, removeRetiredDetached } from './retire';
import type { SessionEgress } from './session-egress';
import { shipBinds } from './ship';
import type { SnapshotStore } from './snapshot';
import { writeState, type SessionState } from './state';
import { createOverlayVolume, layerDirs, linkLower } from './volume';

// A session's container after its first: new hands when the tool server or the container died (revive), and the
// container's removal when the session lets it go (stop). The session's volume, layer and state outlive both.

export interface SessionContainerContext {
  root: string;
  snapshots: SnapshotStore;
  egress: SessionEgress;
  docker(): Promise<Docker>;
  hands(): Promise<HandsContext>;
  /** The provider's teardown option: 'detached' hands removal to a detached process (retire.ts). */
  teardown: 'wait' | 'detached' | undefined;
}

/** New hands for a session: the tool server again if its container runs, else a new container on its volume. */
export async function reviveHands(c: SessionContainerContext, state: SessionState, old: Hands | null, onProgress?: (m: string) => void): Promise<Hands> {
  const ctx = await c.hands();
  if (old && (await runningContainer(ctx.docker, old.container.id))) {
    // The tool server died with the engine connection; a tunnel on that connection did too.
    await c.egress.bind(state.sessionId, old.container, state.settings);
    return attachHands(ctx, old.container, state.settings);
  }
  for (const id of [old?.container.id, state.containerId, containerName(c.root, state.sessionId)]) if (id) await removeContainer(ctx.docker, id);
  const lbl = labels(c.root, state.sessionId, state.layerId);
  if (state.mode === 'overlay') {
    // The engine may have lost the volume (pruned); its definition is all there is to it, the files are on the host.
    const dirs = layerDirs(c.root, state.layerId);
    await linkLower(dirs, c.snapshots.treeOf(state.snapshotId as string));
    await createOverlayVolume(ctx.docker, state.volume, dirs, lbl);
  }
  onProgress?.('Starting a new sandbox container on the session volume');
  const prepared = await prepareContainer(ctx, { name: containerName(c.root, state.sessionId), labels: lbl, volume: state.volume, overlay: state.mode === 'overlay', settings: state.settings });
  const { container } = prepared;
  if (state.settings.shipBinds) await shipBinds(container, state.settings);
  const started = await startWithHands(prepared, state.settings);
  if (state.settings.caCert) await installCa(container, state.settings.caCert);
  await c.egress.bind(state.sessionId, container, state.settings);
  const hands = await started.hands;
  if (!state.postCreateDone) {
    await runLifecycle(container, state.settings, state.settings.lifecycle.create, onProgress);
    state.postCreateDone = true;
  }
  await runLifecycle(container, state.settings, state.settings.lifecycle.start, onProgress);
  state.containerId = container.id;
  await writeState(c.root, state);
  return hands;
}

/** Closes the session's tools and removes its container (or retires it, with detached teardown); the state forgets it. */
export async function stopContainer(c: SessionContainerContext, state: SessionState, hands: Hands | null): Promise<void> {
  await hands?.server?.close().catch(() => undefined);
  const docker = await c.docker();
  const ids = [...new Set([hands?.container.id, state.containerId])].filter((id): id is string => !!id);
  const socket = c.teardown === 'detached' ? await engineSocket(docker) : null;
  // Retired before the state forgets the container, so a crash in between still leaves it owed for removal.
  const left = socket ? await markRetired(c.root, ids) : ids;
  for (const id of left) await removeContainer(docker, id);
  c.egress.unbind(state.sessionId);
  state.containerId = null;
  await writeState(c.root, state);
  if (c.teardown === 'detached') await releaseHeld(c.root, state.sessionId);
  if (socket && left.length < ids.length) removeRetiredDetached(socket, c.root);
}
