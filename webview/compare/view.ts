import { formatCost } from '../../src/format/cost';
import type { CompareAttempt, CompareWebviewMessage } from '../../src/protocol/compare';
import { icon, type Codicon } from '../render/icons';
import { button, h } from '../ui/dom';

// The compare view's page: one column per attempt of a best-of-N task, side by side. Each column says how the attempt
// ended, what it changed (files, lines), the tests it ran and how they went, what it cost, how far its review got, and
// shows its diff; its buttons accept it whole, open its review (to take some hunks, from it and from another), or open
// its session. Plain DOM, text only through textContent; every action is a real button, so Tab reaches each in order
// and Enter or Space runs it.

/** Lines of one attempt's diff drawn in the view; the review shows all of it. */
export const DIFF_LINES = 4_000;

export type Post = (message: CompareWebviewMessage) => void;

export function renderAttempts(doc: Document, root: HTMLElement, task: string, attempts: readonly CompareAttempt[], post: Post): void {
  const columns = attempts.map((a, k) => column(doc, a, k, attempts.length, post));
  root.replaceChildren(
    h(doc, 'header', { class: 'compare-head' }, [h(doc, 'h1', { text: `Best of ${attempts.length}` }), h(doc, 'p', { class: 'task', text: task })]),
    h(doc, 'div', { class: 'columns', attrs: { 'data-count': String(attempts.length) } }, columns),
  );
}

function column(doc: Document, a: CompareAttempt, k: number, n: number, post: Post): HTMLElement {
  const heading = `attempt-${k + 1}`;
  const ended = endedAs(a);
  return h(doc, 'section', { class: `attempt tone-${ended.tone}`, attrs: { 'aria-labelledby': heading, 'data-session': a.id } }, [
    h(doc, 'h2', { attrs: { id: heading } }, [icon(doc, ended.icon, ended.icon === 'loading'), ` Attempt ${k + 1} of ${n}`]),
    h(doc, 'p', { class: 'model', text: a.model }),
    h(doc, 'dl', { class: 'facts' }, [
      ...fact(doc, 'Ended', ended.text, 'ended'),
      ...fact(doc, 'Files', String(a.files), 'files'),
      ...fact(doc, 'Lines', `+${a.additions} −${a.deletions}`, 'lines'),
      ...fact(doc, 'Tests', testsText(a), 'tests'),
      ...fact(doc, 'Cost', `${formatCost(a.costCents, a.costEstimated)} · ${a.tokens.toLocaleString('en-US')} tokens`, 'cost'),
      ...fact(doc, 'Review', reviewText(a), 'review'),
    ]),
    h(doc, 'div', { class: 'actions' }, [
      button(doc, 'Accept All', () => post({ type: 'accept', sessionId: a.id }), { class: 'primary accept', attrs: { 'aria-label': `Accept all of attempt ${k + 1}: apply its pending hunks to the workspace` } }),
      button(doc, 'Review Hunks', () => post({ type: 'review', sessionId: a.id }), { class: 'secondary review', attrs: { 'aria-label': `Review the hunks of attempt ${k + 1}` } }),
      button(doc, 'Open Session', () => post({ type: 'open', sessionId: a.id }), { class: 'secondary open', attrs: { 'aria-label': `Open the session of attempt ${k + 1}` } }),
    ]),
    diff(doc, a.patch, k + 1),
  ]);
}

function fact(doc: Document, term: string, value: string, cls: string): HTMLElement[] {
  return [h(doc, 'dt', { text: term }), h(doc, 'dd', { class: cls, text: value })];
}

/** How the attempt ended, in words, with the codicon and tone of its column. */
export function endedAs(a: CompareAttempt): { text: string; icon: Codicon; tone: 'ok' | 'busy' | 'bad' | 'warn' } {
  if (a.status === 'running' || a.status === 'rescheduling') return { text: 'still running', icon: 'loading', tone: 'busy' };
  if (a.status === 'terminated') return { text: 'terminated', icon: 'error', tone: 'bad' };
  switch (a.stop) {
    case 'end_turn':
      return { text: 'finished its turn', icon: 'check', tone: 'ok' };
    case 'requires_action':
      return { text: 'waiting for you (a tool call asks)', icon: 'bell-dot', tone: 'warn' };
    case 'retries_exhausted':
      return { text: 'gave up (the model request kept failing)', icon: 'error', tone: 'bad' };
    case null:
      return { text: a.status, icon: 'circle-outline', tone: 'warn' };
    default:
      return { text: a.stop.replace(/_/g, ' '), icon: 'warning', tone: 'warn' };
  }
}

export function testsText(a: CompareAttempt): string {
  if (a.tests.length === 0) return 'not run';
  const passed = a.tests.filter((t) => t.passed).length;
  const last = a.tests.at(-1)!;
  return `${passed}/${a.tests.length} passed · last: ${last.command} (${last.passed ? 'passed' : 'failed'})`;
}

function reviewText(a: CompareAttempt): string {
  const { pending, accepted, rejected } = a.review;
  if (pending + accepted + rejected === 0) return 'nothing to review';
  return `${accepted} accepted · ${rejected} rejected · ${pending} pending`;
}

/** The attempt's unified diff, one line each, coloured by kind; long diffs are cut with a pointer to the review. */
function diff(doc: Document, patch: string, n: number): HTMLElement {
  if (patch === '') return h(doc, 'p', { class: 'muted no-changes', text: 'No changes.' });
  const lines = patch.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, DIFF_LINES).map((line) => h(doc, 'span', { class: `line ${lineKind(line)}`, text: `${line}\n` }));
  const cut = lines.length > DIFF_LINES ? h(doc, 'p', { class: 'muted', text: `${lines.length - DIFF_LINES} more lines: Review Hunks shows every file.` }) : null;
  return h(doc, 'div', { class: 'diff' }, [h(doc, 'pre', { attrs: { tabindex: '0', 'aria-label': `Diff of attempt ${n}` } }, shown), cut]);
}

function lineKind(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ') || line.startsWith('index ')) return 'meta';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'ctx';
}
