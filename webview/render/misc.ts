import type { ErrorItem, ItemOf, NoteItem, StepCheckpoint } from '../model/items';
import { button, h } from '../ui/dom';
import { timeLabel } from './context';
import type { RenderCtx } from './context';
import { icon, iconButton } from './icons';

export function errorTitle(type: string): string {
  const words = type.replace(/_error$/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What went wrong, in the user's words, and what they can do about it. */
function plainWords(item: ErrorItem): { title: string; advice: string | null } {
  const d = item.detail;
  switch (d?.kind) {
    case 'auth':
      return { title: 'The API key was refused', advice: 'Set a valid Anthropic API key, then send a message to go on.' };
    case 'rate_limited':
    case 'overloaded':
      return { title: 'The model is busy', advice: null };
    case 'network':
      return { title: `Can't reach the model at ${d.url ?? 'its address'}`, advice: 'Check the address and your network connection.' };
    case 'invalid_request':
      return { title: 'The model refused the request', advice: null };
    case 'server':
    case 'stream':
      return { title: 'The model request failed', advice: null };
    case undefined:
      return { title: errorTitle(item.error.type), advice: null };
  }
}

/**
 * The part of a classified error's message a user may want beside the plain title: the API's own words, which the
 * harness puts in brackets after its sentence ("… (401 authentication_error: invalid x-api-key)."); else all of it.
 */
export function errorDetail(message: string): string {
  return /^[^(]*\((.+)\)\.(?:\s|$)/.exec(message)?.[1] ?? message;
}

/** "in 12 s" while the harness waits, "now" once the wait is over. */
export function countdownText(retryAt: number, now: number): string {
  const s = Math.ceil((retryAt - now) / 1000);
  return s > 0 ? `Retrying in ${s} s` : 'Retrying now…';
}

/** Brings every live countdown under `root` to `now` (the panel calls it once a second while the session is busy). */
export function updateCountdowns(root: ParentNode, now: number): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-retry-at]')) el.textContent = countdownText(Number(el.dataset.retryAt), now);
}

/** Where the episode stands: retrying (with a live countdown), recovered, or stopped — and whether it was retried. */
function standing(ctx: RenderCtx, item: ItemOf<'error'>): HTMLElement {
  const { doc } = ctx;
  const status = item.error.retry_status.type;
  if (item.recovered) return h(doc, 'span', { class: 'badge retry-recovered', text: item.attempts === 1 ? 'Recovered' : `Recovered after ${item.attempts} tries` });
  // The turn ended (an interrupt) while it waited to retry.
  if (status === 'retrying' && item.ended) return h(doc, 'span', { class: 'badge retry-retrying', text: 'Stopped' });
  if (status === 'retrying') {
    if (item.retryAt === null) return h(doc, 'span', { class: 'badge retry-retrying', text: 'Retrying' });
    return h(doc, 'span', { class: 'badge retry-retrying countdown', text: countdownText(item.retryAt, Date.now()), attrs: { 'data-retry-at': String(item.retryAt), 'aria-live': 'off' } });
  }
  if (status === 'terminal') return h(doc, 'span', { class: 'badge retry-terminal', text: 'Session ended' });
  const tries = Math.max(item.attempts, item.detail?.attempt ?? 1);
  return h(doc, 'span', { class: 'badge retry-exhausted', text: tries > 1 ? `Gave up after ${tries} tries` : 'Stopped' });
}

export function renderError(ctx: RenderCtx, item: ErrorItem): HTMLElement {
  const { doc } = ctx;
  const e = item.error;
  const { title, advice } = plainWords(item);
  const cause = [e.mcp_server_name && `MCP server ${e.mcp_server_name}`, e.credential_id && `credential ${e.credential_id}`].filter(Boolean).join(', ');
  const fix = item.detail?.kind === 'auth' ? button(doc, 'Set API Key', () => ctx.post({ type: 'setApiKey' }), { class: 'primary', attrs: { 'aria-label': 'Set API Key (Hangar)' } }) : null;
  // Red only when it stopped the turn: a model request being retried is a warning, one that recovered a quiet note.
  const tone = item.recovered ? ' recovered' : e.retry_status.type === 'retrying' ? ' retrying' : '';
  return h(doc, 'article', { class: `item error${tone}`, attrs: { 'aria-label': `Error: ${title}` } }, [
    h(doc, 'div', { class: 'item-head' }, [
      icon(doc, 'warning'),
      h(doc, 'span', { class: 'who', text: title }),
      standing(ctx, item),
      h(doc, 'span', { class: 'time', text: timeLabel(item.at) }),
    ]),
    advice ? h(doc, 'div', { class: 'plain', text: advice }) : null,
    // Without a classification the message is the only explanation; with one, it is the detail under the sentence.
    item.detail ? h(doc, 'div', { class: 'muted error-detail', text: errorDetail(e.message), attrs: { title: e.message } }) : h(doc, 'div', { class: 'plain', text: e.message }),
    cause ? h(doc, 'div', { class: 'muted', text: cause }) : null,
    fix ? h(doc, 'div', { class: 'error-actions' }, [fix]) : null,
  ]);
}

/**
 * The step's checkpoint actions: rewind (the files back to its checkpoint, the conversation continuing from there) and
 * fork (a new session with the conversation up to here and these files, in a sandbox of its own).
 */
export function checkpointButtons(ctx: RenderCtx, checkpoint: StepCheckpoint | undefined, where: string): HTMLButtonElement[] {
  if (!checkpoint) return [];
  return [
    iconButton(ctx.doc, 'discard', `Rewind to ${where}: files and conversation go back to this point`, () => ctx.post({ type: 'rewind', checkpoint_id: checkpoint.id }), 'rewind'),
    iconButton(ctx.doc, 'repo-forked', `Fork from ${where}: a new session with the conversation up to here and these files`, () => ctx.post({ type: 'fork', at: checkpoint.event }), 'fork'),
  ];
}

export function renderNote(ctx: RenderCtx, item: NoteItem): HTMLElement {
  const line = [h(ctx.doc, 'span', { text: item.text }), h(ctx.doc, 'span', { class: 'time', text: timeLabel(item.at) }), ...checkpointButtons(ctx, item.checkpoint, "this turn's end")];
  if (!item.detail) return h(ctx.doc, 'div', { class: `item note tone-${item.tone}`, attrs: { role: 'note' } }, line);
  return h(ctx.doc, 'div', { class: `item note has-detail tone-${item.tone}`, attrs: { role: 'note' } }, [...line, h(ctx.doc, 'p', { class: 'note-detail', text: item.detail })]);
}
