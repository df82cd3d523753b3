import fs from 'node:fs';

export const DEFAULT_POLL_MS = 200;

/** A safety poll beside a working fs.watch that backs off while fs.watch reports everything (see watchWithPoll). */
export interface SafetyPoll {
  fastMs: number;
  slowMs: number;
  /** What the poll waits with: setTimeout, or a test's hand-driven timer. */
  timer?: PollTimer;
}

export interface PollTimer {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const TIMEOUT: PollTimer = { set: (run, ms) => setTimeout(run, ms), clear: (handle) => clearTimeout(handle as NodeJS.Timeout) };

/**
 * Calls `onChange` when `target` may have changed: on fs.watch events, and on a poll because fs.watch misses
 * changes on some file systems (network mounts, some containers) and can fail outright (inotify limits).
 * While fs.watch runs the poll is only a safety net and may be slower (`watchedPollMs`); once fs.watch cannot be
 * set up or fails, it polls every `pollMs`. The poll timer keeps the process alive while watching, like fs.watch
 * does. Returns a stop function.
 *
 * With a `SafetyPoll`, `onChange` resolves to whether it found a change it had not been told about, and the poll
 * beside fs.watch starts at `fastMs` and doubles up to `slowMs` while its calls find nothing new: a process watching
 * hundreds of quiet targets should not pay for a net that catches nothing. A poll that finds a change fs.watch has
 * not reported since the poll began is followed by one at `fastMs`; if fs.watch still reports nothing by then, it
 * misses changes and the poll stays at `fastMs` for good. An event that comes after the poll found its change (it
 * raced the poll's read, or fs.watch reports late: macOS's FSEvents after a latency) is no miss.
 */
export function watchWithPoll(target: string, onChange: () => void, pollMs?: number, watchedPollMs?: number): () => void;
export function watchWithPoll(target: string, onChange: () => Promise<boolean>, pollMs: number, safety: SafetyPoll): () => void;
export function watchWithPoll(target: string, onChange: () => unknown, pollMs = DEFAULT_POLL_MS, watched: number | SafetyPoll = pollMs): () => void {
  const safety = typeof watched === 'number' ? null : watched;
  const clock = safety?.timer ?? TIMEOUT;
  let watcher: fs.FSWatcher | null = null;
  let timer: unknown = null;
  let stopped = false;
  let period = typeof watched === 'number' ? watched : watched.fastMs;
  let missed = false;
  let watchEvents = 0;
  /** What watchEvents was when a poll found a change fs.watch had not reported; the next poll sees if it did since. */
  let unreported: number | null = null;
  const schedule = (): void => {
    if (!stopped) timer = clock.set(tick, watcher ? period : pollMs);
  };
  const tick = (): void => {
    timer = null;
    if (!safety || !watcher) {
      void onChange();
      schedule();
      return;
    }
    if (unreported !== null && watchEvents === unreported) missed = true;
    unreported = null;
    const eventsBefore = watchEvents;
    void Promise.resolve(onChange() as Promise<boolean>)
      .catch(() => false)
      .then((found) => {
        if (found && watchEvents === eventsBefore && !missed) unreported = watchEvents;
        // A change found while fs.watch was also reporting proves nothing either way: the period is kept.
        if (missed || unreported !== null) period = safety.fastMs;
        else if (!found) period = Math.min(period * 2, safety.slowMs);
        schedule();
      });
  };
  try {
    watcher = fs.watch(target, () => {
      watchEvents++;
      void onChange();
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
      if (timer) {
        clock.clear(timer);
        schedule();
      }
    });
  } catch {
    watcher = null;
  }
  schedule();
  return () => {
    stopped = true;
    watcher?.close();
    watcher = null;
    if (timer) clock.clear(timer);
    timer = null;
  };
}
