import fs from 'node:fs';
import path from 'node:path';

// The watching behind fast checkpoints, one implementation for both sandboxes: local workspaces (in the watch worker
// thread, local/watch-worker.ts) and Docker's copy mode (in the container's tool server, toolserver/watch.ts).
//
// One non-recursive fs.watch per directory (Node's recursive mode on Linux watches every file too and walks
// synchronously; Node 18 has none): a watch is added before its directory is listed, so a subdirectory made meanwhile
// shows as an event. A watch follows its inode, so a directory that moved needs its watches made again below it.
//
// Nothing may be lost unseen. libuv reads every fs.watch of a thread from one inotify descriptor and drops the
// kernel's queue-overflow event without a word, but every event the kernel did queue reaches a callback (the thread
// has no other fs.watch), so an overflow means at least the kernel's queue limit of events: a burst of `burstLimit`
// (half /proc/sys/fs/inotify/max_queued_events) is taken as lost. An error on a watch, a watch the kernel refuses, a
// name that is not UTF-8 and more directories than allowed are lost too.
//
// A sync asks "has every event before now arrived?": a file is written into a sync directory watched on the same
// descriptor, and inotify delivers in order, so when its event arrives every earlier change has been collected.

/** The kernel's default when /proc does not say. */
const DEFAULT_QUEUED_EVENTS = 16_384;

export function inotifyLimit(name: 'max_queued_events' | 'max_user_watches', fallback: number): number {
  try {
    return Number(fs.readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim()) || fallback;
  } catch {
    return fallback;
  }
}

/** Half the kernel's event queue: a burst that large may have overflowed it. */
export function defaultBurstLimit(): number {
  return Math.floor(inotifyLimit('max_queued_events', DEFAULT_QUEUED_EVENTS) / 2);
}

/**
 * Which events count towards a burst: those of one drain of the descriptor (every event queued when the thread got to
 * read, shared by every DirectoryWatches of the thread), or all of a period (since the last takeLost()).
 */
export type BurstWindow = 'drain' | 'period';

export interface DirectoryWatchesOptions {
  root: string;
  /** A directory outside `root`, emptied and watched for sync files. */
  syncDir: string;
  burstLimit: number;
  burstWindow: BurstWindow;
  /** More directories than this in the workspace: lost. */
  maxWatches: number;
  /** Watches held by the thread's other workspaces, which share `limit` with this one. */
  budget?: { limit: number; used: () => number };
  /** A name below a watched directory was created, changed, moved or deleted (not the top `.git`). */
  onChange: (rel: string, type: 'rename' | 'change') => void;
  /** The first reason the changes cannot be trusted. */
  onLost?: (why: string) => void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(name: Buffer): string | null {
  try {
    return utf8.decode(name);
  } catch {
    return null;
  }
}

function gone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const burst = (events: number) => `the file watcher may have missed events (${events} events at once: the kernel may have dropped some)`;
const join = (rel: string, name: string) => (rel ? `${rel}/${name}` : name);
const shown = (rel: string) => rel || '.';

// The thread's drain: events counted since its first one, checked once the loop gets past the drain.
let drainEvents = 0;
const drainWatchers = new Set<DirectoryWatches>();

export class DirectoryWatches {
  /** Watched directory (workspace-relative, '' the root) → its watch. */
  private readonly watches = new Map<string, fs.FSWatcher>();
  private periodEvents = 0;
  private lostWhy: string | null = null;
  private stopped = false;
  private readonly syncWatch: fs.FSWatcher | null = null;
  private syncSeq = 0;
  private readonly syncWaiters = new Map<string, () => void>();

  constructor(private readonly options: DirectoryWatchesOptions) {
    if (options.burstWindow === 'drain') drainWatchers.add(this);
    try {
      fs.mkdirSync(options.syncDir, { recursive: true });
      for (const f of fs.readdirSync(options.syncDir)) fs.rmSync(path.join(options.syncDir, f), { force: true });
      this.syncWatch = fs.watch(options.syncDir, { persistent: false }, (_type, name) => this.onSync(name));
      this.syncWatch.on('error', (err) => this.lose(`the sync directory failed: ${err.message}`));
    } catch (err) {
      this.lose(`cannot watch the sync directory: ${(err as Error).message}`);
    }
  }

  get size(): number {
    return this.watches.size;
  }

  get lost(): string | null {
    return this.lostWhy;
  }

  isWatched(rel: string): boolean {
    return this.watches.has(rel);
  }

  lose(why: string): void {
    if (this.lostWhy) return;
    this.lostWhy = why;
    this.options.onLost?.(why);
  }

