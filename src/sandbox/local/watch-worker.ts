import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { DirectoryWatches } from '../watch/directory-watches';
import { BuildDeclined, TreeBuilder } from './tree-build';
import type { CheckpointOutcome, WatchReply, WatchRequest, WatchWorkerData } from './watch-protocol';

// The worker thread that watches local sandboxes' workspaces and builds their checkpoints from what it saw
// (workspace-watch.ts starts it from this file's bundle, watch-worker-source.ts, and talks to it; the watching itself
// is watch/directory-watches.ts, shared with the tool server; the building, tree-build.ts).
//
// Why a thread: libuv reads every fs.watch of a thread from one inotify descriptor and drops the kernel's overflow
// event without a word. On the main thread that descriptor is shared with every other fs.watch in the process (in
// VS Code, every extension's), so a burst elsewhere could lose our events unseen. Here the descriptor is ours alone,
// so a drain of at least half the kernel's queue (each workspace's `burstLimit`) is taken as a possible overflow and
// the workspace is reported lost, never silently incomplete. The thread's loop drains promptly even while the main
// loop is busy with twenty sessions. It also builds checkpoints (reading and hashing the changed files, writing git
// objects), so the main loop only asks and gets a tree id: that work is mostly waiting on file reads, and its
// synchronous steps (one file's hash, a small object's deflate) only delay a drain, which makes a burst (a scan)
// likelier, never an overflow unseen: the events still queued are all read in the next drain and counted there.
//
// Watches are made as soon as a name appears as a directory, or was one (a rename event): its watches are made again
// below it. The top-level `.git` (the agent's own repository) is not watched, nor are the directories the checkpoint
// found ignored and untracked (a node_modules): nothing below them goes into a checkpoint while the ignore rules
// stand, and they can hold more directories than the repository. Changed paths are collected per workspace until a
// checkpoint asks for them; once lost, a workspace stays lost (the caller starts a new watch).

const port = parentPort;
if (!port) throw new Error('watch-worker.ts runs as a worker thread');
const limits = workerData as WatchWorkerData;

interface Root {
  watches: DirectoryWatches;
  skip: Set<string>;
  paths: Set<string>;
  builder: TreeBuilder;
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
  roots.set(msg.id, { watches, skip, paths, builder: new TreeBuilder(msg.root, msg.gitDir) });
  if (watches.lost) watches.stop(); // the sync directory failed, before onLost could reach `watches`
  watches.watchTree('', (d) => skip.has(d));
  reply({ op: 'watching', id: msg.id, lost: watches.lost, watches: watches.size });
}

/** Leaves `dirs` and below unwatched for good (ignored untracked directories a build found); paths collected below them are moot. */
function skip(r: Root, dirs: readonly string[]): void {
  for (const dir of dirs) {
    r.skip.add(dir);
    r.watches.unwatchBelow(dir);
    for (const p of r.paths) if (p.startsWith(`${dir}/`)) r.paths.delete(p);
  }
}

/** Every change up to now (a sync), built into `base`. Anything but a built tree means the caller scans: the rules are read afresh after. */
async function checkpoint(r: Root, base: string | null): Promise<CheckpointOutcome> {
  if (r.watches.lost) return { kind: 'lost', why: r.watches.lost };
  const caughtUp = await r.watches.sync(ABANDON_SYNC_MS);
  const lost = r.watches.lost ?? (caughtUp ? null : 'not watching');
  const paths = [...r.paths];
  r.paths.clear();
  if (lost) return { kind: 'lost', why: lost };
  try {
    if (base === null) throw new BuildDeclined('no checkpoint to build on');
    const built = await r.builder.build(base, paths);
    skip(r, built.ignoredDirs);
    return { kind: 'built', ...built };
  } catch (err) {
    r.builder.forgetRules();
    if (err instanceof BuildDeclined) return { kind: 'declined', why: err.message, rulesChanged: err.rulesChanged };
    return { kind: 'declined', why: `building the checkpoint failed: ${err instanceof Error ? err.message : String(err)}`, rulesChanged: false };
  }
}

port.on('message', (msg: WatchRequest) => {
  if (msg.op === 'watch') return start(msg);
  const r = roots.get(msg.id);
  if (!r) return;
  if (msg.op === 'unwatch') {
    r.watches.lose('closed');
    r.watches.close();
    roots.delete(msg.id);
    return;
  }
  void checkpoint(r, msg.base).then((outcome) => reply({ op: 'checkpointed', id: msg.id, seq: msg.seq, outcome }));
});
