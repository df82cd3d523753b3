import type { CheckpointRef, ExecuteOptions, FileSide, Sandbox, WorkspaceChanges } from '../types';
import { hasTree, importCheckpoint, UnknownCheckpointError } from '../repo/checkpoint-git';
import { GitObjects } from '../repo/tree-objects';
import { applyChanges, awaitOtherRestores, lowerTree, overlayCheckpoint } from './checkpoint';
import type { ToolOutcome } from '../../wire/tool-outcome';
import { checkRepoPath } from '../repo/paths';
import { describeDeath, runningContainer, WORKSPACE } from './container';
import { CopyBaseline, GITLINK } from './copy-baseline';
import type { Docker } from './client';
import { sandboxExec, type Hands, type SandboxExec } from './hands';
import { overlayChanges } from './overlay-changes';
import { readLower, readMerged } from './overlay-view';
import type { LowerIndex, SnapshotStore } from './snapshot';
import type { SessionState } from './state';
import { TreeDiffer } from './tree-diff';
import type { WritableSync } from './ship';
import { diskFullThere, withDiskNote, type FilesHome } from './disk-space';
import type { LayerDirs } from './volume';

// A session's sandbox. Its files outlive any container: when the container (or only its tool server) dies, the call
// in flight gets an error naming the cause and the next call gets fresh hands on the same volume. In overlay mode
// changes() and readFile() read the host dirs directly, so they work with no container at all.

export interface SandboxContext {
  docker: Docker;
  snapshots: SnapshotStore;
  layer: LayerDirs;
  /** New hands for the session: the tool server again when the container still runs, else a new container. */
  revive(state: SessionState, old: Hands | null): Promise<Hands>;
  /** Stops the container, keeping the volume and layer. */
  stop(state: SessionState, hands: Hands | null): Promise<void>;
  onRelease(): void;
  /** A remote engine's writable binds, kept in step with their host directories around each call (ship.ts). */
  sync: WritableSync | null;
  /**
   * The container was made or claimed from the warm pool by this process just now: no restore of an earlier process
   * can be running in it, so the first checkpoint or restore does not look for one (one exec fewer for a fork).
   */
  fresh: boolean;
  /** Copy mode: checkpoints ask the tool server's watch for the changed files (false: always the full scan). */
  watchCheckpoints: boolean;
  /** Where the files are, for the note on a call that filled the disk (disk-space.ts). */
  filesHome: FilesHome;
}

function errorOutcome(text: string): ToolOutcome {
  return { content: [{ type: 'text', text }], is_error: true };
}

/** How many other restores a restore waits for in the container before it gives up (restore()). */
const RESTORE_TURNS = 3;

export class DockerSandbox implements Sandbox {
  readonly workdir = WORKSPACE;
  private reviving: Promise<Hands> | null = null;
  private released = false;
  /** The hands failed a call: the next call revives them. */
  private broken = false;
  private readonly differ: TreeDiffer;
  /** Copy mode: the host-side baseline and the container's stat cache. */
  private readonly copy: CopyBaseline | null;
  private readonly baselineShas = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Settles once a restore left running by an earlier process has ended (afterEarlierRestores). */
  private earlierRestores: Promise<void> | null = null;

  constructor(
    /** The session's sandbox state; the provider adds binds to it (mount.ts) for the next container. */
    readonly state: SessionState,
    private hands: Hands | null,
    private readonly ctx: SandboxContext,
  ) {
    this.differ = new TreeDiffer(ctx.layer.diffGit);
    // A bind under /workspace (a repository resource's clone) is seen by the scan as an embedded repository.
    const mounted = state.settings.binds.flatMap((b) => (b.target.startsWith(`${WORKSPACE}/`) ? [b.target.slice(WORKSPACE.length + 1)] : []));
    if (ctx.fresh) this.earlierRestores = Promise.resolve();
    this.copy =
      state.mode === 'copy'
        ? new CopyBaseline(this.differ, async () => sandboxExec(await this.ready(), state.settings.user), mounted, async () => (ctx.watchCheckpoints ? (await this.ready()).server : null))
        : null;
  }

