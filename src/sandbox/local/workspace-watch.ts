import { Worker } from 'node:worker_threads';
import { defaultBurstLimit, inotifyLimit } from '../watch/directory-watches';
import type { WatchReply, WatchRequest, WatchWorkerData } from './watch-protocol';
import { watchWorkerSource } from './watch-worker-source';

// The paths that changed in a local sandbox's workspace, from the watch worker (watch-worker.ts says how and why
// there). One worker serves every sandbox of the process; it does not keep the process alive. Linux only: elsewhere
// fs.watch neither reports every event nor says when it lost some, so `start` refuses and checkpoints scan.

const MAX_WATCHES = 20_000;
/** The kernel's usual max_user_watches where /proc does not say (older kernels' default). */
const DEFAULT_USER_WATCHES = 8_192;
/** The share of the user's inotify watches sandboxes may hold: the rest stays for VS Code's watcher and other tools. */
const WATCH_SHARE = 0.25;
/** A sync that takes longer means the worker is stuck or gone: the changes are then taken as lost. */
const SYNC_TIMEOUT_MS = 10_000;

export type WatchedChanges = { paths: string[]; lost: null } | { paths: []; lost: string };

type Waiter = (reply: WatchReply) => void;

class WatchWorker {
  private static current: WatchWorker | null = null;
  private readonly worker: Worker;
  private readonly waiters = new Map<string, Waiter>();
  private failure: string | null = null;

  static get(): WatchWorker {
    if (!WatchWorker.current || WatchWorker.current.failure) WatchWorker.current = new WatchWorker();
    return WatchWorker.current;
  }

  private constructor() {
    const data: WatchWorkerData = { maxWatches: MAX_WATCHES, budget: Math.floor(inotifyLimit('max_user_watches', DEFAULT_USER_WATCHES) * WATCH_SHARE) };
    this.worker = new Worker(watchWorkerSource(), { eval: true, workerData: data, env: {}, stdout: true, stderr: true });
    this.worker.on('message', (reply: WatchReply) => this.waiters.get(keyOf(reply))?.(reply));
    this.worker.on('error', (err) => this.fail(`the watch worker failed: ${err.message}`));
    this.worker.on('exit', (code) => this.fail(`the watch worker exited (${code})`));
    // Held only while an answer is awaited (after the listeners: adding one refs the worker again).
    this.worker.unref();
  }

  private fail(why: string): void {
    this.failure ??= why;
    for (const [key, waiter] of [...this.waiters]) waiter(lostReply(key, why));
  }

  /** Sends `request` and waits for the reply with `key` (or a failure, or the timeout: a lost reply). */
  ask(request: WatchRequest, key: string, timeoutMs: number): Promise<WatchReply> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), timeoutMs);
      const done = (reply: WatchReply | null) => {
        clearTimeout(timer);
        this.waiters.delete(key);
        if (this.waiters.size === 0) this.worker.unref();
        resolve(reply ?? lostReply(key, `no answer from the watch worker in ${timeoutMs} ms`));
      };
      if (this.failure) return done(lostReply(key, this.failure));
      this.waiters.set(key, done);
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  tell(request: WatchRequest): void {
    if (!this.failure) this.worker.postMessage(request);
  }
}

function keyOf(reply: WatchReply): string {
  return reply.op === 'watching' ? `watching:${reply.id}` : `synced:${reply.id}:${reply.seq}`;
}

function lostReply(key: string, why: string): WatchReply {
  const [op, id, seq] = key.split(':');
  return op === 'watching' ? { op: 'watching', id: Number(id), lost: why, watches: 0 } : { op: 'synced', id: Number(id), seq: Number(seq), paths: [], lost: why };
}

let nextId = 1;

export class WorkspaceWatch {
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly worker: WatchWorker,
    private readonly id: number,
    /** How many directories are watched. */
    readonly watches: number,
  ) {}

  /**
   * Watches every directory of `root` but its top `.git` and those in `skip`; `syncDir` is a directory of Hangar's own outside `root`
   * (emptied first). Resolves once the watches are in place; throws when they cannot be (the caller scans instead).
   * `burstLimit`: a drain of that many events is taken as a possible overflow (by default half the kernel's queue).
   */
  static async start(root: string, syncDir: string, skip: readonly string[], burstLimit = defaultBurstLimit()): Promise<WorkspaceWatch> {
    if (process.platform !== 'linux') throw new Error(`file watching is not used on ${process.platform}`);
    const worker = WatchWorker.get();
    const id = nextId++;
    const reply = await worker.ask({ op: 'watch', id, root, syncDir, burstLimit, skip: [...skip] }, `watching:${id}`, SYNC_TIMEOUT_MS);
    if (reply.op !== 'watching' || reply.lost) {
      worker.tell({ op: 'unwatch', id });
      throw new Error(`cannot watch ${root}: ${reply.lost ?? 'no answer'}`);
    }
    return new WorkspaceWatch(worker, id, reply.watches);
  }

  /**
   * The paths (relative, UTF-8, `/`-separated) of everything created, changed, moved or deleted since the last call,
   * up to this call: a directory's path may stand for anything below it. `lost` when the watcher cannot vouch for them.
   */
  async changes(): Promise<WatchedChanges> {
    if (this.closed) return { paths: [], lost: 'the watch was closed' };
    const seq = ++this.seq;
    const reply = await this.worker.ask({ op: 'sync', id: this.id, seq }, `synced:${this.id}:${seq}`, SYNC_TIMEOUT_MS);
    if (reply.op !== 'synced') return { paths: [], lost: 'an unexpected answer from the watch worker' };
    return reply.lost ? { paths: [], lost: reply.lost } : { paths: reply.paths, lost: null };
  }

  /** Stops watching `dirs` and below, and does not watch them again (directories the ignore rules leave out). */
  skip(dirs: readonly string[]): void {
    if (!this.closed && dirs.length > 0) this.worker.tell({ op: 'skip', id: this.id, dirs: [...dirs] });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.tell({ op: 'unwatch', id: this.id });
  }
}
