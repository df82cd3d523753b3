import fs from 'node:fs/promises';
import type { Container, Docker } from './client';
import { removeContainer } from './container';
import { prepareCopy, seedCopy, type CopyPreparation } from './copy-seed';
import { installCa } from './egress';
import { OverlayUnsupportedError } from './errors';
import { prepareContainer, runLifecycle, startPrepared, startWithHands, type Hands, type HandsContext } from './hands';
import { labels, POOL_SESSION, poolLabels, volumeName } from './names';
import type { PlanBase, SandboxPlan } from './plan';
import { shipBinds } from './ship';
import { StartGate, startsAtOnce } from './start-gate';
import { newLayerId } from './state';
import { createLayerDirs, createOverlayVolume, createPlainVolume, isOverlayMountFailure, layerDirs, linkLower, removeVolume } from './volume';

// Making and discarding a layer: its host dirs, its volume (overlay or plain, volume.ts) and a running container with
// tools on it, for a session or for the warm pool. Starts go through one gate per provider (start-gate.ts).

/** A layer as made: its volume and running container with tools on it. */
export interface MadeLayer {
  layerId: string;
  volume: string;
  hands: Hands;
  postCreateDone: boolean;
  seeded: boolean;
}

export interface LayerHooks {
  docker(): Promise<Docker>;
  handsContext(): Promise<HandsContext>;
}

/**
 * The tools once the files are in: copy mode's seeding and the tool server's start overlap (the server needs the
 * container, not the files). Tools attached to a container whose seeding failed are closed.
 */
async function withSeededFiles(hands: Promise<Hands>, seeding: Promise<void> | null): Promise<Hands> {
  const [h, s] = await Promise.allSettled([hands, seeding]);
  if (s.status === 'rejected') {
    if (h.status === 'fulfilled') await h.value.server?.close().catch(() => undefined);
    throw s.reason;
  }
  if (h.status === 'rejected') throw h.reason;
  return h.value;
}

export class Layers {
  private readonly gate: StartGate;
  /** Settles once the gate has its width (startsAtOnce); null: not asked yet. */
  private width: Promise<void> | null;
  /** Layers being made (the reaper keeps them). */
  readonly busy = new Set<string>();
  /** Set once the engine failed to mount an overlay: later sessions copy instead. */
  overlayBroken = false;

  constructor(
    private readonly root: string,
    /** Starts at once; undefined: one per core of the engine's machine, at most 4 (start-gate.ts). */
    parallelStarts: number | undefined,
    private readonly hooks: LayerHooks,
  ) {
    this.gate = new StartGate(parallelStarts ?? 4);
    this.width = parallelStarts === undefined ? null : Promise.resolve();
  }

  /** How many containers are made at once; the engine is asked for its cores once (again after a failure). */
  async startsAtOnce(): Promise<number> {
    this.width ??= (async () => {
      const info = (await (await this.hooks.docker()).info()) as { NCPU?: number };
      this.gate.limit = startsAtOnce(info.NCPU ?? 0);
    })();
    await this.width.catch(() => {
      this.width = null;
    });
    return this.gate.limit;
  }

  /**
   * A new layer (dirs + volume) with a running container and tools on it; cleans up after itself on failure. The
   * container is created (and the tool server copied in) while the snapshot is still being prepared: the volume's
   * lower dir is a symlink that only has to exist when the container starts.
   */
  async make(base: PlanBase, planP: Promise<SandboxPlan>, sessionLabel: string, name: string, onProgress?: (m: string) => void, layerId = newLayerId()): Promise<MadeLayer> {
    const ctx = await this.hooks.handsContext();
    await this.startsAtOnce();
    const dirs = layerDirs(this.root, layerId);
    const volume = volumeName(layerId);
    const lbl = sessionLabel === POOL_SESSION ? poolLabels(this.root, layerId) : labels(this.root, sessionLabel, layerId);
    this.busy.add(layerId);
    let containerId: string | null = null;
    // Set in the gate's callback; typed so the catch does not take it for always null.
    let copying = null as CopyPreparation | null;
    try {
      // The gate bounds what loads the engine (the container's start, its files, its tool server); the devcontainer's
      // lifecycle commands are the repository's own work, often minutes of package installs, and run outside it, so
      // they do not keep other sessions' containers from starting.
      const hands = await this.gate.run(sessionLabel === POOL_SESSION ? 'pool' : 'session', async () => {
        // Copy mode's host side (the listing, the agent's clone) needs no container: it runs while the engine makes one.
        if (base.mode === 'copy') copying = prepareCopy(base.repoPath, dirs.diffGit);
        const created = (async () => {
          if (base.mode === 'overlay') {
            await createLayerDirs(dirs, base.owner);
            await createOverlayVolume(ctx.docker, volume, dirs, lbl);
          } else {
            await createPlainVolume(ctx.docker, volume, lbl);
          }
          const prepared = await prepareContainer(ctx, { name, labels: lbl, volume, overlay: base.mode === 'overlay', settings: base.settings });
          containerId = prepared.container.id;
          if (base.settings.shipBinds) await shipBinds(prepared.container, base.settings);
          return prepared;
        })();
        const [plan, prepared] = await Promise.all([planP, created]);
        const { container } = prepared;
        if (plan.snapshot) await linkLower(dirs, plan.snapshot.tree);
        const { hands } = await startWithHands(prepared, base.settings, (c) => this.start(c, base));
        if (base.settings.caCert) await installCa(container, base.settings.caCert);
        return withSeededFiles(hands, copying ? seedCopy(container, base.repoPath, base.settings, copying, onProgress) : null);
      });
      const { create, start } = base.settings.lifecycle;
      await runLifecycle(hands.container, base.settings, [...create, ...start], onProgress);
      return { layerId, volume, hands, postCreateDone: true, seeded: base.mode === 'copy' };
    } catch (err) {
      await copying?.dispose();
      await this.discard(layerId, volume, containerId ?? name).catch(() => undefined);
      throw err;
    } finally {
      this.busy.delete(layerId);
    }
  }

  /** Starts a prepared container; an overlay mount the engine cannot make switches this provider to copy mode. */
  private async start(container: Container, base: PlanBase): Promise<void> {
    try {
      await startPrepared(container, base.settings);
    } catch (err) {
      if (base.mode === 'overlay' && isOverlayMountFailure(err)) {
        this.overlayBroken = true;
        throw new OverlayUnsupportedError((err as Error).message);
      }
      throw err;
    }
  }

  async discard(layerId: string, volume: string, container: string): Promise<void> {
    const docker = await this.hooks.docker();
    await removeContainer(docker, container);
    await removeVolume(docker, volume);
    await fs.rm(layerDirs(this.root, layerId).root, { recursive: true, force: true });
  }
}
