import type { WorkspaceChanges } from '../types';
import { IgnoreRules } from '../repo/gitignore';
import { readLower, readMerged, scanUpper } from './overlay-view';
import type { LowerIndex } from './snapshot';
import { gitMode, type TreeDiffer, type TreeEntry } from './tree-diff';
import { upperBlob } from './upper-blobs';

/**
 * The session's changes against its snapshot, in O(changed files): only paths present in the upper dir or hidden
 * by it are hashed, minus new files the workspace's .gitignore files ignore (as `git add -A` would). Baseline blob
 * ids are cached per path (a snapshot never changes).
 */
export async function overlayChanges(
  upper: string,
  lower: LowerIndex,
  differ: TreeDiffer,
  baselineShas: Map<string, string>,
): Promise<WorkspaceChanges> {
  const scan = await scanUpper(upper, lower, new IgnoreRules((rel) => readMerged(upper, lower, rel)));
  const paths = [...new Set([...scan.current.keys(), ...scan.hidden])].sort();
  if (paths.length === 0) return { patch: '', files: [] };
  const base: TreeEntry[] = [];
  const current: TreeEntry[] = [];
  for (const p of paths) {
    const low = lower.files.get(p);
    if (low) {
      let sha = baselineShas.get(p);
      if (!sha) {
        const content = await readLower(lower, p);
        if (content) {
          sha = await differ.writeBlob(content);
          baselineShas.set(p, sha);
        }
      }
      if (sha) base.push({ path: p, mode: gitMode(low.kind, low.mode), sha });
    }
    const up = scan.current.get(p);
    const sha = up ? await upperBlob(differ, up) : null;
    if (up && sha) current.push({ path: p, mode: gitMode(up.kind, up.mode), sha });
  }
  return differ.diff(await differ.writeTree(base), await differ.writeTree(current));
}
