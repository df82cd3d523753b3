import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { git, isolatedGitEnv } from '../repo/git';
import type { LowerIndex } from './snapshot';

// A snapshot's files as a git tree, hashed once per snapshot and shared by every session on it: the objects live in
// a bare git dir beside the snapshot's files (snapshots/<id>/tree.git, removed with the snapshot), which each
// layer's diff.git borrows as a git alternate. So an overlay session's first checkpoint, a restore into a fresh
// sandbox (a fork) and a checkpoint imported between sessions on one snapshot never hash or copy the 10,000 files
// the sessions share. A snapshot never changes, so neither does its tree.

export interface SnapshotTree {
  /** The objects dir to borrow. */
  objects: string;
  tree: string;
}

const TREE_FILE = 'lower-tree';
const building = new Map<string, Promise<SnapshotTree>>();

function gitDirOf(lower: LowerIndex): string {
  return path.join(path.dirname(lower.tree), 'tree.git');
}

async function stored(gitDir: string): Promise<SnapshotTree | null> {
  const tree = await fs.readFile(path.join(gitDir, TREE_FILE), 'utf8').catch(() => null);
  return tree ? { objects: path.join(gitDir, 'objects'), tree: tree.trim() } : null;
}

/** The snapshot's tree, made on the first call for the snapshot (by any process: made aside, then renamed in place). */
export async function snapshotTree(lower: LowerIndex): Promise<SnapshotTree> {
  const gitDir = gitDirOf(lower);
  const known = await stored(gitDir);
  if (known) return known;
  let job = building.get(gitDir);
  if (!job) {
    job = build(lower, gitDir).finally(() => building.delete(gitDir));
    building.set(gitDir, job);
  }
  return job;
}

async function build(lower: LowerIndex, gitDir: string): Promise<SnapshotTree> {
  const staging = `${gitDir}.tmp-${randomBytes(6).toString('hex')}`;
  const run = (args: readonly string[], extra: Record<string, string> = {}, input?: Buffer) => git(args, { env: isolatedGitEnv({ GIT_DIR: staging, ...extra }), input });
  try {
    await run(['init', '-q', '--bare']);
    await run(['config', 'gc.auto', '0']);
    const env = { GIT_INDEX_FILE: path.join(staging, 'index'), GIT_WORK_TREE: lower.tree };
    // The listed files only (the lower dir also holds the agent's .git, which git leaves out on its own).
    const list = Buffer.from(lower.sorted.map((p) => `${p}\0`).join(''), 'utf8');
    await run(['-c', 'core.bare=false', '-c', 'core.bigFileThreshold=1', 'update-index', '--add', '-z', '--stdin'], env, list);
    const tree = (await run(['write-tree'], env)).toString('utf8').trim();
    await fs.rm(env.GIT_INDEX_FILE, { force: true });
    await fs.writeFile(path.join(staging, TREE_FILE), `${tree}\n`);
    await fs.rename(staging, gitDir).catch(async (err: unknown) => {
      // Another process made it meanwhile: theirs holds the same tree.
      if (!(await stored(gitDir))) throw err;
    });
    return (await stored(gitDir)) as SnapshotTree;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
