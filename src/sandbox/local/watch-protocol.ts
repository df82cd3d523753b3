// The messages between workspace-watch.ts and its worker thread (watch-worker.ts).

/** To the worker. */
export type WatchRequest =
  | { op: 'watch'; id: number; root: string; gitDir: string; syncDir: string; burstLimit: number; skip: string[] }
  /** Collect the changes up to now and build `base` with them (null: no tree to build on, only start a new period). */
  | { op: 'checkpoint'; id: number; seq: number; base: string | null }
  | { op: 'unwatch'; id: number };

/**
 * How a checkpoint request ended: `built` the tree (the ignored directories it found are left unwatched from now on);
 * `lost` the watcher may have missed changes (the caller starts a new watch and scans); `declined` the changes are
 * known but the tree could not be vouched for (the caller scans; `rulesChanged`: a .gitignore changed).
 */
export type CheckpointOutcome =
  | { kind: 'built'; tree: string; ignoredDirs: string[] }
  | { kind: 'lost'; why: string }
  | { kind: 'declined'; why: string; rulesChanged: boolean };

/** From the worker. */
export type WatchReply =
  | { op: 'watching'; id: number; lost: string | null; watches: number }
  | { op: 'checkpointed'; id: number; seq: number; outcome: CheckpointOutcome };

export interface WatchWorkerData {
  /** Watches all workspaces together may hold: a share of the user's inotify limit, which VS Code's own watcher needs too. */
  budget: number;
  /** More directories than this in one workspace: watching is given up (the checkpoint scans instead). */
  maxWatches: number;
}
