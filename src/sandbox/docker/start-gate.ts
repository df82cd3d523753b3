// How many containers a provider makes at once. The engine overlaps a few starts well, but twenty at once (twenty
// sessions opened together) share the same cores and all finish near the end, so every session waits for the
// slowest; in waves, the first sessions get their tools while the rest are still starting. A session waiting for its
// container goes before a warm-pool refill, which nobody waits for.

export type StartPriority = 'session' | 'pool';

export class StartGate {
  private running = 0;
  private readonly waiting: { priority: StartPriority; go: () => void }[] = [];

  /** `limit`: starts at once; Infinity lets every start go at once. */
  constructor(readonly limit: number) {}

  async run<T>(priority: StartPriority, start: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((go) => this.enqueue(priority, go));
    try {
      return await start();
    } finally {
      // The slot passes straight to the next waiter, so a start arriving meanwhile cannot take it first.
      const next = this.waiting.shift();
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