  /** The reason of this period, if any (a burst of the period included); the next period starts. */
  takeLost(): string | null {
    const { burstWindow, burstLimit } = this.options;
    const lost = this.lostWhy ?? (burstWindow === 'period' && this.periodEvents >= burstLimit ? burst(this.periodEvents) : null);
    this.lostWhy = null;
    this.periodEvents = 0;
    return lost;
  }

  private counted(): void {
    this.periodEvents++;
    if (this.options.burstWindow !== 'drain' || drainEvents++ > 0) return;
    setImmediate(() => {
      const events = drainEvents;
      drainEvents = 0;
      for (const w of drainWatchers) if (events >= w.options.burstLimit) w.lose(burst(events));
    });
  }

  /** Watches the directory `rel` (again: a watch follows its inode, which may have moved); false when it is gone. */
  watchDir(rel: string): boolean {
    this.watches.get(rel)?.close();
    this.watches.delete(rel);
    if (this.stopped) return true;
    const { root, maxWatches, budget } = this.options;
    if (this.watches.size >= maxWatches) {
      this.lose(`more than ${maxWatches} directories to watch`);
      return true;
    }
    const used = budget?.used() ?? 0;
    if (budget && used >= budget.limit) {
      this.lose(`the sandboxes hold ${used} directory watches, the share of the inotify limit they may use`);
      return true;
    }
    try {
      const w: fs.FSWatcher = fs.watch(path.join(root, rel), { persistent: false, encoding: 'buffer' }, (type, name) => this.onEvent(w, rel, type, name));
      w.on('error', (err) => this.lose(`watching ${shown(rel)} failed: ${err.message}`));
      this.watches.set(rel, w);
      return true;
    } catch (err) {
      if (gone(err)) return false;
      this.lose(`cannot watch ${shown(rel)}: ${(err as Error).message}`);
      return true;
    }
  }

  /** Watches `rel` and every directory below it but the top `.git` and those `skip` names, each before it is listed. */
  watchTree(rel: string, skip: (rel: string) => boolean): void {
    if (!this.watchDir(rel) || this.lostWhy) return;
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(path.join(this.options.root, rel), { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      if (!gone(err)) this.lose(`cannot list ${shown(rel)}: ${(err as Error).message}`);
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const name = decode(e.name);
      if (name === null) return this.lose(`a name that is not UTF-8 in ${shown(rel)}`);
      if ((rel === '' && name === '.git') || skip(join(rel, name))) continue;
      this.watchTree(join(rel, name), skip);
      if (this.lostWhy) return;
    }
  }

  /** Drops the watches of `rel` and of every directory below it. */
  unwatchBelow(rel: string): void {
    const prefix = `${rel}/`;
    for (const [dir, w] of this.watches) {
      if (rel === '' || dir === rel || dir.startsWith(prefix)) {
        w.close();
        this.watches.delete(dir);
      }
    }
  }

  /** Drops every directory watch and makes no more (the sync directory stays watched until close()). */
  stop(): void {
    this.stopped = true;
    this.unwatchBelow('');
  }

  private onEvent(w: fs.FSWatcher, rel: string, type: string, raw: Buffer | null): void {
    this.counted();
    if (this.watches.get(rel) !== w) return;
    const name = raw ? decode(raw) : null;
    if (name === null) return this.lose(raw ? `a name that is not UTF-8 in ${shown(rel)}` : `an event in ${shown(rel)} without a name`);
    if (rel === '' && name === '.git') return;
    this.options.onChange(join(rel, name), type === 'change' ? 'change' : 'rename');
  }

  private onSync(name: string | null): void {
    this.counted();
    if (name !== null) this.syncWaiters.get(name)?.();
  }

  /** Waits until every event queued before the call has been collected; false when it cannot be known in `timeoutMs`. */
  sync(timeoutMs: number): Promise<boolean> {
    if (!this.syncWatch) return Promise.resolve(false);
    const name = `sync-${++this.syncSeq}`;
    const file = path.join(this.options.syncDir, name);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.syncWaiters.delete(name);
        fs.rm(file, { force: true }, () => undefined);
        resolve(ok);
      };
      this.syncWaiters.set(name, () => done(true));
      try {
        fs.writeFileSync(file, '');
      } catch (err) {
        this.lose(`cannot write the sync file: ${(err as Error).message}`);
        done(false);
      }
    });
  }

  close(): void {
    this.stop();
    this.syncWatch?.close();
    drainWatchers.delete(this);
  }
}
