import { SHARE_ENV, Worker } from 'node:worker_threads';
import { defaultBurstLimit, inotifyLimit } from '../watch/directory-watches';
import type { CheckpointOutcome, WatchReply, WatchRequest, WatchWorkerData } from './watch-protocol';
import { watchWorkerSource } from './watch-worker-source';

// A local sandbox's checkpoints built from the paths that changed in its workspace, by the watch worker (watch-worker.ts
// says how and why there): this side only asks and gets a tree id. One worker serves every sandbox of the process; it
// does not keep the process alive. Linux only: elsewhere fs.watch neither reports every event nor says when it lost
// some, so `start` refuses and checkpoints scan.

const MAX_WATCHES = 20_000;
/** The kernel's usual max_user_watches where /proc does not say (older kernels' default). */
const DEFAULT_USER_WATCHES = 8_192;
/** The share of the user's inotify watches sandboxes may hold: the rest stays for VS Code's watcher and other tools. */
const WATCH_SHARE = 0.25;
/** Starting a watch that takes longer means the worker is stuck or gone: watching is then given up. */
const START_TIMEOUT_MS = 10_000;
/** A checkpoint (a sync, then reading and hashing up to 1,000 files) that takes longer: the changes are taken as lost. */
const CHECKPOINT_TIMEOUT_MS = 30_000;

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
    // The parent's environment: a build reads a packed tree with git (tree-objects.ts), which needs PATH.
    this.worker = new Worker(watchWorkerSource(), { eval: true, workerData: data, env: SHARE_ENV, stdout: true, stderr: true });
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
  return reply.op === 'watching' ? `watching:${reply.id}` : `checkpointed:${reply.id}:${reply.seq}`;
}

function lostReply(key: string, why: string): WatchReply {
  const [op, id, seq] = key.split(':');
  return op === 'watching' ? { op: 'watching', id: Number(id), lost: why, watches: 0 } : { op: 'checkpointed', id: Number(id), seq: Number(seq), outcome: { kind: 'lost', why } };
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
   * Watches every directory of `root` but its top `.git` and those in `skip`, for checkpoints written to git dir `gitDir`; `syncDir` is a directory of Hangar's own outside `root`
   * (emptied first). Resolves once the watches are in place; throws when they cannot be (the caller scans instead).
   * `burstLimit`: a drain of that many events is taken as a possible overflow (by default half the kernel's queue).
   */
  static async start(root: string, gitDir: string, syncDir: string, skip: readonly string[], burstLimit = defaultBurstLimit()): Promise<WorkspaceWatch> {
    if (process.platform !== 'linux') throw new Error(`file watching is not used on ${process.platform}`);
    const worker = WatchWorker.get();
    const id = nextId++;
    const reply = await worker.ask({ op: 'watch', id, root, gitDir, syncDir, burstLimit, skip: [...skip] }, `watching:${id}`, START_TIMEOUT_MS);
    if (reply.op !== 'watching' || reply.lost) {
      worker.tell({ op: 'unwatch', id });
      throw new Error(`cannot watch ${root}: ${reply.op === 'watching' ? reply.lost : 'an unexpected answer from the watch worker'}`);
    }
    return new WorkspaceWatch(worker, id, reply.watches);
  }

  /**
   * Tree `base` (null: none) with everything created, changed, moved or deleted since the last call made what the work
   * tree holds now, built in the worker; `lost` when the watcher cannot vouch for the changes.
   */
  async checkpoint(base: string | null): Promise<CheckpointOutcome> {
    if (this.closed) return { kind: 'lost', why: 'the watch was closed' };
    const seq = ++this.seq;
    const reply = await this.worker.ask({ op: 'checkpoint', id: this.id, seq, base }, `checkpointed:${this.id}:${seq}`, CHECKPOINT_TIMEOUT_MS);
    return reply.op === 'checkpointed' ? reply.outcome : { kind: 'lost', why: 'an unexpected answer from the watch worker' };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.tell({ op: 'unwatch', id: this.id });
  }
}