  get sessionId(): string {
    return this.state.sessionId;
  }

  /** The container currently serving the session (tests and diagnostics). */
  get containerId(): string | null {
    return this.hands?.container.id ?? null;
  }

  get toolTransport(): 'server' | 'exec' | null {
    return this.hands ? (this.hands.server ? 'server' : 'exec') : null;
  }

  /** Copy mode: how the last checkpoint found the changed files (the tool server's watch, or a full scan and why). */
  get checkpointSource(): CopyBaseline['lastSource'] {
    return this.copy?.lastSource ?? null;
  }

  private ready(): Promise<Hands> {
    if (this.hands && !this.broken && (this.hands.server?.alive ?? true)) return Promise.resolve(this.hands);
    this.reviving ??= this.ctx
      .revive(this.state, this.hands)
      .then((h) => {
        this.broken = false;
        return (this.hands = h);
      })
      .finally(() => (this.reviving = null));
    return this.reviving;
  }

  async execute(name: string, input: unknown, options?: ExecuteOptions): Promise<ToolOutcome> {
    if (this.released) return errorOutcome('The sandbox was released; the session must provision it again.');
    const first = await this.attempt(name, input, options);
    // The container was already dead when the call went out: it never ran, so running it once on fresh hands
    // repeats no side effect.
    const outcome = first.retry ? (await this.attempt(name, input, options)).outcome : first.outcome;
    // The space left is asked of live hands only: a dead container is not revived for a note.
    const hands = this.broken ? null : this.hands;
    return this.syncBack(name, await withDiskNote(outcome, hands && sandboxExec(hands, this.state.settings.user), this.ctx.filesHome));
  }

  /** A remote engine's writable folders, copied back to this host after the call; a failure is noted in the result. */
  private async syncBack(name: string, outcome: ToolOutcome): Promise<ToolOutcome> {
    const hands = this.hands;
    if (!this.ctx.sync || !hands || this.broken) return outcome;
    try {
      await this.ctx.sync.after(hands, name);
      return outcome;
    } catch (err) {
      const note = `[sandbox] Files under ${this.state.settings.binds.filter((b) => !b.readOnly).map((b) => b.target).join(', ')} could not be copied back from the remote engine: ${(err as Error).message}`;
      return { ...outcome, content: [...outcome.content, { type: 'text', text: note }] };
    }
  }

  private async attempt(name: string, input: unknown, options?: ExecuteOptions): Promise<{ outcome: ToolOutcome; retry: boolean }> {
    let hands: Hands;
    try {
      hands = await this.ready();
    } catch (err) {
      return { outcome: errorOutcome(`The sandbox could not be started: ${(err as Error).message}`), retry: false };
    }
    try {
      await this.ctx.sync?.before(hands.container);
    } catch (err) {
      return { outcome: errorOutcome(`The sandbox's folders could not be updated from this machine before ${name}: ${(err as Error).message}`), retry: false };
    }
    const sentAt = Date.now();
    try {
      return { outcome: await hands.runner.run(name, input, options?.signal, options?.onOutput, options?.shell), retry: false };
    } catch (err) {
      const running = await runningContainer(this.ctx.docker, hands.container.id).catch(() => null);
      if (running && (hands.server?.alive ?? true)) return { outcome: errorOutcome(`${name} failed: ${(err as Error).message}`), retry: false };
      const death = await describeDeath(hands.container, this.state.settings.limits);
      if (this.hands === hands) this.broken = true;
      if (death.finishedAt !== null && death.finishedAt < sentAt - 50) return { outcome: errorOutcome(death.cause), retry: true };
      const next = death.containerAlive ? 'a restarted tool server' : 'a fresh container on the same volume';
      return { outcome: errorOutcome(`${name} did not finish: ${death.cause}. The session's files are kept; the next tool call runs in ${next}.`), retry: false };
    }
  }

