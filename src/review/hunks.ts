import { createHash } from 'node:crypto';
import { diffLines } from 'diff';

// The hunks of one changed file: contiguous runs of changed lines between the sandbox baseline and the sandbox's
// current content, each reviewable on its own. Lines keep their terminators ("a\n", a last line without one stays
// without), so applying hunks reproduces files byte for byte, CRLF and missing final newlines included. jsdiff's
// diffLines gives these runs directly; a unified patch (structuredPatch) would need its "\ No newline" markers and
// context lines undone again.

export interface Hunk {
  /** 0-based position among the file's hunks. */
  index: number;
  /** Stable identity across recomputation: hash of where it applies and what it changes. */
  id: string;
  /** 0-based first baseline line the hunk replaces (for a pure insertion: the line it goes before). */
  baseStart: number;
  removed: string[];
  /** 0-based first line of the added lines in the sandbox's current content. */
  newStart: number;
  added: string[];
}

/** Beyond this many milliseconds of diffing, a file is reviewed as one whole-file hunk instead. */
const DIFF_TIMEOUT_MS = 2_000;

/** Splits text into lines that keep their "\n" (and any "\r" before it). */
export function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hunks turning `baseline` into `current` (null = the file does not exist on that side). */
export function computeHunks(baseline: string | null, current: string | null): Hunk[] {
  const base = baseline ?? '';
  const next = current ?? '';
  if (base === next) return [];
  const parts = diffLines(base, next, { timeout: DIFF_TIMEOUT_MS });
  if (!parts) return [makeHunk(0, 0, splitLines(base), 0, splitLines(next))];
  const hunks: Hunk[] = [];
  let baseLine = 0;
  let newLine = 0;
  let open: { baseStart: number; newStart: number; removed: string[]; added: string[] } | null = null;
  const close = () => {
    if (open) hunks.push(makeHunk(hunks.length, open.baseStart, open.removed, open.newStart, open.added));
    open = null;
  };
  for (const part of parts) {
    const lines = splitLines(part.value);
    if (!part.added && !part.removed) {
      close();
      baseLine += lines.length;
      newLine += lines.length;
      continue;
    }
    open ??= { baseStart: baseLine, newStart: newLine, removed: [], added: [] };
    if (part.removed) {
      open.removed.push(...lines);
      baseLine += lines.length;
    } else {
      open.added.push(...lines);
      newLine += lines.length;
    }
  }
  close();
  return hunks;
}

function makeHunk(index: number, baseStart: number, removed: string[], newStart: number, added: string[]): Hunk {
  const id = sha256(JSON.stringify([baseStart, removed, added])).slice(0, 16);
  return { index, id, baseStart, removed, newStart, added };
}

/** The baseline with only this hunk applied: "theirs" when merging one hunk into the workspace. */
export function applyHunk(baseline: string, hunk: Hunk): string {
  const lines = splitLines(baseline);
  const actual = lines.slice(hunk.baseStart, hunk.baseStart + hunk.removed.length);
  if (actual.length !== hunk.removed.length || actual.some((l, i) => l !== hunk.removed[i])) {
    throw new Error(`hunk ${hunk.index + 1} does not match the baseline it was computed from`);
  }
  lines.splice(hunk.baseStart, hunk.removed.length, ...hunk.added);
  return lines.join('');
}

/** A one-line label for a hunk, e.g. "lines 12-14: +3 −1  function add(a, b) {". */
export function describeHunk(hunk: Hunk): string {
  const first = (hunk.added[0] ?? hunk.removed[0] ?? '').trim();
  const at = hunk.added.length > 0 ? hunk.newStart + 1 : hunk.baseStart + 1;
  const end = hunk.added.length > 1 ? `-${hunk.newStart + hunk.added.length}` : '';
  const text = first.length > 60 ? `${first.slice(0, 57)}…` : first;
  return `line${end ? 's' : ''} ${at}${end}: +${hunk.added.length} −${hunk.removed.length}  ${text}`;
}
