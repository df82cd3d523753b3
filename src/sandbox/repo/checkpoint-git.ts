import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { git, GitError, isolatedGitEnv } from './git';
import type { CheckpointRef } from '../types';
import { UnknownCheckpointError } from './tree-objects';

// A checkpoint is a git tree of the sandbox's files (the files review sees: every file git can see in the workspace,
// minus what its .gitignore files hide; the agent's own .git is never part of it), stored in the sandbox's private git
// dir (local: baseline.git; Docker: the layer's diff.git). Trees and blobs are content-addressed, so a checkpoint stores
// only the blobs of files that changed since an earlier one and the trees on their paths; two checkpoints of the same
// files are the same id. Those git dirs run with gc off (`gc.auto = 0`), so an unreferenced checkpoint tree is kept.
//
// What git records is what a checkpoint restores: bytes, the executable bit and symlinks (git's 100644 / 100755 /
// 120000), and which files exist. Other permission bits and empty directories are not recorded.

export type { CheckpointRef };

export const TREE_ID = /^[0-9a-f]{40}$/;

function run(gitDir: string, args: readonly string[], extra: Record<string, string> = {}, input?: Buffer): Promise<Buffer> {
  return git(args, { env: isolatedGitEnv({ GIT_DIR: gitDir, ...extra }), input });
}

/** Whether `gitDir` holds tree `tree` (a malformed id or another kind of object is not a checkpoint). */
export async function hasTree(gitDir: string, tree: string): Promise<boolean> {
  if (!TREE_ID.test(tree)) return false;
  try {
    return (await run(gitDir, ['cat-file', '-t', tree])).toString('utf8').trim() === 'tree';
  } catch (err) {
    if (err instanceof GitError) return false;
    throw err;
  }
}

/**
 * Copies checkpoint `from` into git dir `to`, so `to` can restore it: a fork takes another session's checkpoint into
 * its own sandbox this way. A no-op when both are the same git dir or `to` has the tree. `shared` names trees `to`
 * holds already (two sessions on one snapshot share its tree): the objects under them that `from` holds too are not
 * copied.
 */
export async function importCheckpoint(from: CheckpointRef, to: string, shared: readonly string[] = []): Promise<void> {
  if (path.resolve(from.gitDir) === path.resolve(to) || (await hasTree(to, from.tree))) return;
  if (!(await hasTree(from.gitDir, from.tree))) throw new UnknownCheckpointError(`checkpoint ${from.tree} is not in ${from.gitDir}`);
  const haves: string[] = [];
  for (const tree of shared) if ((await hasTree(from.gitDir, tree)) && (await hasTree(to, tree))) haves.push(tree);
  const list = await run(from.gitDir, ['rev-list', '--objects', '--no-object-names', from.tree, ...(haves.length ? ['--not', ...haves] : [])]);
  const pack = await run(from.gitDir, ['pack-objects', '--stdout', '-q'], {}, list);
  await run(to, ['index-pack', '--stdin', '--fix-thin'], {}, pack);
}

/**
 * Writes the files of a checkpoint into `dir` (made when missing; files already there that the checkpoint names are
 * replaced, others are left alone). For forks and tests: a directory that holds exactly the checkpoint's files.
 */
export async function materialiseCheckpoint(ref: CheckpointRef, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const index = path.join(ref.gitDir, `materialise-${randomBytes(6).toString('hex')}.index`);
  try {
    const env = { GIT_INDEX_FILE: index, GIT_WORK_TREE: dir };
    await run(ref.gitDir, ['-c', 'core.bare=false', 'read-tree', ref.tree], env);
    await git(['-c', 'core.bare=false', '-c', 'core.symlinks=true', 'checkout-index', '-a', '-f'], { cwd: dir, env: isolatedGitEnv({ GIT_DIR: ref.gitDir, ...env }) });
  } finally {
    await fs.rm(index, { force: true });
  }
}

export { UnknownCheckpointError };
