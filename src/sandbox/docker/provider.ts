import path from 'node:path';
import type { ProvisionSpec, Sandbox, SandboxEgress, SandboxMount, SandboxProvider } from '../types';
import { connectDocker, type Docker } from './client';
import { removeContainer, runningContainer } from './container';
import { attachHands, type Hands, type HandsContext } from './hands';
import { containerName, SessionId } from './names';
import { completePlan, planBase, planSandbox, poolable, type PlanRequest, type SandboxPlan } from './plan';
import { Layers, type MadeLayer } from './layer';
import { WarmClaims } from './warm';
import { anyShared, sharable, spawnKeeper, type SharedPoolOptions } from './shared-pool';
import { addBind, copyIntoContainer } from './mount';
import { reapLeftovers, sweepOrphanPools } from './reaper';
import { sweepDeadRoots } from './dead-roots';
import { markHeld, releaseHeld, sweepAbandoned, sweepRetired } from './retire';
import { DockerSandbox } from './sandbox';
import { SnapshotStore } from './snapshot';
import { SessionEgress } from './session-egress';
import { reviveHands, stopContainer, type SessionContainerContext } from './session-container';
import { readState, removeState, writeState, type SessionState } from './state';
import { buildToolServer, type BuiltToolServer } from './toolserver-build';
import { resolveEngine, type EngineTarget } from './engine';
import { SandboxDamagedError } from '../errors';
import { onEngine, OverlayUnsupportedError } from './errors';
import { WritableSync } from './ship';
import { layerDirs } from './volume';

// Docker sandboxes: one container per session on a per-session volume (see volume.ts for overlay vs copy), tools
// through the in-container tool server. Everything lives under <storageRoot>/docker:
//   snapshots/<id>/{tree,manifest.json}   immutable repository copies, shared by sessions (snapshot.ts)
//   repos/<key>.json                      latest snapshot per repository
//   layers/<layerId>/{upper,work,diff.git} a session's writes and its diff scratch repo
//   sessions/<sessionId>.json             the session's layer, volume, settings and container (state.ts)
//   toolserver/                           the bundled tool server (toolserver-build.ts)

export interface DockerSandboxProviderOptions {
  storageRoot: string;
  /**
   * The engine: a host address (unix://, tcp://, ssh://) or a Docker context name; default: Docker's own resolution
   * (DOCKER_HOST with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, DOCKER_CONTEXT, the current context, the local socket). An
   * engine not on a local socket is remote: files are copied in (copy mode, shipped binds), never bind-mounted.
   */
  engine?: string;
  /**
   * Ready containers kept per environment+snapshot (0 = none): after a session's provision, the pool fills for its
   * key in the background, and the next session with that key claims one. Overlay mode only.
   */
  warmPool?: number;
  /**
   * The most the pool grows to after a burst of sessions (default warmPool: it never grows): for 10 minutes after
   * sessions asked for containers together, the pool keeps as many ready as the burst took, memory allowing (pool.ts).
   */
  warmPoolMax?: number;
  /** How long the pool keeps a burst's size ready (default 10 minutes; tests shorten it). */
  warmPoolRememberMs?: number;
  /**
   * Containers made at once (sessions before pool refills; start-gate.ts); default one per core of the engine's
   * machine, at most 4 (startsAtOnce); Infinity for no bound.
   */
  parallelStarts?: number;
  /** How the files get in: overlay over a host snapshot (fast), or a tar copy into a plain volume. */
  files?: 'auto' | 'overlay' | 'copy';
  /** 'exec' skips the tool server (one docker exec per call, bash only): for images without Node.js, and benchmarks. */
  tools?: 'server' | 'exec';
  /** A prebuilt tool server bundle (packaged extension); default: bundled from source on demand. */
  toolServerPath?: string;
  /** false: copy-mode checkpoints always scan in full instead of asking the tool server's watch (tests and benches compare). */
  watchCheckpoints?: boolean;
  toolHost?: { defaultTimeoutMs?: number; maxOutputChars?: number };
  /**
   * How a released session's container goes: removed before release() returns ('wait', the default), or handed to a
   * detached process ('detached', retire.ts) so a one-shot CLI exits without waiting on the engine. With 'detached' a
   * container also goes when its process is killed: the next provider on the storage removes it (retire.ts, held).
   */
  teardown?: 'wait' | 'detached';
  /**
   * Warm containers shared with other processes on this storage root (shared-pool.ts), for one-shot CLI runs: a
   * provision claims one another process left ready, and starts a detached keeper to leave one for the next run.
   */
  sharedPool?: SharedPoolOptions;
}

