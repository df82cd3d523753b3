import type { MadeLayer } from './layer';
import type { SandboxPlan } from './plan';

// Warm containers: started ahead with their volume (an overlay on the current snapshot) and tool server, so a new
// session only claims one. A volume cannot be attached to a running container, so each entry is made for one plan
// key (image, settings, snapshot); when the key changes (the repository or environment moved on) the old entries
// are dropped and the pool refills for the new key in the background. A session's outputs dir is bound into its
// container, and a bind cannot be added to a running one: a warm container binds a dir of its own instead, which the
// session claiming it takes as its outputs dir (warm.ts). A fill asks for every missing container at once and the
// provider's start gate (start-gate.ts) paces them behind sessions' own starts; each joins the pool as soon as it is
// ready, so a session arriving during a fill does not wait for the slowest of a batch.

export interface PoolEntry extends MadeLayer {
  key: string;
  plan: SandboxPlan;
  /** The host dir bound at /mnt/session/outputs (null: the plan binds none), moved into its session's place on claim. */
  outputsDir: string | null;
}

export interface PoolHooks {
  make(plan: SandboxPlan): Promise<PoolEntry>;
  discard(entry: PoolEntry): Promise<void>;
}

export class WarmPool {
  private entries: PoolEntry[] = [];
  private filling: Promise<void> | null = null;
  private key: string | null = null;
  private readonly discarding = new Set<Promise<void>>();

  constructor(
    readonly size: number,
    private readonly hooks: PoolHooks,
  ) {}

  /** A ready entry for `key`, or null. The caller owns it from now on. */
  take(key: string): PoolEntry | null {
    while (true) {
      const i = this.entries.findIndex((e) => e.key === key);
      if (i < 0) return null;
      const [entry] = this.entries.splice(i, 1) as [PoolEntry];
      if (entry.hands.server?.alive ?? true) return entry;
      this.discard(entry);
    }
  }

  /** Fills the pool for `plan` up to its size; resolves when it is full (or a fill failed). */
  fill(plan: SandboxPlan): Promise<void> {
    if (this.size <= 0 || plan.mode !== 'overlay') return Promise.resolve();
    if (this.key !== plan.key) {
      this.key = plan.key;
      const stale = this.entries.filter((e) => e.key !== plan.key);
      this.entries = this.entries.filter((e) => e.key === plan.key);
      for (const e of stale) this.discard(e);
    }
    const run = async () => {
      await this.filling?.catch(() => undefined);
      // Entries taken during this fill are made again by the fill their claim starts, which waits for this one.
      const missing = this.key === plan.key ? this.size - this.entries.length : 0;
      const made = await Promise.allSettled(
        Array.from({ length: Math.max(0, missing) }, async () => {
          const entry = await this.hooks.make(plan);
          if (this.key === plan.key) this.entries.push(entry);
          else this.discard(entry);
        }),
      );
      const failed = made.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const job = run();
    const tracked: Promise<void> = job.finally(() => {
      if (this.filling === tracked) this.filling = null;
    });
    this.filling = tracked;
    return job;
  }

  /** Resolves when the fill under way (if any) is done, whether it filled the pool or failed. */
  async settled(): Promise<void> {
    await this.filling?.catch(() => undefined);
  }

  /** Removes an entry (taken or not) in the background; drain() waits for it. */
  discard(entry: PoolEntry): void {
    const job = this.hooks.discard(entry).catch(() => undefined);
    this.discarding.add(job);
    void job.finally(() => this.discarding.delete(job));
  }

  /** Layer ids of the entries (the reaper keeps them). */
  layers(): Set<string> {
    return new Set(this.entries.map((e) => e.layerId));
  }

  snapshots(): Set<string> {
    return new Set(this.entries.flatMap((e) => (e.plan.snapshot ? [e.plan.snapshot.id] : [])));
  }

  async drain(): Promise<void> {
    this.key = null;
    await this.filling?.catch(() => undefined);
    const all = this.entries;
    this.entries = [];
    for (const e of all) this.discard(e);
    await Promise.all([...this.discarding]);
  }
}
