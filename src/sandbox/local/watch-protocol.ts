// The messages between workspace-watch.ts and its worker thread (watch-worker.ts).

/** To the worker. */
export type WatchRequest =
  | { op: 'watch'; id: number; root: string; syncDir: string; burstLimit: number; skip: string[] }
  | { op: 'skip'; id: number; dirs: string[] }
  | { op: 'sync'; id: number; seq: number }
  | { op: 'unwatch'; id: number };

/** From the worker: `lost` says why the changes cannot be trusted (then `paths` is empty). */
export type WatchReply =
  | { op: 'watching'; id: number; lost: string | null; watches: number }
  | { op: 'synced'; id: number; seq: number; paths: string[]; lost: string | null };

export interface WatchWorkerData {
  /** Watches all workspaces together may hold: a share of the user's inotify limit, which VS Code's own watcher needs too. */
  budget: number;
  /** More directories than this in one workspace: watching is given up (the checkpoint scans instead). */
  maxWatches: number;
}
