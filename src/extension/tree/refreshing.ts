// Values kept per key between reads, for a tree that must answer at once: VS Code drops a row's children when the row
// is repainted and asks for them again, and an expand or reveal of a child that lands before the answer finds
// nothing ("No tree item with id … found"). So a reader gets the last value read without waiting, and a read happens
// only when something says the value moved (refresh), in the background, one at a time per key; a refresh asked for
// while reading reads once more after it, so the last change is always read. Each value read is handed to `settled`
// before anyone gets it, where the tree compares it with what it shows. No vscode here: test/unit/extension.

export class Refreshing<K, T> {
  private readonly values = new Map<K, T>();
  private readonly reads = new Map<K, Promise<T>>();
  private readonly again = new Set<K>();
  /** Bumped by clear(): a read begun before it neither keeps its value nor reports it. */
  private generation = 0;

  constructor(
    private readonly read: (key: K) => Promise<T>,
    private readonly settled: (key: K, value: T) => void,
  ) {}

  /** The last value read, if any. */
  known(key: K): T | undefined {
    return this.values.get(key);
  }

  /** The last value read at once; the first read's when there is none yet. */
  get(key: K): T | Promise<T> {
    if (this.values.has(key)) return this.values.get(key) as T;
    return this.reads.get(key) ?? this.start(key);
  }

  /** Reads the value again in the background (once more after the read in flight, if any). */
  refresh(key: K): void {
    if (this.reads.has(key)) this.again.add(key);
    else this.start(key).catch(() => undefined);
  }

  /** Reads the value if it is neither known nor being read. */
  ensure(key: K): void {
    if (!this.values.has(key) && !this.reads.has(key)) this.refresh(key);
  }

  drop(key: K): void {
    this.values.delete(key);
    this.again.delete(key);
  }

  clear(): void {
    this.generation++;
    this.values.clear();
    this.reads.clear();
    this.again.clear();
  }

  /** One read; a refresh asked for while it ran starts the next when it settles, so a reader waits for one read only. */
  private start(key: K): Promise<T> {
    const generation = this.generation;
    const settle = (value?: T, ok = false) => {
      if (generation !== this.generation) return;
      this.reads.delete(key);
      if (ok) {
        this.values.set(key, value as T);
        this.settled(key, value as T);
      }
      if (this.again.has(key)) this.refresh(key);
    };
    this.again.delete(key);
    const reading = this.read(key).then(
      (value) => (settle(value, true), value),
      (err: unknown) => {
        settle();
        throw err;
      },
    );
    this.reads.set(key, reading);
    return reading;
  }
}