export class DockerSandboxProvider implements SandboxProvider {
  readonly kind = 'docker' as const;
  readonly root: string;
  readonly snapshots: SnapshotStore;
  private dockerP: Promise<Docker> | null = null;
  /** The engine docker() connected to (set once it answers). */
  private target: EngineTarget | null = null;
  private serverP: Promise<BuiltToolServer | null> | null = null;
  private readonly warm: WarmClaims;
  private readonly layers: Layers;
  private readonly live = new Map<string, DockerSandbox>();
  private readonly pending = new Map<string, Promise<Sandbox>>();
  private readonly egress: SessionEgress;
  /** What reviving and stopping a session's container needs (session-container.ts). */
  private readonly containers: SessionContainerContext;
  /**
   * Removal of containers retired earlier whose remover did not finish, of warm containers whose process died, of
   * the containers a killed CLI process held, and of the volumes of storage roots that are gone (started on connecting).
   */
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DockerSandboxProviderOptions) {
    this.root = path.join(options.storageRoot, 'docker');
    this.snapshots = new SnapshotStore(this.root);
    this.egress = new SessionEgress(this.root);
    this.containers = { root: this.root, snapshots: this.snapshots, egress: this.egress, docker: () => this.docker(), hands: () => this.handsContext(), teardown: options.teardown };
    this.layers = new Layers(this.root, options.parallelStarts, { docker: () => this.docker(), handsContext: () => this.handsContext() });
    this.warm = new WarmClaims(this.root, { size: options.warmPool ?? 0, max: options.warmPoolMax, rememberMs: options.warmPoolRememberMs }, this.layers, {
      docker: () => this.docker(),
      attach: async (container, settings) => attachHands(await this.handsContext(), container, settings),
      record: (sessionId, plan, made) => this.record(sessionId, plan, made),
    });
  }

  /** The engine connection, made on first use (a missing engine is a typed error there, not at construction). */
  docker(): Promise<Docker> {
    if (this.dockerP) return this.dockerP;
    const connecting = (async () => {
      this.target = resolveEngine(this.options.engine);
      const docker = await connectDocker({ target: this.target });
      this.sweeping = Promise.all([
        sweepRetired(docker, this.root).catch(() => 0),
        sweepOrphanPools(docker, this.root).catch(() => 0),
        sweepAbandoned(docker, this.root).catch(() => 0),
        // Overlay volumes name host paths: only an engine on this machine has any this process can look for.
        this.target.local ? sweepDeadRoots(docker, this.root).catch(() => 0) : 0,
      ]);
      return docker;
    })();
    // A failed connection is tried again on the next use.
    connecting.catch(() => {
      if (this.dockerP === connecting) this.dockerP = null;
    });
    return (this.dockerP = connecting);
  }

  private async handsContext(): Promise<HandsContext> {
    this.serverP ??= this.options.tools === 'exec' ? Promise.resolve(null) : buildToolServer(path.join(this.root, 'toolserver'), this.options.toolServerPath);
    return { docker: await this.docker(), toolServer: await this.serverP, tools: this.options.toolHost ?? {} };
  }

  useEgress(egress: SandboxEgress): void {
    this.egress.use(egress);
  }

  /** The engine when it is remote (after docker() answered): files are shipped to it. */
  private remote(): EngineTarget | null {
    return this.target && !this.target.local ? this.target : null;
  }

  /** A session's volume is on the engine that made it: another engine has none of its files, so it is not used. */
  private sameEngine(state: SessionState): void {
    const now = this.target?.label ?? null;
    if (state.engine === null || now === null || state.engine === now) return;
    throw new SandboxDamagedError(
      `Session ${state.sessionId}'s sandbox files are on the Docker engine at ${state.engine}, and Hangar now uses the engine at ${now}. Switch back to that engine (hangar.sandbox.dockerHost in VS Code; DOCKER_HOST or DOCKER_CONTEXT for the CLI) to continue the session, or start a new one.`,
    );
  }

  /** The engine named in typed errors (image missing, disk full) when it is not the local one. */
  private named(err: unknown): unknown {
    return this.target ? onEngine(err, this.target) : err;
  }

  private allowOverlay(): boolean {
    const remote = this.remote();
    if (remote && this.options.files === 'overlay') throw new Error(`files: 'overlay' needs an engine on this machine's socket; the engine at ${remote.label} is remote (use files: 'auto' or 'copy')`);
    return this.options.files !== 'copy' && !this.layers.overlayBroken && !remote;
  }

  provision(spec: ProvisionSpec): Promise<Sandbox> {
    SessionId.parse(spec.sessionId);
    const existing = this.live.get(spec.sessionId) ?? this.pending.get(spec.sessionId);
    if (existing) return Promise.resolve(existing);
    const made = this.provisionNow(spec)
      .catch((err: unknown) => Promise.reject(this.named(err)))
      .finally(() => this.pending.delete(spec.sessionId));
    this.pending.set(spec.sessionId, made);
    return made;
  }

  private async provisionNow(spec: ProvisionSpec): Promise<Sandbox> {
    const docker = await this.docker();
    // Detached teardown (a CLI's): the container goes with this process, released or killed (retire.ts).
    if (this.options.teardown === 'detached') await markHeld(this.root, spec.sessionId);
    const state = await readState(this.root, spec.sessionId);
    if (state) {
      // This start's sweep may be removing the container a killed process left for this very session.
      await this.sweeping;
      this.sameEngine(state);
      // The proxy may listen elsewhere than when the container was made (a new port after a restart): a container
      // pointed at the old one is replaced, on the same volume.
      const moved = await this.egress.refresh(docker, state, spec.onProgress);
      const container = state.containerId && !moved ? await runningContainer(docker, state.containerId) : null;
      if (container) {
        spec.onProgress?.('Reattached to the running sandbox container');
        await this.egress.bind(state.sessionId, container, state.settings);
        return this.sandboxFor(docker, state, await attachHands(await this.handsContext(), container, state.settings), false);
      }
      return this.sandboxFor(docker, state, await this.revive(state, null, spec.onProgress), false);
    }
    const req: PlanRequest = { ...spec, root: this.root, egress: this.egress.proxy, remote: this.remote() };
    const name = containerName(this.root, spec.sessionId);
    let base = await planBase(docker, req, this.allowOverlay());
    let plan: Promise<SandboxPlan> = completePlan(this.snapshots, base, spec.onProgress);
    if (this.warm.pool.size > 0) {
      const claimed = await this.warm.claim(spec.sessionId, await plan);
      if (claimed) return claimed;
    } else if (this.options.sharedPool && (await anyShared(this.root))) {
      const p = await plan;
      const claimed = sharable(p) ? await this.warm.claimShared(spec.sessionId, p) : null;
      if (claimed) return this.leaveShared(p, claimed);
    }
    let made: MadeLayer;
    try {
      made = await this.layers.make(base, plan, spec.sessionId, name, spec.onProgress);
    } catch (err) {
      if (!(err instanceof OverlayUnsupportedError) || this.options.files === 'overlay') throw err;
      spec.onProgress?.(`Overlay volumes are unavailable with this engine (${err.message}); copying the repository instead`);
      base = await planBase(docker, req, false);
      plan = completePlan(this.snapshots, base, spec.onProgress);
      made = await this.layers.make(base, plan, spec.sessionId, name, spec.onProgress);
    }
    const sandbox = await this.leaveShared(await plan, await this.record(spec.sessionId, await plan, made));
    // A container with a session's own binds (files, repositories) serves that session only: no pool is filled for it.
    void plan.then((p) => (poolable(p.settings) ? this.warm.pool.fill(p) : undefined)).catch(() => undefined);
    return sandbox;
  }

  /** Starts a keeper that leaves a warm container for the next run with this plan (sharedPool only); returns `sandbox`. */
  private async leaveShared(plan: SandboxPlan, sandbox: Sandbox): Promise<Sandbox> {
    if (this.options.sharedPool && sharable(plan)) await spawnKeeper(this.root, plan, this.options.sharedPool, this.options.engine).catch(() => undefined);
    return sandbox;
  }

  async mount(sessionId: string, m: SandboxMount): Promise<void> {
    await this.pending.get(sessionId)?.catch(() => undefined);
    const live = this.live.get(sessionId);
    const state = live?.state ?? (await readState(this.root, sessionId));
    if (!state) return;
    const added = addBind(state, m);
    if (added) await writeState(this.root, state);
    const containerId = live?.containerId ?? state.containerId;
    if (!containerId) return;
    try {
      await copyIntoContainer(await this.docker(), containerId, m);
    } catch (err) {
      // The runtime puts its record back (file-attach.ts): the session's next container must not show the file either.
      if (added) {
        state.settings.binds = state.settings.binds.filter((b) => b.target !== m.target);
        await writeState(this.root, state);
      }
      throw this.named(err);
    }
  }

  /** Starts warm containers for this environment and repository state; resolves when the pool is full. */
  async prewarm(req: PlanRequest): Promise<void> {
    const docker = await this.docker();
    await this.warm.pool.fill(await planSandbox(docker, this.snapshots, { ...req, root: this.root, egress: this.egress.proxy, remote: this.remote() }, this.allowOverlay()));
  }

  /** How many containers this provider makes at once (start-gate.ts) on its engine: tests and benchmarks. */
  startsAtOnce(): Promise<number> {
    return this.layers.startsAtOnce();
  }

  /** The warm pool's size and what a burst may grow it to (warmPool, warmPoolMax as the pool took them): tests. */
  warmPoolSizing(): { size: number; max: number } {
    return { size: this.warm.pool.size, max: this.warm.pool.max };
  }

  /** Resolves when the pool's background refill (after a session took or skipped it) is done: tests and benchmarks wait on it. */
  poolSettled(): Promise<void> {
    return this.warm.pool.settled();
  }

  private async record(sessionId: string, plan: SandboxPlan, made: MadeLayer): Promise<DockerSandbox> {
    const state: SessionState = {
      version: 1,
      sessionId,
      layerId: made.layerId,
      mode: plan.mode,
      snapshotId: plan.snapshot?.id ?? null,
      repoPath: plan.repoPath,
      volume: made.volume,
      settings: plan.settings,
      postCreateDone: made.postCreateDone,
      seeded: made.seeded,
      containerId: made.hands.container.id,
      createdAt: new Date().toISOString(),
      engine: this.target?.label ?? null,
    };
    await writeState(this.root, state);
    await this.egress.bind(sessionId, made.hands.container, plan.settings);
    return this.sandboxFor(await this.docker(), state, made.hands, true);
  }

  /** `fresh`: the container was just made or claimed for the session (SandboxContext.fresh). */
  private sandboxFor(docker: Docker, state: SessionState, hands: Hands, fresh: boolean): DockerSandbox {
    const sandbox: DockerSandbox = new DockerSandbox(state, hands, {
      docker,
      snapshots: this.snapshots,
      layer: layerDirs(this.root, state.layerId),
      revive: (s, old) => this.revive(s, old),
      stop: (s, h) => stopContainer(this.containers, s, h),
      onRelease: () => {
        if (this.live.get(state.sessionId) === sandbox) this.live.delete(state.sessionId);
      },
      sync: state.settings.shipBinds ? new WritableSync(state.settings) : null,
      fresh,
      watchCheckpoints: this.options.watchCheckpoints ?? true,
      filesHome: state.mode === 'overlay' || !this.target ? { hostDir: layerDirs(this.root, state.layerId).upper } : { engine: this.target },
    });
    this.live.set(state.sessionId, sandbox);
    return sandbox;
  }

  /** New hands for a session: the tool server again if its container runs, else a new container on its volume. */
  private revive(state: SessionState, old: Hands | null, onProgress?: (m: string) => void): Promise<Hands> {
    return reviveHands(this.containers, state, old, onProgress).catch((err: unknown) => Promise.reject(this.named(err)));
  }

  async destroy(sessionId: string): Promise<void> {
    SessionId.parse(sessionId);
    await this.pending.get(sessionId)?.catch(() => undefined);
    await this.live.get(sessionId)?.release();
    const state = await readState(this.root, sessionId);
    const docker = await this.docker();
    await removeContainer(docker, containerName(this.root, sessionId));
    if (state) await this.layers.discard(state.layerId, state.volume, state.containerId ?? containerName(this.root, sessionId));
    await removeState(this.root, sessionId);
    await releaseHeld(this.root, sessionId);
    this.egress.unbind(sessionId);
  }

  async reap(liveSessionIds: ReadonlySet<string>): Promise<string[]> {
    const keep = new Set([...liveSessionIds, ...this.pending.keys()]);
    for (const [id, sandbox] of this.live) if (!keep.has(id)) await sandbox.detach();
    return reapLeftovers({
      docker: await this.docker(),
      root: this.root,
      snapshots: this.snapshots,
      liveSessions: keep,
      busyLayers: new Set([...this.layers.busy, ...this.warm.pool.layers()]),
      poolSnapshots: this.warm.pool.snapshots(),
    });
  }

  /** Disconnects from every session (their containers keep running for a later reattach) and drops the pool. */
  async close(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.live.values()].map((s) => s.detach()));
    this.egress.closeTunnels();
    if (this.dockerP) await this.warm.pool.drain();
    await this.sweeping;
  }
}
