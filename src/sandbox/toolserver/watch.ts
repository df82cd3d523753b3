import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The paths of /workspace that changed, from inotify, for copy-mode checkpoints (checkpoint-watch.ts). One
// non-recursive fs.watch per directory (Node 18 has no recursive watch on Linux): a watch is added before its directory
// is listed, so a subdirectory made meanwhile shows as an event. A name that was created, removed or moved (a "rename"
// event) is marked for a rescan of everything below it; a written or chmodded one ("change") for itself only.
//
// Nothing may be lost unseen. libuv drops the kernel's queue-overflow event without a word, but every event the
// kernel did queue reaches a callback (this process has no other fs.watch on its loop's one inotify descriptor), so
// an overflow means at least the kernel's queue limit of events in one period: that many is taken as lost. An error
// on a watch, a watch the kernel refuses (out of watches) and a name that is not UTF-8 are lost too. Lost sends the
// checkpoint down the full scan.
//
// A sync asks "has every event before now arrived?": a file is written into a private directory watched on the
// same descriptor, and inotify delivers in order, so when its event arrives, every earlier change has been collected.

/** 'tree': the path and everything below it are rescanned; 'file': the path itself. */
export type DirtyKind = 'file' | 'tree';

const SYNC_TIMEOUT_MS = 5_000;

function queuedEventsLimit(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim()) || 16_384;
  } catch {
    return 16_384;
  }
}

export class WorkspaceWatch {
  /** Watched directory (workspace-relative, '' the root) → its watch. */
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private dirty = new Map<string, DirtyKind>();
  private events = 0;
  private lost: string | null = null;
  private readonly burstLimit = Math.floor(queuedEventsLimit() / 2);
  private readonly syncDir: string;
  private readonly syncWatcher: fs.FSWatcher;
  private syncSeq = 0;
  private readonly syncWaiters = new Map<string, () => void>();

  constructor(
    readonly root: string,
    private readonly maxWatches: number,
  ) {
    this.syncDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-watch-'));
    this.syncWatcher = fs.watch(this.syncDir, { persistent: false }, (_type, name) => {
      if (typeof name === 'string') this.syncWaiters.get(name)?.();
    });
  }

  private markLost(why: string): void {
    this.lost ??= why;
  }

  /** Watches the directory `rel` (again: a watch follows its inode, which may have moved); false when it is gone. */
  watchDir(rel: string): boolean {
    this.watchers.get(rel)?.close();
    this.watchers.delete(rel);
    if (this.watchers.size >= this.maxWatches) {
      this.markLost(`more than ${this.maxWatches} directories to watch`);
      return true;
    }
    try {
      const w = fs.watch(path.join(this.root, rel), { persistent: false, encoding: 'buffer' }, (type, name) => this.onEvent(rel, type, name));
      w.on('error', (err) => this.markLost(`watching ${rel || '/'} failed: ${err.message}`));
      this.watchers.set(rel, w);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      this.markLost(`watching ${rel || '/'} failed: ${(err as Error).message}`);
      return true;
    }
  }

  /** Drops the watches of `rel` and of every directory below it (they are made again as the rescan lists them). */
  unwatchUnder(rel: string): void {
    const prefix = `${rel}/`;
    for (const [dir, w] of this.watchers) {
      if (dir === rel || rel === '' || dir.startsWith(prefix)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
  }

  isWatched(rel: string): boolean {
    return this.watchers.has(rel);
  }

  /** Marks `rel` for a rescan (also how a directory the watch skipped is brought in). */
  mark(rel: string, kind: DirtyKind): void {
    if (kind === 'tree' || !this.dirty.has(rel)) this.dirty.set(rel, kind);
  }

  private onEvent(dir: string, type: string, name: Buffer | null): void {
    this.events++;
    if (!name) return this.markLost(`an event in ${dir || '/'} without a name`);
    const text = name.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(name)) return this.markLost(`a file name in ${dir || '/'} that is not UTF-8`);
    this.mark(dir ? `${dir}/${text}` : text, type === 'change' ? 'file' : 'tree');
  }

  /** Waits until every event queued before the call has been collected; false when the sync's own event never came. */
  sync(): Promise<boolean> {
    const name = `sync-${++this.syncSeq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), SYNC_TIMEOUT_MS);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.syncWaiters.delete(name);
        fs.rm(path.join(this.syncDir, name), { force: true }, () => undefined);
        resolve(ok);
      };
      this.syncWaiters.set(name, () => done(true));
      fs.writeFileSync(path.join(this.syncDir, name), '');
    });
  }

  /** The paths marked since the last take and whether any could have been lost; a new period starts. */
  take(): { dirty: Map<string, DirtyKind>; lost: string | null } {
    const lost = this.lost ?? (this.events >= this.burstLimit ? `${this.events} events at once (the kernel may have dropped some)` : null);
    const dirty = this.dirty;
    this.dirty = new Map();
    this.events = 0;
    this.lost = null;
    return { dirty, lost };
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.syncWatcher.close();
    fs.rmSync(this.syncDir, { recursive: true, force: true });
  }
}
