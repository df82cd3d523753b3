import { diff3Merge } from 'node-diff3';
import { applyHunk, splitLines, type Hunk } from './hunks';

// Lands one accepted hunk in the workspace's version of a file (ARCHITECTURE.md invariant 6). When the workspace still
// equals the baseline the result is simply baseline+hunk; when it moved on (earlier accepted hunks, the user's own
// edits) the hunk is merged three-way — base = baseline, ours = workspace, theirs = baseline+hunk — and an
// overlapping change is a conflict: nothing is written and the hunk stays pending.

export type MergeResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * @param baseline the file when the sandbox was made (null: it did not exist)
 * @param workspace the file in the workspace now (null: it does not exist)
 */
export function mergeHunk(baseline: string | null, workspace: string | null, hunk: Hunk): MergeResult {
  const base = baseline ?? '';
  let theirs: string;
  try {
    theirs = applyHunk(base, hunk);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  if (workspace === null && baseline !== null) {
    return { ok: false, reason: 'the file was deleted in the workspace since the session started' };
  }
  const ours = workspace ?? '';
  if (ours === base) return { ok: true, text: theirs };
  const regions = diff3Merge(splitLines(ours), splitLines(base), splitLines(theirs), { excludeFalseConflicts: true });
  const out: string[] = [];
  for (const region of regions) {
    if (region.conflict) {
      const line = region.conflict.aIndex + 1;
      return { ok: false, reason: `the workspace changed the same lines (near line ${line}) since the session started` };
    }
    if (region.ok) out.push(...region.ok);
  }
  return { ok: true, text: out.join('') };
}

export interface TextEditSpan {
  /** Offsets into the old text (UTF-16 code units, as VS Code's offsetAt/positionAt use). */
  start: number;
  end: number;
  text: string;
}

/** The smallest single replacement turning `before` into `after`, so an applied hunk keeps cursors and undo tidy. */
export function minimalEdit(before: string, after: string): TextEditSpan | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  // Never split a surrogate pair or a CRLF between the kept and the replaced part.
  while (start > 0 && (isLowSurrogate(before.charCodeAt(start)) || (before[start] === '\n' && before[start - 1] === '\r'))) start--;
  while (endBefore < before.length && (isLowSurrogate(before.charCodeAt(endBefore)) || (before[endBefore] === '\n' && before[endBefore - 1] === '\r'))) {
    endBefore++;
    endAfter++;
  }
  return { start, end: endBefore, text: after.slice(start, endAfter) };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
