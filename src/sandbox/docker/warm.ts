import fs from 'node:fs/promises';
import type { Sandbox } from '../types';
import type { Docker } from './client';
import { removeContainer, runningContainer } from './container';
import { containerName, POOL_SESSION, poolContainerName } from './names';
import { outputsSource, withOutputsSource, type SandboxPlan } from './plan';
import type { Layers, MadeLayer } from './layer';
import { WarmPool, type PoolEntry } from './pool';
import { newLayerId } from './state';
import { layerDirs } from './volume';

// Claiming and filling the warm pool (pool.ts keeps the entries): a fill makes a layer and container for a plan as a
// session would have it, but under a pool name and with an outputs dir of its own; a claim makes one the session's.

export interface WarmHooks {
  docker(): Promise<Docker>;
  /** Records the layer as the session's and returns its sandbox. */
  record(sessionId: string, plan: SandboxPlan, made: MadeLayer): Promise<Sandbox>;
}

export class WarmClaims {
  readonly pool: WarmPool;

  constructor(
    private readonly root: string,
    size: number,
    private readonly layers: Layers,
    private readonly hooks: WarmHooks,
  ) {
    this.pool = new WarmPool(size, {
      make: (plan) => this.make(plan),
      discard: (entry) => layers.discard(entry.layerId, entry.volume, entry.hands.container.id),
    });
  }

  /** A warm container for the plan, made the session's; null when the pool has none that still runs. */
  async claim(sessionId: string, plan: SandboxPlan): Promise<Sandbox | null> {
    for (let entry = this.pool.take(plan.key); entry; entry = this.pool.take(plan.key)) {
      const sandbox = await this.claimEntry(sessionId, plan, entry).catch(() => null);
      if (sandbox) return sandbox;
      this.pool.discard(entry);
    }
    return null;
  }

  /**
   * The session takes the warm container: its outputs dir becomes the session's (renamed onto the session's empty
   * one; the container's bind follows the directory, not the path), then its name. null (the caller discards it) when
   * the container stopped meanwhile or the dir cannot take the session's place.
   */
  private async claimEntry(sessionId: string, plan: SandboxPlan, entry: PoolEntry): Promise<Sandbox | null> {
    const docker = await this.hooks.docker();
    if (!(await runningContainer(docker, entry.hands.container.id))) return null;
    const target = outputsSource(plan.settings);
    if (target && entry.outputsDir) {
      await fs.rename(entry.outputsDir, target);
      // The engine's archive calls (a file attached to the live session, mount.ts) mount every bind by its source
      // path again, and fail with "Could not find the file /" when one is gone: the old path stays, empty.
      await fs.mkdir(entry.outputsDir);
    }
    await removeContainer(docker, containerName(this.root, sessionId));
    await entry.hands.container.rename({ name: containerName(this.root, sessionId) });
    const sandbox = await this.hooks.record(sessionId, plan, entry);
    void this.pool.fill(plan).catch(() => undefined);
    return sandbox;
  }

  /** A warm container for the plan's key; where the plan binds a session's outputs dir, it binds one of its own. */
  private async make(sessionPlan: SandboxPlan): Promise<PoolEntry> {
    const layerId = newLayerId();
    let plan = sessionPlan;
    let outputsDir: string | null = null;
    if (outputsSource(plan.settings) !== null) {
      outputsDir = layerDirs(this.root, layerId).outputs;
      await fs.mkdir(outputsDir, { recursive: true });
      // As the runtime makes a session's (session-files.ts): whatever uid the sandbox user has, it writes there.
      await fs.chmod(outputsDir, 0o777);
      plan = { ...plan, settings: withOutputsSource(plan.settings, outputsDir) };
    }
    const made = await this.layers.make(plan, Promise.resolve(plan), POOL_SESSION, poolContainerName(this.root, layerId), undefined, layerId);
    return { key: plan.key, plan, ...made, outputsDir };
  }
}
