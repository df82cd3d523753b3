import fs from 'node:fs/promises';
import os from 'node:os';
import type { Sandbox } from '../types';
import type { Container, Docker } from './client';
import { removeContainer, runningContainer } from './container';
import { isConflict } from './errors';
import type { Hands } from './hands';
import type { Layers, MadeLayer } from './layer';
import { containerName, POOL_SESSION, poolContainerName } from './names';
import { outputsSource, poolable, withOutputsSource, type SandboxPlan } from './plan';
import { WarmPool, type PoolEntry, type PoolSizing } from './pool';
import { claimRecord, release } from './shared-pool';
import type { ContainerSettings } from './state';
import { newLayerId } from './state';
import { layerDirs } from './volume';

// Claiming and filling warm containers: this process' pool (pool.ts keeps the entries) and the ones other processes
// keep for one-shot runs (shared-pool.ts). A fill makes a layer and container for a plan as a session would have it,
// but under a pool name and with an outputs dir of its own; a claim makes one the session's.

export interface WarmHooks {
  docker(): Promise<Docker>;
  /** Tools on a running container (a shared warm container has none connected to this process). */
  attach(container: Container, settings: ContainerSettings): Promise<Hands>;
  /** Records the layer as the session's and returns its sandbox. */
  record(sessionId: string, plan: SandboxPlan, made: MadeLayer): Promise<Sandbox>;
}

type WarmLayer = Omit<MadeLayer, 'hands'> & { outputsDir: string | null };

/**
 * What one idle warm container is taken to hold in memory (its tool server's Node.js and shell, the engine's shim),
 * about 36 MiB in `docker stats`, counted as 128: a pool grows for a burst only while a quarter of this machine's memory stays free.
 */
const WARM_CONTAINER_BYTES = 128 * 1024 * 1024;

function memoryRoom(): number {
  return Math.floor((os.freemem() - os.totalmem() / 4) / WARM_CONTAINER_BYTES);
}

/** A warm container for the plan's key; where the plan binds a session's outputs dir, it binds one of its own. */
export async function makeWarmEntry(root: string, layers: Layers, sessionPlan: SandboxPlan): Promise<PoolEntry> {
  const layerId = newLayerId();
  let plan = sessionPlan;
  let outputsDir: string | null = null;
  if (outputsSource(plan.settings) !== null) {
    outputsDir = layerDirs(root, layerId).outputs;
    await fs.mkdir(outputsDir, { recursive: true });
    // As the runtime makes a session's (session-files.ts): whatever uid the sandbox user has, it writes there.
    await fs.chmod(outputsDir, 0o777);
    plan = { ...plan, settings: withOutputsSource(plan.settings, outputsDir) };
  }
  const made = await layers.make(plan, Promise.resolve(plan), POOL_SESSION, poolContainerName(root, layerId), undefined, layerId);
  return { key: plan.key, plan, ...made, outputsDir };
}

export class WarmClaims {
  readonly pool: WarmPool;

  constructor(
    private readonly root: string,
    sizing: PoolSizing,
    private readonly layers: Layers,
    private readonly hooks: WarmHooks,
  ) {
    this.pool = new WarmPool({ room: memoryRoom, ...sizing }, {
      make: (plan) => makeWarmEntry(root, layers, plan),
      discard: (entry) => layers.discard(entry.layerId, entry.volume, entry.hands.container.id),
    });
  }

  /** A warm container of this process' pool for the plan, made the session's; null when it has none that still runs. */
  async claim(sessionId: string, plan: SandboxPlan): Promise<Sandbox | null> {
    if (poolable(plan.settings)) this.pool.asked();
    for (let entry = this.pool.take(plan.key); entry; entry = this.pool.take(plan.key)) {
      const taken = entry;
      // A live tool server connection is a running container (its stream closes when the container stops): no inspect.
      const sandbox = await this.adopt(sessionId, plan, taken, taken.hands.container, async () => taken.hands, taken.hands.server?.alive === true).catch(() => null);
      if (sandbox) {
        void this.pool.fill(plan).catch(() => undefined);
        return sandbox;
      }
      this.pool.discard(entry);
    }
    return null;
  }

  /**
   * A warm container another process keeps for the plan (shared-pool.ts), made the session's; null when there is none
   * or every one this process took turned out dead (each is removed).
   */
  async claimShared(sessionId: string, plan: SandboxPlan): Promise<Sandbox | null> {
    for (let rec = await claimRecord(this.root, plan.key); rec; rec = await claimRecord(this.root, plan.key)) {
      const docker = await this.hooks.docker();
      const container = docker.getContainer(rec.containerId);
      const layer: WarmLayer = { layerId: rec.layerId, volume: rec.volume, postCreateDone: rec.postCreateDone, seeded: false, outputsDir: rec.outputsDir };
      const sandbox = await this.adopt(sessionId, plan, layer, container, () => this.hooks.attach(container, plan.settings)).catch(() => null);
      if (!sandbox) await this.layers.discard(rec.layerId, rec.volume, rec.containerId).catch(() => undefined);
      await release(this.root, rec.layerId);
      if (sandbox) return sandbox;
    }
    return null;
  }

  /**
   * The session takes the warm container: its name first (which also tells a shared container's keeper it was taken),
   * its outputs dir (renamed onto the session's empty one; the container's bind follows the directory, not the path),
   * then its tools. null (the caller discards it) when the container stopped meanwhile or the dir cannot take the
   * session's place.
   */
  private async adopt(sessionId: string, plan: SandboxPlan, layer: WarmLayer, container: Container, hands: () => Promise<Hands>, running = false): Promise<Sandbox | null> {
    const docker = await this.hooks.docker();
    if (!running && !(await runningContainer(docker, container.id))) return null;
    const name = containerName(this.root, sessionId);
    // The session's name is usually free: a leftover holding it is removed when the engine says so.
    await container.rename({ name }).catch(async (err: unknown) => {
      if (!isConflict(err)) throw err;
      await removeContainer(docker, name);
      await container.rename({ name });
    });
    const target = outputsSource(plan.settings);
    if (target && layer.outputsDir) {
      await fs.rename(layer.outputsDir, target);
      // The engine's archive calls (a file attached to the live session, mount.ts) mount every bind by its source
      // path again, and fail with "Could not find the file /" when one is gone: the old path stays, empty.
      await fs.mkdir(layer.outputsDir);
    }
    return this.hooks.record(sessionId, plan, { ...layer, hands: await hands() });
  }
}
