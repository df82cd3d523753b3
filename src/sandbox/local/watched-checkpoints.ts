import { WorkspaceWatch } from './workspace-watch';

// A local checkpoint that costs the change, not the repository: the previous checkpoint's tree with only the paths the
// workspace watcher saw change hashed and edited in, by the watch worker (workspace-watch.ts, tree-build.ts), so a
// tool call pays no git process and no walk of 10,000 files, and the loop that drives every session only asks for a
// tree id. The tree is the one the full scan (`git add -A` into the baseline index, `write-tree`) would write.
//
// Whenever that cannot be vouched for the checkpoint is the full scan instead, never a guess: no watcher (not Linux,
// too many directories, an inotify error), a watcher that may have missed events (a burst that could have overflowed
// the kernel's queue, a worker that failed or did not answer), no tree to build on (the first checkpoint, after a scan
// failed or a restore was cut short), or a build that declined (tree-build.ts says when) or failed. A watcher that lost
// events is restarted before the scan, so the scan's tree is again a base to build on.

/** A watcher lost this many times in a row is given up (the scan is then the checkpoint, as without one). */
const MAX_RESTARTS = 5;

export interface WatchOptions {
  /** false: no watcher, every checkpoint scans. */
  watch?: boolean;
  /** Events in one drain taken as a possible overflow (workspace-watch.ts); tests lower it to provoke one. */
  burstLimit?: number;
}

export interface CheckpointCounts {
  /** Checkpoints built from the watcher's paths. */
  built: number;
  /** Checkpoints that ran the full scan, and why the last one did. */
  scanned: number;
  lastScanReason: string;
}

export class WatchedCheckpoints {
  private watch: WorkspaceWatch | null = null;
  private starting: Promise<string> | null = null;
  private closed = false;
  /** Why watching is off for this sandbox object (then every checkpoint scans). */
  private off: string | null = null;
  private restarts = 0;
  /**
   * Untracked directories the ignore rules leave out, which the watcher leaves alone since a build found them (nothing
   * below them can go into a checkpoint): given up when the rules change or a restore may have put tracked files there.
   */
  private readonly skipped = new Set<string>();
  /** The tree of the files as of the watcher's last answer; null: unknown, the next checkpoint scans. */
  private base: string | null = null;
  /** The last checkpoint's tree (or the restored one), whatever the watcher knows: the full scan starts from it. */
  private last: string | null = null;
  readonly counts: CheckpointCounts = { built: 0, scanned: 0, lastScanReason: '' };

  constructor(
    private readonly workTree: string,
    private readonly gitDir: string,
    /** A directory of Hangar's own outside the work tree, for the watcher's syncs. */
    private readonly syncDir: string,
    /**
     * The full scan: the work tree's tree as git writes it, with the paths of tree `from` (when known) taken as tracked,
     * as a built checkpoint takes its base's.
     */
    private readonly scan: (from: string | null) => Promise<string>,
    private readonly options: WatchOptions = {},
  ) {
    if (options.watch === false) this.off = 'watching is turned off';
  }

  /** The work tree's checkpoint tree. Callers serialize it with restores (BaselineRepo does). */
  async checkpoint(): Promise<string> {
    if (this.starting) await this.starting;
    if (this.off) return this.rescan(this.off);
    if (!this.watch) return this.rescan(await this.startWatch());
    const outcome = await this.watch.checkpoint(this.base);
    if (outcome.kind === 'lost') {
      this.dropWatch();
      if (++this.restarts > MAX_RESTARTS) this.off = `the file watcher was lost ${MAX_RESTARTS} times in a row (last: ${outcome.why})`;
      else await this.startWatch();
      return this.rescan(outcome.why);
    }
    this.restarts = 0;
    if (outcome.kind === 'declined') {
      if (outcome.rulesChanged) await this.unskip();
      return this.rescan(outcome.why);
    }
    this.base = outcome.tree;
    this.last = outcome.tree;
    this.counts.built++;
    for (const dir of outcome.ignoredDirs) this.skipped.add(dir);
    return outcome.tree;
  }

  /** After a restore: the files are `tree`'s (null when the restore failed midway: the next checkpoint scans). */
  restored(tree: string | null): void {
    if (this.skipped.size > 0) {
      // The restored files may be tracked below a directory left unwatched: all watched afresh.
      this.skipped.clear();
      this.dropWatch();
      this.prepare();
    }
    // A watcher still starting has not seen everything since: the next checkpoint scans.
    this.base = this.starting ? null : tree;
    this.last = tree;
  }

  /** Watches the skipped directories again (by starting over: the next scan is the base). */
  private async unskip(): Promise<void> {
    if (this.skipped.size === 0 || !this.watch) return;
    this.skipped.clear();
    this.dropWatch();
    await this.startWatch();
  }

  /** Starts the watcher ahead of the first checkpoint (which scans in any case), so that checkpoint need not wait for it. */
  prepare(): void {
    if (!this.off && !this.watch && !this.starting) this.starting = this.startWatch().finally(() => (this.starting = null));
  }

  /** Stops watching; resolves once a watcher still starting has stopped too (it makes its sync directory as it starts). */
  async close(): Promise<void> {
    this.closed = true;
    this.dropWatch();
    await this.starting;
  }

  private dropWatch(): void {
    this.watch?.close();
    this.watch = null;
  }

  /** Starts watching; the tree is then unknown until the next scan. Returns why the next checkpoint scans. */
  private async startWatch(): Promise<string> {
    this.base = null;
    try {
      const watch = await WorkspaceWatch.start(this.workTree, this.gitDir, this.syncDir, [...this.skipped], this.options.burstLimit);
      if (this.closed) watch.close();
      else this.watch = watch;
      return 'the file watcher just started';
    } catch (err) {
      this.off = err instanceof Error ? err.message : String(err);
      return this.off;
    }
  }

  private async rescan(reason: string): Promise<string> {
    this.base = null;
    const tree = await this.scan(this.last);
    this.last = tree;
    this.counts.scanned++;
    this.counts.lastScanReason = reason;
    if (!this.off) this.base = tree;
    return tree;
  }
}
