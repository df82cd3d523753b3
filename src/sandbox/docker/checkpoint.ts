import fs from 'node:fs/promises';
import { pack } from 'tar-stream';
import type { PathEdit, TreeChange } from '../repo/tree-objects';
import { GITLINK } from './copy-baseline';
import { WORKSPACE } from './container';
import { WorkspaceIgnores } from './gitignore';
import type { SandboxExec } from './hands';
import { readMerged, scanUpper } from './overlay-view';
import type { LowerIndex } from './snapshot';
import { snapshotTree } from './snapshot-tree';
import { gitMode, type TreeDiffer } from './tree-diff';

// Checkpoints of a Docker session (repo/checkpoint-git.ts says what one is), kept in the layer's diff.git beside the
// baseline. Overlay mode builds each from the host dirs with no container: the snapshot's tree (hashed once per
// snapshot, snapshot-tree.ts) with the upper dir's changes laid over it, so a checkpoint costs O(changed files). Copy mode
// takes the full listing from the container's stat-cached scan (copy-baseline.ts). A restore runs in the container as
// the sandbox user, never as root: a symlink the agent planted can redirect a write only to where it could write.

/** The snapshot's tree (snapshot-tree.ts), its objects borrowed by `differ`'s git dir. */
export async function lowerTree(differ: TreeDiffer, lower: LowerIndex): Promise<string> {
  const shared = await snapshotTree(lower);
  await differ.borrow(shared.objects);
  return shared.tree;
}

/** The overlay's merged files as a tree: the lower tree, minus what the upper dir hides, plus what it holds. */
export async function overlayCheckpoint(upper: string, lower: LowerIndex, differ: TreeDiffer): Promise<string> {
  const base = await lowerTree(differ, lower);
  const scan = await scanUpper(upper, lower, new WorkspaceIgnores((rel) => readMerged(upper, lower, rel)));
  const edits = new Map<string, PathEdit>();
  for (const p of scan.hidden) edits.set(p, null);
  for (const [p, up] of scan.current) {
    const content = await (up.kind === 'l' ? fs.readlink(up.abs).then((t) => Buffer.from(t, 'utf8')) : fs.readFile(up.abs)).catch(() => null);
    // Removed while we looked: like changes(), the next checkpoint sees the whiteout.
    if (content) edits.set(p, { mode: gitMode(up.kind, up.mode), sha: await differ.writeBlob(content) });
  }
  return differ.editTree(base, edits);
}

// Clears the way: each argument is a path prefixed D (the target lacks it) or W (the target writes it). Both are removed
// (a directory where a file goes, a symlink in the way: never written through); a D's directories left empty go too.
const CLEAR_SCRIPT = `cd "$0" || exit 1
for e; do
  p=\${e#?}
  rm -rf -- "$p" || exit 1
  [ "\${e%"$p"}" = D ] || continue
  d=$p
  while case $d in */*) d=\${d%/*}; true;; *) false;; esac && rmdir -- "$d" 2>/dev/null; do :; done
done`;

// Paths up to this many bytes go to the one exec as arguments (far below Linux's 128 KiB per argument and 2 MiB in
// all); a longer list is cleared by xargs in an exec of its own first.
const ARG_BUDGET = 64 * 1024;

async function run(exec: SandboxExec, cmd: string[], stdin: Buffer): Promise<void> {
  const r = await exec({ cmd, stdin });
  if (r.exitCode !== 0) throw new Error(`restoring the checkpoint's files in the sandbox failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
}

async function tarOf(files: readonly TreeChange[], blobs: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  const archive = pack();
  const now = new Date();
  for (const c of files) {
    const to = c.to as { mode: string; sha: string };
    const bytes = blobs.get(to.sha) as Buffer;
    if (to.mode === '120000') archive.entry({ name: c.path, type: 'symlink', linkname: bytes.toString('utf8'), mtime: now });
    else archive.entry({ name: c.path, mode: to.mode === '100755' ? 0o755 : 0o644, mtime: now }, bytes);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const c of archive) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Applies `changes` (from the current files to the target) to /workspace as the sandbox user, in one exec: the way is cleared,
 * then the target's files are unpacked with their modes (tar makes missing directories). `blobs` holds the bytes of
 * every file written. Gitlinks are left as they are.
 */
export async function applyChanges(exec: SandboxExec, changes: readonly TreeChange[], blobs: ReadonlyMap<string, Buffer>): Promise<void> {
  const files = changes.filter((c) => c.to && c.to.mode !== GITLINK);
  const deleted = changes.filter((c) => !c.to).map((c) => c.path);
  if (files.length === 0 && deleted.length === 0) return;
  let clear = [...deleted.map((p) => `D${p}`), ...files.map((c) => `W${c.path}`)];
  if (clear.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > ARG_BUDGET) {
    await run(exec, ['xargs', '-0', '-r', 'sh', '-c', CLEAR_SCRIPT, WORKSPACE], Buffer.from(clear.map((a) => `${a}\0`).join(''), 'utf8'));
    clear = [];
  }
  const script = files.length ? `${CLEAR_SCRIPT}\nexec tar -x -p -f - -C .` : CLEAR_SCRIPT;
  await run(exec, ['sh', '-c', script, WORKSPACE, ...clear], files.length ? await tarOf(files, blobs) : Buffer.alloc(0));
}
