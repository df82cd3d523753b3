import { pack } from 'tar-stream';
import type { PathEdit, TreeChange } from '../repo/tree-objects';
import { GITLINK } from './copy-baseline';
import { WORKSPACE } from './container';
import { IgnoreRules } from '../repo/gitignore';
import type { SandboxExec } from './hands';
import { readMerged, scanUpper } from './overlay-view';
import type { LowerIndex } from './snapshot';
import { snapshotTree } from './snapshot-tree';
import { gitMode, type TreeDiffer } from './tree-diff';
import { upperBlob } from './upper-blobs';

// Checkpoints of a Docker session (repo/checkpoint-git.ts says what one is), kept in the layer's diff.git beside the
// baseline. Overlay mode builds each from the host dirs with no container: the snapshot's tree (hashed once per
// snapshot, snapshot-tree.ts) with the upper dir's changes laid over it, so a checkpoint costs O(changed files), and only
// files written since the last one are read (upper-blobs.ts). Copy mode takes the changed files from the tool server's
// watch, or a full scan when it is unsure (copy-baseline.ts). A restore runs in the container as
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
  const scan = await scanUpper(upper, lower, new IgnoreRules((rel) => readMerged(upper, lower, rel)));
  const edits = new Map<string, PathEdit>();
  for (const p of scan.hidden) edits.set(p, null);
  for (const [p, up] of scan.current) {
    const sha = await upperBlob(differ, up);
    if (sha) edits.set(p, { mode: gitMode(up.kind, up.mode), sha });
  }
  return differ.editTree(base, edits);
}

// Restores in one container take turns on a flock of /workspace, held until the files are written (tar inherits it).
// A restore whose host process was SIGKILLed goes on in the container, and its late deletions would undo the next
// restore's files. So a restore that finds the lock held waits for it and then exits BUSY without touching a file: the
// changes it carries were computed from files the other restore was still changing, and are computed again.
const BUSY = 75;
const TAKE_TURN = `exec 9<. || exit 1
if command -v flock >/dev/null && ! flock -n 9; then flock 9; exit ${BUSY}; fi`;

// Clears the way in three steps, each one process for all its paths (a process per path cost ~5-20 ms each on a loaded
// machine): the paths the target lacks are removed, then their directories left empty (rmdir -p: up to the first that
// is not), then whatever is in the way of a file the target writes (a directory where a file goes, a symlink in the
// way: never written through). Then tar unpacks the files with their modes, making missing directories.
type ClearStep = { cmd: string; paths: readonly string[]; mayFail: boolean };

function clearSteps(deleted: readonly string[], written: readonly string[]): ClearStep[] {
  const emptied = [...new Set(deleted.flatMap((p) => (p.includes('/') ? [p.slice(0, p.lastIndexOf('/'))] : [])))];
  return [
    { cmd: 'rm -rf --', paths: deleted, mayFail: false },
    { cmd: 'rmdir -p --', paths: emptied, mayFail: true },
    { cmd: 'rm -rf --', paths: written, mayFail: false },
  ].filter((s) => s.paths.length > 0);
}

const quote = (p: string) => `'${p.replaceAll("'", `'\\''`)}'`;

/** A step as a line of the restore's script (the paths quoted in it). */
function inlineStep(step: ClearStep): string {
  const line = `${step.cmd} ${step.paths.map(quote).join(' ')}`;
  return step.mayFail ? `${line} 2>/dev/null` : `${line} || exit 1`;
}

// Paths up to this many bytes go into the one exec's script (far below Linux's 128 KiB per argument); a longer list is
// cleared by xargs, one exec per step, before the exec that unpacks.
const ARG_BUDGET = 64 * 1024;

/** Runs `script` in /workspace with its turn taken (TAKE_TURN); false: another restore held it, nothing was changed. */
async function run(exec: SandboxExec, script: string, args: string[], stdin: Buffer): Promise<boolean> {
  const r = await exec({ cmd: ['sh', '-c', `cd "$0" || exit 1\n${TAKE_TURN}\n${script}`, WORKSPACE, ...args], stdin });
  if (r.exitCode === BUSY) return false;
  if (r.exitCode !== 0) throw new Error(`restoring the checkpoint's files in the sandbox failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
  return true;
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

/** Waits for a restore running in the container to end (a killed process's: restore() checks once per process). */
export async function awaitOtherRestores(exec: SandboxExec): Promise<void> {
  await run(exec, ':', [], Buffer.alloc(0));
}

/**
 * Applies `changes` (from the current files to the target) to /workspace as the sandbox user, in one exec (clearSteps):
 * the way is cleared, then the target's files are unpacked with their modes (tar makes missing directories). `blobs` holds the bytes of
 * every file written. Gitlinks are left as they are. False: another restore was running in the container; it has
 * ended, and the files are left as it made them, so the changes must be computed again.
 */
export async function applyChanges(exec: SandboxExec, changes: readonly TreeChange[], blobs: ReadonlyMap<string, Buffer>): Promise<boolean> {
  const files = changes.filter((c) => c.to && c.to.mode !== GITLINK);
  const deleted = changes.filter((c) => !c.to).map((c) => c.path);
  if (files.length === 0 && deleted.length === 0) return true;
  let steps = clearSteps(deleted, files.map((c) => c.path));
  if (steps.reduce((n, st) => n + st.paths.reduce((m, p) => m + Buffer.byteLength(p) + 4, 0), 0) > ARG_BUDGET) {
    for (const step of steps) {
      const script = step.mayFail ? `xargs -0 -r ${step.cmd} 2>/dev/null; exit 0` : `exec xargs -0 -r ${step.cmd}`;
      if (!(await run(exec, script, [], Buffer.from(step.paths.map((p) => `${p}\0`).join(''), 'utf8')))) return false;
    }
    steps = [];
  }
  const script = [...steps.map(inlineStep), ...(files.length ? ['exec tar -x -p -f - -C .'] : [])].join('\n');
  return run(exec, script, [], files.length ? await tarOf(files, blobs) : Buffer.alloc(0));
}
