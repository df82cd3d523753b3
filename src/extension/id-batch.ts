// Gathers ids for a while, then hands each on once: with many sessions running, their changes are announced in one
// pass every few hundred ms instead of one timer per session, so the readers of a pass share their reads
// (test/bench/extension-host.bench.ts).

export class IdBatch<Id = string> {
  private readonly ids = new Set<Id>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly flush: (id: Id) => void,
  ) {}

  add(id: Id): void {
    this.ids.add(id);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const ids = [...this.ids];
      this.ids.clear();
      for (const each of ids) this.flush(each);
    }, this.ms);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.ids.clear();
  }
}
