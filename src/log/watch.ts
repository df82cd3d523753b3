import fs from 'node:fs';

export const DEFAULT_POLL_MS = 200;

/** A safety poll beside a working fs.watch that backs off while fs.watch reports everything (see watchWithPoll). */
export interface SafetyPoll {
  fastMs: number;
  slowMs: number;
}

/**
 * Calls `onChange` when `target` may have changed: on fs.watch events, and on a poll because fs.watch misses
 * changes on some file systems (network mounts, some containers) and can fail outright (inotify limits).
 * While fs.watch runs the poll is only a safety net and may be slower (`watchedPollMs`); once fs.watch cannot be
 * set up or fails, it polls every `pollMs`. The poll timer keeps the process alive while watching, like fs.watch
 * does. Returns a stop function.
 *
 * With a `SafetyPoll`, `onChange` resolves to whether it found a change it had not been told about, and the poll
 * beside fs.watch starts at `fastMs` and doubles up to `slowMs` while its calls find nothing new: a process watching
 * hundreds of quiet targets should not pay for a net that catches nothing. A poll that finds a change while fs.watch
 * stayed silent (from the poll's start until the I/O already pending when it ended has been handled, so an event
 * that raced the poll still counts) shows this fs.watch misses changes: the poll goes back to `fastMs` for good.
 */
export function watchWithPoll(target: string, onChange: () => void, pollMs?: number, watchedPollMs?: number): () => void;
export function watchWithPoll(target: string, onChange: () => Promise<boolean>, pollMs: number, safety: SafetyPoll): () => void;
export function watchWithPoll(target: string, onChange: () => unknown, pollMs = DEFAULT_POLL_MS, watched: number | SafetyPoll = pollMs): () => void {
  const safety = typeof watched === 'number' ? null : watched;
  let watcher: fs.FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let period = typeof watched === 'number' ? watched : watched.fastMs;
  let missed = false;
  let watchEvents = 0;
  const schedule = (): void => {
    if (!stopped) timer = setTimeout(tick, watcher ? period : pollMs);
  };
  const tick = (): void => {
    timer = null;
    if (!safety || !watcher) {
      void onChange();
      schedule();
      return;
    }
    const eventsBefore = watchEvents;
    void Promise.resolve(onChange() as Promise<boolean>)
      .catch(() => false)
      .then((found) => new Promise<boolean>((resolve) => setImmediate(() => resolve(found))))
      .then((found) => {
        if (found && watchEvents === eventsBefore) missed = true;
        // A change found while fs.watch was also reporting proves nothing either way: keep the period.
        if (missed) period = safety.fastMs;
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
        clearTimeout(timer);
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
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
