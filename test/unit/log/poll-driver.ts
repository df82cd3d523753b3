import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { PollTimer } from '../../../src/log/watch';

/**
 * A safety poll driven by hand: fs.watch replaced by a watcher whose events the test sends (`report`), and the poll's
 * timer by one the test runs (`poll`), so a watch event and a poll can be put in any order without timing.
 */
export class PollDriver {
  /** The period asked for each poll, in order. */
  readonly periods: number[] = [];
  private due: { run: () => void; handle: object } | null = null;
  private scheduled: (() => void) | null = null;
  private listener: ((event: fs.WatchEventType, name: string | null) => void) | null = null;

  readonly timer: PollTimer = {
    set: (run, ms) => {
      const handle = {};
      this.periods.push(ms);
      this.due = { run, handle };
      this.scheduled?.();
      return handle;
    },
    clear: (handle) => {
      if (this.due?.handle === handle) this.due = null;
    },
  };

  /** Runs `start` with fs.watch replaced by this driver's watcher (what `start` sets up reports only through `report`). */
  watching<T>(start: () => T): T {
    const real = fs.watch;
    fs.watch = ((_target: fs.PathLike, listener: (event: fs.WatchEventType, name: string | null) => void) => {
      this.listener = listener;
      return Object.assign(new EventEmitter(), { close: () => (this.listener = null) });
    }) as unknown as typeof fs.watch;
    try {
      return start();
    } finally {
      fs.watch = real;
    }
  }

  /** fs.watch reports a change. */
  report(name = 'batch.json'): void {
    if (!this.listener) throw new Error('nothing is watching');
    this.listener('rename', name);
  }

  /** Runs the poll that is due; resolves with the period of the next one once it is scheduled (the poll is done). */
  poll(): Promise<number> {
    const due = this.due;
    if (!due) throw new Error('no poll is due');
    this.due = null;
    const next = new Promise<number>((resolve) => {
      this.scheduled = () => {
        this.scheduled = null;
        resolve(this.periods.at(-1)!);
      };
    });
    due.run();
    return next;
  }

  /** Runs `n` polls that find nothing new; the periods each asked for the next. */
  async quiet(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.poll());
    return out;
  }
}
