import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { DirectoryWatches } from '../watch/directory-watches';
import type { WatchReply, WatchRequest, WatchWorkerData } from './watch-protocol';

// The worker thread that watches local sandboxes' workspaces (workspace-watch.ts starts it from this file's bundle,
// watch-worker-source.ts, and talks to it; the watching itself is watch/directory-watches.ts, shared with the tool server).
//
// Why a thread: libuv reads every fs.watch of a thread from one inotify descriptor and drops the kernel's overflow
// event without a word. On the main thread that descriptor is shared with every other fs.watch in the process (in
// VS Code, every extension's), so a burst elsewhere could lose our events unseen. Here the descriptor is ours alone,
// so a drain of at least half the kernel's queue (each workspace's `burstLimit`) is taken as a possible overflow and
// the workspace is reported lost, never silently incomplete. The thread's loop does nothing else, so it drains
// promptly even while the main loop is busy with twenty sessions.
//
// Watches are made as soon as a name appears as a directory, or was one (a rename event): its watches are made again
// below it. The top-level `.git` (the agent's own repository) is not watched, nor are the directories the checkpoint
// found ignored and untracked (a node_modules): nothing below them goes into a checkpoint while the ignore rules
// stand, and they can hold more directories than the repository. Changed paths are collected per workspace until a
// sync asks for them; once lost, a workspace stays lost (the caller starts a new watch).

const port = parentPort;
if (!port) throw new Error('watch-worker.ts runs as a worker thread');
const limits = workerData as WatchWorkerData;

interface Root {
  watches: DirectoryWatches;
  skip: Set<string>;
  paths: Set<string>;
}

/** The caller stops waiting long before (workspace-watch.ts); this only drops the sync's waiter. */
const ABANDON_SYNC_MS = 60_000;

const roots = new Map<number, Root>();
const reply = (message: WatchReply) => port.postMessage(message);

function totalWatches(): number {
  let total = 0;
  for (const r of roots.values()) total += r.watches.size;
  return total;
}

function start(msg: Extract<WatchRequest, { op: 'watch' }>): void {
  const skip = new Set(msg.skip);
  const paths = new Set<string>();
  const watches: DirectoryWatches = new DirectoryWatches({
    root: msg.root,
    syncDir: msg.syncDir,
    burstLimit: msg.burstLimit,
    burstWindow: 'drain',
    maxWatches: limits.maxWatches,
    budget: { limit: limits.budget, used: totalWatches },
    onChange: (p, type) => {
      paths.add(p);
      if (type !== 'rename') return;
      watches.unwatchBelow(p);
      let info: fs.Stats | null = null;
      try {
        info = fs.lstatSync(path.join(msg.root, p));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') watches.lose(`cannot stat ${p}: ${(err as Error).message}`);
      }
      if (info?.isDirectory() && !skip.has(p)) watches.watchTree(p, (d) => skip.has(d));
    },
    onLost: () => {
      paths.clear();
      roots.get(msg.id)?.watches.stop();
    },
  });
  roots.set(msg.id, { watches, skip, paths });
  if (watches.lost) watches.stop(); // the sync directory failed, before onLost could reach `watches`
  watches.watchTree('', (d) => skip.has(d));
  reply({ op: 'watching', id: msg.id, lost: watches.lost, watches: watches.size });
}

async function sync(id: number, r: Root, seq: number): Promise<void> {
  if (r.watches.lost) return reply({ op: 'synced', id, seq, paths: [], lost: r.watches.lost });
  const caughtUp = await r.watches.sync(ABANDON_SYNC_MS);
  const lost = r.watches.lost ?? (caughtUp ? null : 'not watching');
  reply({ op: 'synced', id, seq, paths: lost ? [] : [...r.paths], lost });
  r.paths.clear();
}

port.on('message', (msg: WatchRequest) => {
  if (msg.op === 'watch') return start(msg);
  const r = roots.get(msg.id);
  if (!r) return;
  if (msg.op === 'skip') {
    // Paths collected below them (before this message arrived) are moot too.
    for (const dir of msg.dirs) {
      r.skip.add(dir);
      r.watches.unwatchBelow(dir);
      for (const p of r.paths) if (p.startsWith(`${dir}/`)) r.paths.delete(p);
    }
    return;
  }
  if (msg.op === 'unwatch') {
    r.watches.lose('closed');
    r.watches.close();
    roots.delete(msg.id);
    return;
  }
  void sync(msg.id, r, msg.seq);
});
