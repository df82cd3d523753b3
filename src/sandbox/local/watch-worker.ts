// The worker thread that watches local sandboxes' workspaces (workspace-watch.ts starts it and talks to it). Its
// source is a string run with `eval`, like the grep matcher's (tools/grep-js.ts), so bundles need no extra file.
//
// Why a thread: libuv reads every fs.watch of a thread from one inotify descriptor and drops the kernel's overflow
// event without a word (its watcher lookup for wd -1 finds nothing). On the main thread that descriptor is shared with
// every other fs.watch in the process (in VS Code, every extension's), so a burst elsewhere could lose our events
// unseen. Here the descriptor is ours alone: every event the kernel queued reaches a callback, so a drain of at least
// half the kernel's queue limit (/proc/sys/fs/inotify/max_queued_events; each workspace's `burstLimit`) is taken as a
// possible overflow and the workspace is reported lost, never silently incomplete. The thread's loop does nothing else, so it drains promptly
// even while the main loop is busy with twenty sessions.
//
// One non-recursive watch per directory (Node 20's recursive mode on Linux watches every file too, and walks
// synchronously): a watch is added before its directory is listed, so a subdirectory made meanwhile shows as an event;
// a name that appears as a directory, or was one, has its watches made again below it (a watch follows its inode, so
// a moved directory's old watches would report the wrong paths). The top-level `.git` (the agent's own repository) is
// not watched, nor are the directories the checkpoint found ignored and untracked (a node_modules): nothing below them
// goes into a checkpoint while the ignore rules stand, and they can hold more directories than the repository.
// Changed paths are collected per workspace until asked for.
//
// Asking is a sync: the thread writes a file named by the request into that workspace's sync directory (watched on the
// same descriptor). inotify delivers in order, so when that file's event arrives, every change made before the request
// has been collected; the answer carries them.

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

export const WATCH_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const roots = new Map();
let burst = 0;

function decode(name) {
  try { return utf8.decode(name); } catch { return null; }
}

function counted() {
  if (burst++ > 0) return;
  setImmediate(() => {
    for (const r of roots.values()) if (burst >= r.burstLimit) lose(r, 'the file watcher may have missed events (a burst of ' + burst + ')');
    burst = 0;
  });
}

function lose(r, why) {
  if (r.lost) return;
  r.lost = why;
  r.paths.clear();
  for (const w of r.watches.values()) w.close();
  r.watches.clear();
}

function join(rel, name) { return rel ? rel + '/' + name : name; }

function unwatchBelow(r, rel) {
  if (!r.watches.has(rel)) return;
  const prefix = rel + '/';
  for (const [p, w] of r.watches) if (p === rel || p.startsWith(prefix)) { w.close(); r.watches.delete(p); }
}

function gone(err) { return err && (err.code === 'ENOENT' || err.code === 'ENOTDIR'); }

function watchDir(r, rel) {
  if (r.lost) return;
  if (r.watches.size >= workerData.maxWatches) return lose(r, 'more than ' + workerData.maxWatches + ' directories');
  let total = 0;
  for (const other of roots.values()) total += other.watches.size;
  if (total >= workerData.budget) return lose(r, 'the sandboxes hold ' + total + ' directory watches, the share of the inotify limit they may use');
  let w;
  try {
    w = fs.watch(path.join(r.root, rel), { encoding: 'buffer', persistent: false }, (type, name) => onEvent(r, rel, type, name));
  } catch (err) {
    if (!gone(err)) lose(r, 'cannot watch ' + (rel || '.') + ': ' + err.message);
    return;
  }
  w.on('error', (err) => lose(r, 'watching ' + (rel || '.') + ' failed: ' + err.message));
  r.watches.set(rel, w);
  let entries;
  try {
    entries = fs.readdirSync(path.join(r.root, rel), { withFileTypes: true, encoding: 'buffer' });
  } catch (err) {
    if (!gone(err)) lose(r, 'cannot list ' + (rel || '.') + ': ' + err.message);
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const name = decode(e.name);
    if (name === null) return lose(r, 'a name that is not UTF-8 in ' + (rel || '.'));
    if ((rel === '' && name === '.git') || r.skip.has(join(rel, name))) continue;
    watchDir(r, join(rel, name));
  }
}

function onEvent(r, rel, type, raw) {
  counted();
  if (r.lost || r.watches.get(rel) === undefined) return;
  const name = raw ? decode(raw) : null;
  if (name === null) return lose(r, raw ? 'a name that is not UTF-8 in ' + (rel || '.') : 'an event without a name');
  if (rel === '' && name === '.git') return;
  const p = join(rel, name);
  r.paths.add(p);
  if (type !== 'rename') return;
  unwatchBelow(r, p);
  let info = null;
  try { info = fs.lstatSync(path.join(r.root, p)); } catch (err) { if (!gone(err)) lose(r, 'cannot stat ' + p + ': ' + err.message); }
  if (info && info.isDirectory() && !r.skip.has(p)) watchDir(r, p);
}

function onSync(r, name) {
  counted();
  const seq = r.waiting.get(name);
  if (seq === undefined) return;
  r.waiting.delete(name);
  fs.rmSync(path.join(r.syncDir, name), { force: true });
  parentPort.postMessage({ op: 'synced', id: r.id, seq, paths: r.lost ? [] : [...r.paths], lost: r.lost });
  r.paths.clear();
}

function start(msg) {
  const r = { id: msg.id, root: msg.root, syncDir: msg.syncDir, burstLimit: msg.burstLimit, skip: new Set(msg.skip), watches: new Map(), paths: new Set(), waiting: new Map(), lost: null, sync: null };
  roots.set(msg.id, r);
  try {
    fs.mkdirSync(r.syncDir, { recursive: true });
    for (const f of fs.readdirSync(r.syncDir)) fs.rmSync(path.join(r.syncDir, f), { force: true });
    r.sync = fs.watch(r.syncDir, { persistent: false }, (type, name) => onSync(r, name));
    r.sync.on('error', (err) => lose(r, 'the sync directory failed: ' + err.message));
  } catch (err) {
    lose(r, 'cannot watch the sync directory: ' + err.message);
  }
  watchDir(r, '');
  parentPort.postMessage({ op: 'watching', id: r.id, lost: r.lost, watches: r.watches.size });
}

parentPort.on('message', (msg) => {
  const r = roots.get(msg.id);
  if (msg.op === 'watch') return start(msg);
  if (!r) return;
  if (msg.op === 'skip') {
    // Paths collected below them (before this message arrived) are moot too.
    for (const dir of msg.dirs) {
      r.skip.add(dir);
      unwatchBelow(r, dir);
      for (const p of r.paths) if (p.startsWith(dir + '/')) r.paths.delete(p);
    }
    return;
  }
  if (msg.op === 'unwatch') {
    lose(r, 'closed');
    if (r.sync) r.sync.close();
    roots.delete(msg.id);
    return;
  }
  if (r.lost || !r.sync) return parentPort.postMessage({ op: 'synced', id: r.id, seq: msg.seq, paths: [], lost: r.lost || 'not watching' });
  const name = 'sync-' + msg.seq;
  r.waiting.set(name, msg.seq);
  try {
    fs.writeFileSync(path.join(r.syncDir, name), '');
  } catch (err) {
    r.waiting.delete(name);
    lose(r, 'cannot write the sync file: ' + err.message);
    parentPort.postMessage({ op: 'synced', id: r.id, seq: msg.seq, paths: [], lost: r.lost });
  }
});
`;
