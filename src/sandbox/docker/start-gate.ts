// How many containers a provider makes at once. The engine overlaps a few starts well, but twenty at once (twenty
// sessions opened together) share the same cores and all finish near the end, so every session waits for the
// slowest; in waves, the first sessions get their tools while the rest are still starting. A session waiting for its
// container goes before a warm-pool refill, which nobody waits for.
//
// A start is mostly CPU (the engine's create and start, runc, the tool server's Node.js boot: ~1 s of it per
// container on a 2-core machine), so more starts at once than the engine's machine has cores only share them: in a
// burst of 20 on 2 cores, containers came at about the same rate with 4 at once as with 2, but each took 6-8 s from
// its slot to its tool server instead of 3-3.5 s, so the burst's first half had its tools later (startsAtOnce).

/** Starts at once on an engine whose machine has `cpus` cores (the engine's NCPU): one per core, at most 4. */
export function startsAtOnce(cpus: number): number {
  return Number.isInteger(cpus) && cpus > 0 ? Math.min(4, cpus) : 4;
}

export type StartPriority = 'session' | 'pool';

export class StartGate {
  private running = 0;
  private readonly waiting: { priority: StartPriority; go: () => void }[] = [];

  /** `limit`: starts at once; Infinity lets every start go at once. */
  constructor(private bound: number) {}

  get limit(): number {
    return this.bound;
  }

  /** Changes the bound (the provider's, once the engine said how many cores it has); a wider one lets waiters go. */
  set limit(limit: number) {
    this.bound = limit;
    while (this.running < this.bound && this.waiting.length > 0) {
      this.running++;
      this.waiting.shift()?.go();
    }
  }

  async run<T>(priority: StartPriority, start: () => Promise<T>): Promise<T> {
    if (this.running < this.bound) this.running++;
    else await new Promise<void>((go) => this.enqueue(priority, go));
    try {
      return await start();
    } finally {
      // The slot passes straight to the next waiter, so a start arriving meanwhile cannot take it first (unless the
      // limit was narrowed below the starts running).
      const next = this.running <= this.bound ? this.waiting.shift() : undefined;
      if (next) next.go();
      else this.running--;
    }
  }

  private enqueue(priority: StartPriority, go: () => void): void {
    const at = priority === 'session' ? this.waiting.findIndex((w) => w.priority === 'pool') : -1;
    if (at < 0) this.waiting.push({ priority, go });
    else this.waiting.splice(at, 0, { priority, go });
  }
}
