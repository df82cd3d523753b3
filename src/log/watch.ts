import fs from 'node:fs';

export const DEFAULT_POLL_MS = 200;

/**
 * Calls `onChange` when `target` may have changed: on fs.watch events, and on a poll because fs.watch misses
 * changes on some file systems (network mounts, some containers) and can fail outright (inotify limits).
 * While fs.watch runs the poll is only a safety net and may be slower (`watchedPollMs`); once fs.watch cannot be
 * set up or fails, it polls every `pollMs`. The poll timer keeps the process alive while watching, like fs.watch
 * does. Returns a stop function.
 */
export function watchWithPoll(target: string, onChange: () => void, pollMs = DEFAULT_POLL_MS, watchedPollMs = pollMs): () => void {
  let watcher: fs.FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  const poll = (ms: number) => {
    if (timer) clearInterval(timer);
    timer = setInterval(onChange, ms);
  };
  try {
    watcher = fs.watch(target, () => onChange());
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
      if (timer) poll(pollMs);
    });
  } catch {
    watcher = null;
  }
  poll(watcher ? watchedPollMs : pollMs);
  return () => {
    watcher?.close();
    watcher = null;
    if (timer) clearInterval(timer);
    timer = null;
  };
}
