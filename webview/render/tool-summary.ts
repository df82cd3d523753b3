import { summarizeToolInput } from '../../src/format/tool-input';
import type { ToolItem } from '../model/items';
import { editDiff, writeDiff } from './diff';
import type { FileDiff } from './diff';
import type { Codicon } from './icons';

// What a tool call's one line says: an icon for its kind, its target (the file or the command) and a short result
// ("12 lines", "exit 0", "+3 −1", the first line of an error). Pure, so each tool's wording is tested directly.

export type Tone = 'ok' | 'warn' | 'error' | 'busy';

export interface ToolLine {
  icon: Codicon;
  target: string;
  /** The file the call names (the line offers to open it). */
  path: string | null;
  /** The change an edit or write makes, shown inline under the line. */
  diff: FileDiff | null;
  result: { text: string; tone: Tone };
}

const ICONS: Record<string, Codicon> = { bash: 'terminal', read: 'file', write: 'new-file', edit: 'edit', glob: 'search', grep: 'search', web_fetch: 'globe', web_search: 'globe' };
const MAX_RESULT = 80;

export function toolState(item: ToolItem, pending: boolean): { label: string; tone: Tone } | null {
  if (item.confirmation?.result === 'deny') return { label: item.confirmation.denyMessage ? `denied: ${item.confirmation.denyMessage}` : 'denied', tone: 'error' };
  if (item.permission === 'deny') return { label: 'blocked', tone: 'error' };
  if (item.result) return null;
  if (pending) return { label: item.toolKind === 'custom' ? 'waiting for your answer' : 'waiting for approval', tone: 'warn' };
  return { label: 'running…', tone: 'busy' };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function clip(line: string): string {
  return line.length > MAX_RESULT ? `${line.slice(0, MAX_RESULT)}…` : line;
}

function firstLine(text: string): string {
  return clip(text.split('\n').find((l) => l.trim()) ?? '');
}

/** What failed: the note a tool appends after partial output ("[command timed out …]"), else the first line. */
function errorLine(text: string): string {
  const last = text.trimEnd().split('\n').at(-1) ?? '';
  return /^\[.*\]$/.test(last) ? clip(last.slice(1, -1)) : firstLine(text);
}

/** Output lines, without the bracketed notes tools append ("[showing lines 1-2000 of 5000 …]"). */
function contentLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() && !/^\[.*\]$/.test(l));
}

function resultText(name: string, text: string, attachments: number, diff: FileDiff | null): { text: string; tone: Tone } {
  const ok = (t: string) => ({ text: t, tone: 'ok' as const });
  if (!text && attachments) return ok(plural(attachments, 'attachment'));
  switch (name) {
    case 'bash': {
      const exit = /\[exit code (\d+)\]$/.exec(text);
      const lines = contentLines(text).filter((l) => l !== '(no output)').length;
      const suffix = lines ? ` · ${plural(lines, 'line')}` : '';
      return exit ? { text: `exit ${exit[1]}${suffix}`, tone: 'warn' } : ok(`exit 0${suffix}`);
    }
    case 'read':
      return ok(/^\[.* is empty\]$/.test(text) ? 'empty' : plural(text.split('\n').filter((l) => /^\s*\d+\t/.test(l)).length, 'line'));
    case 'edit':
      return ok(diff ? `+${diff.added} −${diff.removed}` : 'done');
    case 'write': {
      // The call holds only the new content: of a replaced file it cannot say what went, so it claims no removals.
      const lines = diff?.added ?? 0;
      if (/\(new file\)/.test(text)) return ok(`new file · +${lines}`);
      return ok(/replaced its content/.test(text) ? `rewrote · ${plural(lines, 'line')}` : `+${lines}`);
    }
    case 'glob':
      return ok(/^No files match/.test(text) ? 'no files' : plural(contentLines(text).length, 'file'));
    case 'grep':
      return ok(/^No matches/.test(text) ? 'no matches' : plural(contentLines(text).length, 'line'));
    default: {
      const lines = contentLines(text);
      if (lines.length > 1) return ok(plural(lines.length, 'line'));
      return ok(lines.length ? firstLine(text) : 'done');
    }
  }
}

export function toolLine(item: ToolItem, pending: boolean): ToolLine {
  const builtin = item.toolKind === 'builtin';
  const summary = summarizeToolInput(builtin ? item.name : '', item.input);
  const failed = item.result?.isError === true || item.confirmation?.result === 'deny' || item.permission === 'deny';
  const diff = builtin && !failed ? (item.name === 'edit' ? editDiff(item.input, item.result?.text ?? null) : item.name === 'write' ? writeDiff(item.input) : null) : null;
  const state = toolState(item, pending);
  const result = state
    ? { text: state.label, tone: state.tone }
    : item.result?.isError
      ? { text: errorLine(item.result.text) || 'failed', tone: 'error' as const }
      : resultText(builtin ? item.name : '', item.result?.text ?? '', item.result?.attachments ?? 0, diff);
  const icon: Codicon = item.toolKind === 'mcp' ? 'plug' : item.toolKind === 'custom' ? 'tools' : (ICONS[item.name] ?? 'tools');
  return { icon, target: summary.text, path: builtin ? summary.path : null, diff, result };
}
