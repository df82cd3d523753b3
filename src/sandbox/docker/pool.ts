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
//
// Bursts: the pool keeps `size` containers, and more after a burst of sessions (twenty opened together through
// `hangar serve`): provisions that ask for a container less than `burstGapMs` apart are one burst, and for
// `rememberMs` after it the pool holds as many as the largest burst (never more than `max`, nor more than memory
// allows: `room()`), so the next burst of that size claims them all instead of starting containers. A refill starts
// once the burst has stopped asking (it would compete with the burst's sessions for the cores); when the burst is
// forgotten, the entries above `size` are removed.

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

export interface PoolSizing {
  /** Containers kept ready at all times (0: no pool). */
  size: number;
  /** The most a burst may grow the pool to (at least `size`; equal: the pool never grows). */
  max?: number;
  /** Provisions closer together than this are one burst; default 1 s. */
  burstGapMs?: number;
  /** How long a burst's size is kept ready after it; default 10 minutes. */
  rememberMs?: number;
  /** How many more containers memory has room for (entries above `size` only). */
  room?: () => number;
}

export class WarmPool {
  private entries: PoolEntry[] = [];
  private filling: Promise<void> | null = null;
  private key: string | null = null;
  private readonly discarding = new Set<Promise<void>>();
  readonly size: number;
  readonly max: number;
  private readonly burstGapMs: number;
  private readonly rememberMs: number;
  private readonly room: () => number;
  /** The burst being counted: provisions so far and when the last one asked. */
  private burst = { count: 0, lastAt: -Infinity };
  /** The bursts still remembered (each larger than every later one), with when each last asked. */
  private bursts: { count: number; at: number }[] = [];
  private forgetTimer: NodeJS.Timeout | null = null;

  constructor(
    sizing: PoolSizing,
    private readonly hooks: PoolHooks,
  ) {
    this.size = sizing.size;
    this.max = Math.max(sizing.size, sizing.max ?? sizing.size);
    this.burstGapMs = sizing.burstGapMs ?? 1000;
    this.rememberMs = sizing.rememberMs ?? 10 * 60_000;
    this.room = sizing.room ?? (() => Infinity);
  }

  /** Counts a provision that asked for a warm container (claimed or not) into the current burst. */
  asked(): void {
    const now = Date.now();
    if (now - this.burst.lastAt > this.burstGapMs) this.burst = { count: 0, lastAt: now };
    this.burst.count++;
    this.burst.lastAt = now;
    if (this.burst.count <= this.size || this.max <= this.size) return;
    // A smaller burst before this one ends sooner, so it no longer matters.
    this.bursts = [...this.bursts.filter((b) => b.count > this.burst.count), { count: this.burst.count, at: now }];
    this.armForget();
  }

  private armForget(): void {
    if (this.forgetTimer) clearTimeout(this.forgetTimer);
    this.forgetTimer = null;
    const oldest = this.bursts[0];
    if (!oldest) return;
    this.forgetTimer = setTimeout(() => this.forget(), Math.max(0, oldest.at + this.rememberMs - Date.now()) + 1);
    this.forgetTimer.unref();
  }

  /** Drops the bursts older than rememberMs, and the entries above what the rest need. */
  private forget(): void {
    const now = Date.now();
    this.bursts = this.bursts.filter((b) => now - b.at < this.rememberMs);
    this.armForget();
    for (const extra of this.entries.splice(this.target())) this.discard(extra);
  }

  /** How many entries the pool holds now: its size, or the largest remembered burst, within max. */
  target(): number {
    return Math.min(this.max, Math.max(this.size, ...this.bursts.map((b) => b.count)));
  }

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

  /** Fills the pool for `plan` up to its target, once the burst under way stopped asking; resolves when it is full (or a fill failed). */
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
      for (let quiet = this.burst.lastAt + this.burstGapMs - Date.now(); quiet > 0; quiet = this.burst.lastAt + this.burstGapMs - Date.now()) {
        await new Promise((r) => setTimeout(r, quiet));
      }
      // Entries taken during this fill are made again by the fill their claim starts, which waits for this one.
      const want = this.key === plan.key ? this.target() - this.entries.length : 0;
      const aboveSize = Math.max(0, this.entries.length + want - this.size);
      const missing = want - Math.max(0, aboveSize - Math.max(0, this.room()));
      const made = await Promise.allSettled(
        Array.from({ length: Math.max(0, missing) }, async () => {
          const entry = await this.hooks.make(plan);
          if (this.key === plan.key && this.entries.length < this.target()) this.entries.push(entry);
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
    if (this.forgetTimer) clearTimeout(this.forgetTimer);
    this.forgetTimer = null;
    await this.filling?.catch(() => undefined);
    const all = this.entries;
    this.entries = [];
    for (const e of all) this.discard(e);
    await Promise.all([...this.discarding]);
  }
}
