import fs from 'node:fs/promises';
import type { UpperFile } from './overlay-view';
import type { TreeDiffer } from './tree-diff';

// The blob ids of an overlay's upper files, kept per file while its stat data stays the same, so a checkpoint reads
// and hashes only the files written since the last one, not every file the session ever changed. The stat data is
// trusted only for a file whose last change (ctime) came well before it was hashed: the kernel's file times are
// coarse (a clock tick), so a write right after the hash could leave them equal; a change after the hash of a file
// settled by then always moves the ctime.

const SETTLED_MS = 1_000;
const CACHE_LIMIT = 100_000;

/** Upper file (absolute path) → its stat stamp and blob id when hashed. */
const known = new Map<string, { stamp: string; sha: string }>();

/**
 * The blob id of an upper file (stored in `differ`'s git dir), or null when it is gone (removed while we looked: the
 * next checkpoint sees the whiteout).
 */
export async function upperBlob(differ: TreeDiffer, up: UpperFile): Promise<string | null> {
  const st = await fs.lstat(up.abs, { bigint: true }).catch(() => null);
  if (!st) return null;
  const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
  const hit = known.get(up.abs);
  if (hit?.stamp === stamp) return hit.sha;
  const hashedAt = Date.now();
  const content = await (up.kind === 'l' ? fs.readlink(up.abs).then((t) => Buffer.from(t, 'utf8')) : fs.readFile(up.abs)).catch(() => null);
  if (!content) return null;
  const sha = await differ.writeBlob(content);
  if (Number(st.ctimeNs / 1_000_000n) < hashedAt - SETTLED_MS) {
    if (known.size >= CACHE_LIMIT) known.clear();
    known.set(up.abs, { stamp, sha });
  }
  return sha;
}
