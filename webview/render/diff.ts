import { diffArrays } from 'diff';
import { button, h } from '../ui/dom';
import type { RenderCtx } from './context';

// The change an edit or a write made, as coloured diff lines inline in the chat. Computed from the call's input (an
// edit's old and new strings, a write's content), so it needs no file access; line numbers come from the snippet
// the edit tool returns ("Around the change it now reads:" with numbered lines) when it can be matched.

export interface DiffLine {
  type: 'add' | 'del' | 'ctx';
  text: string;
  /** The line's number in the file after the change (added and context lines) or before it (removed lines). */
  no: number | null;
}

export interface FileDiff {
  lines: DiffLine[];
  added: number;
  removed: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Splits text into lines; a final newline does not make an extra empty line. */
function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The number of the first line of `newLines` in the edit tool's numbered snippet ("  42\ttext" lines), if found. */
function firstLineNo(resultText: string | null, newLines: readonly string[]): number | null {
  if (!resultText || newLines.length === 0) return null;
  const snippet: { no: number; text: string }[] = [];
  for (const line of resultText.split('\n')) {
    const m = /^\s*(\d+)\t(.*)$/.exec(line);
    if (m) snippet.push({ no: Number(m[1]), text: m[2] as string });
  }
  for (let i = 0; i + newLines.length <= snippet.length; i++) {
    if (newLines.every((l, j) => snippet[i + j]?.text === l)) return snippet[i]?.no ?? null;
  }
  return null;
}

/** An edit's change: the lines of old_string against new_string, common lines kept as context. */
export function editDiff(input: Record<string, unknown>, resultText: string | null): FileDiff {
  const before = linesOf(str(input.old_string));
  const after = linesOf(str(input.new_string));
  const start = firstLineNo(resultText, after);
  const out: DiffLine[] = [];
  let oldNo = start;
  let newNo = start;
  let added = 0;
  let removed = 0;
  const next = (n: number | null) => (n === null ? null : n + 1);
  for (const part of diffArrays(before, after)) {
    for (const text of part.value) {
      if (part.added) {
        out.push({ type: 'add', text, no: newNo });
        newNo = next(newNo);
        added++;
      } else if (part.removed) {
        out.push({ type: 'del', text, no: oldNo });
        oldNo = next(oldNo);
        removed++;
      } else {
        out.push({ type: 'ctx', text, no: newNo });
        oldNo = next(oldNo);
        newNo = next(newNo);
      }
    }
  }
  return { lines: out, added, removed };
}

/** A write's content: every line added (a write replaces the whole file; what it replaced is not in the call). */
export function writeDiff(input: Record<string, unknown>): FileDiff {
  const lines = linesOf(str(input.content)).map((text, i): DiffLine => ({ type: 'add', text, no: i + 1 }));
  return { lines, added: lines.length, removed: 0 };
}

/** Diff lines shown before "Show all"; the rest is built only when asked for, so a long write costs no DOM. */
export const DIFF_PREVIEW_LINES = 12;
const SIGN = { add: '+', del: '-', ctx: ' ' } as const;

export function renderDiff(ctx: RenderCtx, key: string, diff: FileDiff, label: string): HTMLElement {
  const { doc } = ctx;
  const body = h(doc, 'div', { class: 'diff-lines' });
  const wrap = h(doc, 'div', { class: 'diff', attrs: { role: 'group', 'aria-label': `${label}: ${diff.added} added, ${diff.removed} removed` } }, [body]);
  const fill = (all: boolean) => {
    const shown = all ? diff.lines : diff.lines.slice(0, DIFF_PREVIEW_LINES);
    body.replaceChildren(
      ...shown.map((l) =>
        h(doc, 'div', { class: `diff-line diff-${l.type}` }, [
          h(doc, 'span', { class: 'diff-no', text: l.no === null ? '' : String(l.no), attrs: { 'aria-hidden': 'true' } }),
          h(doc, 'span', { class: 'diff-sign', text: SIGN[l.type] }),
          h(doc, 'span', { class: 'diff-text', text: l.text }),
        ]),
      ),
    );
  };
  if (diff.lines.length <= DIFF_PREVIEW_LINES + 2) {
    fill(true);
    return wrap;
  }
  const more = button(doc, '', () => show(!ctx.isExpanded(key)), { class: 'link-button show-all' });
  const show = (all: boolean) => {
    ctx.setExpanded(key, all);
    fill(all);
    more.textContent = all ? 'Show less' : `Show all ${diff.lines.length} lines`;
    more.setAttribute('aria-expanded', String(all));
  };
  show(ctx.isExpanded(key));
  wrap.append(more);
  return wrap;
}