  /** Overlay mode: the snapshot's file index (the lower layer). */
  private lower(): Promise<LowerIndex> {
    return this.ctx.snapshots.lower(this.state.snapshotId as string);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  changes(): Promise<WorkspaceChanges> {
    return this.serialized(async () => {
      // Copy mode reads the files in the container, which needs room for its scratch git objects there.
      if (this.copy) return this.copy.changes().catch((err: unknown) => Promise.reject(diskFullThere(err, this.ctx.filesHome)));
      const lower = await this.ctx.snapshots.lower(this.state.snapshotId as string);
      return overlayChanges(this.ctx.layer.upper, lower, this.differ, this.baselineShas);
    });
  }

  checkpoint(): Promise<CheckpointRef> {
    return this.serialized(() => this.checkpointNow());
  }

  private exec(): SandboxExec {
    return async (spec) => sandboxExec(await this.ready(), this.state.settings.user)(spec);
  }

  /**
   * A restore of a killed process goes on in the container (an exec outlives the process that started it) and deletes
   * files as it goes: this object's first checkpoint or restore waits for it to end before it reads the files.
   */
  private afterEarlierRestores(): Promise<void> {
    this.earlierRestores ??= awaitOtherRestores(this.exec()).catch((err: unknown) => {
      this.earlierRestores = null;
      throw err;
    });
    return this.earlierRestores;
  }

  private async checkpointNow(): Promise<CheckpointRef> {
    await this.afterEarlierRestores();
    const tree = this.copy
      ? await this.copy.currentTree()
      : await overlayCheckpoint(this.ctx.layer.upper, await this.lower(), this.differ);
    return { gitDir: this.ctx.layer.diffGit, tree };
  }

  /** What differs between the files now and the checkpoint, applied in the container (checkpoint.ts#applyChanges). */
  restore(checkpoint: CheckpointRef): Promise<void> {
    return this.serialized(async () => {
      const gitDir = this.ctx.layer.diffGit;
      // A fresh overlay sandbox has no git dir yet (its first checkpoint or changes() makes it): the copy needs one,
      // and borrows the snapshot's tree first, so a checkpoint of another session on it copies only what differs.
      await this.differ.init();
      if (this.copy) {
        await importCheckpoint(checkpoint, gitDir);
        if (!(await hasTree(gitDir, checkpoint.tree))) throw new UnknownCheckpointError(`This sandbox has no checkpoint ${checkpoint.tree}.`);
      } else {
        await this.differ.objects.copyTree(new GitObjects(checkpoint.gitDir), checkpoint.tree, await lowerTree(this.differ, await this.lower()));
      }
      // checkpointNow waits for a restore an earlier process left running; one that starts later still is waited
      // for by applyChanges, and the files it left are compared again.
      const exec = this.exec();
      for (let turn = 1; turn <= RESTORE_TURNS; turn++) {
        const now = await this.checkpointNow();
        const changes = await this.differ.objects.changes(now.tree, checkpoint.tree);
        const blobs = await this.differ.objects.readBlobs(changes.flatMap((c) => (c.to && c.to.mode !== GITLINK ? [c.to.sha] : [])));
        if (await applyChanges(exec, changes, blobs)) return;
      }
      throw new Error(`restoring checkpoint ${checkpoint.tree} failed: other restores kept running in the sandbox's container (${RESTORE_TURNS} waited for); rewind again once they have ended.`);
    });
  }

  async readFile(rel: string, side: FileSide): Promise<Buffer | null> {
    checkRepoPath(rel);
    if (this.copy) return this.copy.readFile(rel, side);
    const lower = await this.ctx.snapshots.lower(this.state.snapshotId as string);
    return side === 'baseline' ? readLower(lower, rel) : readMerged(this.ctx.layer.upper, lower, rel);
  }

  /** With no live hands there is no shell process left to end (the container or its tool server took it along). */
  async closeShell(shell: string): Promise<void> {
    const hands = this.hands;
    if (this.released || !hands || this.broken) return;
    await hands.runner.closeShell(shell).catch(() => undefined);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.ctx.onRelease();
    await this.reviving?.catch(() => undefined);
    await this.ctx.stop(this.state, this.hands);
    this.hands = null;
  }

  /** Disconnects from the container without stopping it (provider close: the session can reattach later). */
  async detach(): Promise<void> {
    this.released = true;
    this.ctx.onRelease();
    await this.hands?.server?.close().catch(() => undefined);
  }
}
