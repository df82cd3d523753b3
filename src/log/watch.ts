import fs from 'node:fs';

export const DEFAULT_POLL_MS = 200;

/**
 * Calls `onChange` when `target` may have changed: on fs.watch events, and on a poll because fs.watch misses
 * changes on some file systems (network mounts, some containers) and can fail outright (inotify limits).
 * The poll timer keeps the process alive while watching, like fs.watch does. Returns a stop function.
 */
export function watchWithPoll(target: string, onChange: () => void, pollMs = DEFAULT_POLL_MS): () => void {
  let watcher: fs.FSWatcher | null = null;
  try {
    watcher = fs.watch(target, () => onChange());
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(onChange, pollMs);
  return () => {
    watcher?.close();
    watcher = null;
    clearInterval(timer);
  };
}
