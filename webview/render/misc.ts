import type { ErrorItem, NoteItem, SpanItem } from '../model/items';
import { h } from '../ui/dom';
import { timeLabel } from './context';
import type { RenderCtx } from './context';
import { formatCost } from '../../src/format/cost';
import { formatDuration, formatTokens } from './format';

const RETRY_LABEL = { retrying: 'retrying', exhausted: 'gave up after retries', terminal: 'not retryable' } as const;

export function errorTitle(type: string): string {
  const words = type.replace(/_error$/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function renderError(ctx: RenderCtx, item: ErrorItem): HTMLElement {
  const e = item.error;
  const cause = [e.mcp_server_name && `MCP server ${e.mcp_server_name}`, e.credential_id && `credential ${e.credential_id}`].filter(Boolean).join(', ');
  return h(ctx.doc, 'article', { class: 'item error', attrs: { 'aria-label': 'Error' } }, [
    h(ctx.doc, 'div', { class: 'item-head' }, [
      h(ctx.doc, 'span', { class: 'glyph', text: '⚠', attrs: { 'aria-hidden': 'true' } }),
      h(ctx.doc, 'span', { class: 'who', text: errorTitle(e.type) }),
      h(ctx.doc, 'span', { class: `badge retry-${e.retry_status.type}`, text: RETRY_LABEL[e.retry_status.type] }),
      h(ctx.doc, 'span', { class: 'time', text: timeLabel(item.at) }),
    ]),
    h(ctx.doc, 'div', { class: 'plain', text: e.message }),
    cause ? h(ctx.doc, 'div', { class: 'muted', text: cause }) : null,
  ]);
}

export function renderSpan(ctx: RenderCtx, item: SpanItem): HTMLElement {
  const parts: string[] = [];
  if (item.usage) {
    const u = item.usage;
    parts.push(`${formatTokens(u.input_tokens)} in`, `${formatTokens(u.output_tokens)} out`);
    if (u.cache_read_input_tokens) parts.push(`${formatTokens(u.cache_read_input_tokens)} cached`);
    if (u.cache_creation_input_tokens) parts.push(`${formatTokens(u.cache_creation_input_tokens)} cache write`);
    parts.push(formatCost(item.costCents));
  }
  const ms = item.at && item.endAt ? Date.parse(item.endAt) - Date.parse(item.at) : NaN;
  if (Number.isFinite(ms)) parts.push(formatDuration(ms));
  const label = item.endAt ? (item.isError ? 'Model request failed' : 'Model request') : 'Model request…';
  return h(ctx.doc, 'div', { class: `item span${item.isError ? ' span-error' : ''}${item.endAt ? '' : ' live'}`, attrs: { role: 'note' } }, [
    h(ctx.doc, 'span', { class: 'glyph', text: '◇', attrs: { 'aria-hidden': 'true' } }),
    h(ctx.doc, 'span', { text: label }),
    parts.length ? h(ctx.doc, 'span', { class: 'span-stats', text: parts.join(' · ') }) : null,
  ]);
}

export function renderNote(ctx: RenderCtx, item: NoteItem): HTMLElement {
  return h(ctx.doc, 'div', { class: `item note tone-${item.tone}`, attrs: { role: 'note' } }, [h(ctx.doc, 'span', { text: item.text }), h(ctx.doc, 'span', { class: 'time', text: timeLabel(item.at) })]);
}
