import fs from 'node:fs/promises';
import { opaqueReader } from './xattr-reader';

// Which upper directories of an overlay are opaque (a directory removed and made again: the lower one's content is
// hidden). Overlayfs records that only in an extended attribute, read by a kept python3 process (xattr-reader.ts).
// Opaque directories are rare (`rm -rf d && mkdir d`), and only directories that also exist in the lower layer are
// ever asked about.
//
// Answers are cached by inode and change time: overlayfs marks a directory opaque when it makes it (mkdir over a
// whiteout: a new inode) or moves it (rename: a new ctime), and setting an attribute always moves the ctime. So a
// checkpoint after the first asks python only about directories made or moved since, and usually asks nothing.

const CACHE_LIMIT = 50_000;
/** abs path → `ino:ctimeNs` → opaque. */
const known = new Map<string, { stamp: string; opaque: boolean }>();

async function stampOf(dir: string): Promise<string | null> {
  const st = await fs.lstat(dir, { bigint: true }).catch(() => null);
  return st ? `${st.ino}:${st.ctimeNs}` : null;
}

/**
 * The subset of `dirs` (absolute host paths) that are opaque overlay directories. Without python3 on the host the
 * answer is "none": a directory removed and re-created then shows only its new files as changes, not the deletions.
 */
export async function opaqueDirs(dirs: readonly string[]): Promise<Set<string>> {
  const opaque = new Set<string>();
  const ask: { dir: string; stamp: string | null }[] = [];
  for (const dir of dirs) {
    const stamp = await stampOf(dir);
    const hit = stamp === null ? undefined : known.get(dir);
    if (hit?.stamp === stamp) {
      if (hit.opaque) opaque.add(dir);
    } else ask.push({ dir, stamp });
  }
  if (ask.length === 0) return opaque;
  const answers = await opaqueReader.ask(ask.map((a) => a.dir));
  const found = new Set(answers ? ask.flatMap((a, i) => (answers[i] ? [a.dir] : [])) : []);
  if (known.size + ask.length > CACHE_LIMIT) known.clear();
  for (const { dir, stamp } of ask) {
    if (found.has(dir)) opaque.add(dir);
    // Without python3 (no answers) nothing is learnt; a directory that changed while python looked is asked again.
    if (answers && stamp !== null && (await stampOf(dir)) === stamp) known.set(dir, { stamp, opaque: found.has(dir) });
  }
  return opaque;
}
