import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryWatches, defaultBurstLimit } from '../watch/directory-watches';

// The paths of /workspace that changed, for copy-mode checkpoints (checkpoint-watch.ts), from the shared directory
// watches (watch/directory-watches.ts: the per-directory watches, the lost rules, the sync). Here the checkpoint
// drives them: it watches each directory as it lists it (leaving ignored ones out) and makes a moved directory's
// watches again when it rescans it. A name that was created, removed or moved (a "rename" event) is marked for a
// rescan of everything below it; a written or chmodded one ("change") for itself only.
//
// The tool server's loop also hashes files and answers tool calls, so a burst is counted over a whole period (from
// one take() to the next), not one drain: `burstLimit` events in a period are taken as possibly lost. Lost sends the
// checkpoint down the full scan; the next period starts clean.

/** 'tree': the path and everything below it are rescanned; 'file': the path itself. */
export type DirtyKind = 'file' | 'tree';

const SYNC_TIMEOUT_MS = 5_000;

export class WorkspaceWatch {
  private dirty = new Map<string, DirtyKind>();
  private readonly syncDir: string;
  private readonly watches: DirectoryWatches;

  constructor(
    readonly root: string,
    maxWatches: number,
  ) {
    this.syncDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-watch-'));
    this.watches = new DirectoryWatches({
      root,
      syncDir: this.syncDir,
      burstLimit: defaultBurstLimit(),
      burstWindow: 'period',
      maxWatches,
      onChange: (rel, type) => this.mark(rel, type === 'change' ? 'file' : 'tree'),
    });
  }

  /** Watches the directory `rel` (again: a watch follows its inode, which may have moved); false when it is gone. */
  watchDir(rel: string): boolean {
    return this.watches.watchDir(rel);
  }

  /** Drops the watches of `rel` and of every directory below it (they are made again as the rescan lists them). */
  unwatchUnder(rel: string): void {
    this.watches.unwatchBelow(rel);
  }

  isWatched(rel: string): boolean {
    return this.watches.isWatched(rel);
  }

  /** Marks `rel` for a rescan (also how a directory the watch skipped is brought in). */
  mark(rel: string, kind: DirtyKind): void {
    if (kind === 'tree' || !this.dirty.has(rel)) this.dirty.set(rel, kind);
  }

  /** Waits until every event queued before the call has been collected; false when the sync's own event never came. */
  sync(): Promise<boolean> {
    return this.watches.sync(SYNC_TIMEOUT_MS);
  }

  /** The paths marked since the last take and whether any could have been lost; a new period starts. */
  take(): { dirty: Map<string, DirtyKind>; lost: string | null } {
    const dirty = this.dirty;
    this.dirty = new Map();
    return { dirty, lost: this.watches.takeLost() };
  }

  close(): void {
    this.watches.close();
    fs.rmSync(this.syncDir, { recursive: true, force: true });
  }
}
