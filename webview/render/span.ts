import { formatCost } from '../../src/format/cost';
import type { NoteItem, SpanItem } from '../model/items';
import { h } from '../ui/dom';
import type { RenderCtx } from './context';
import { formatDuration, formatTokens } from './format';
import { icon } from './icons';

// Model requests are not rows between steps: while one runs it shows as a quiet "Model responding…" line, once it
// ends it leaves the view, and its tokens, cost and time are summed on the note that ends the turn (each request on
// its own line in that note's tooltip).

function spanMs(s: SpanItem): number {
  const ms = s.at && s.endAt ? Date.parse(s.endAt) - Date.parse(s.at) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

function stats(spans: readonly SpanItem[]): string {
  let input = 0;
  let output = 0;
  let cents = 0;
  let ms = 0;
  for (const s of spans) {
    // Counted as the header counts them: cache reads and writes are input too.
    input += (s.usage?.input_tokens ?? 0) + (s.usage?.cache_read_input_tokens ?? 0) + (s.usage?.cache_creation_input_tokens ?? 0);
    output += s.usage?.output_tokens ?? 0;
    cents += s.costCents;
    ms += spanMs(s);
  }
  return [`${formatTokens(input)} in`, `${formatTokens(output)} out`, formatCost(cents), formatDuration(ms)].join(' · ');
}

export function renderSpan(ctx: RenderCtx, item: SpanItem): HTMLElement {
  const el = h(ctx.doc, 'div', { class: 'item span live', attrs: { role: 'status' } }, [icon(ctx.doc, 'loading', true), h(ctx.doc, 'span', { text: 'Model responding…' })]);
  el.hidden = item.endAt !== null;
  return el;
}

/** Adds the turn's model requests to the note that ends it, as one muted line. */
export function withTurnStats(ctx: RenderCtx, item: NoteItem, el: HTMLElement): HTMLElement {
  const spans = item.spans ?? [];
  if (!spans.length) return el;
  const requests = `${spans.length} model request${spans.length === 1 ? '' : 's'}`;
  const perRequest = spans.map((s, i) => `${i + 1}. ${stats([s])}${s.isError ? ' (failed)' : ''}`).join('\n');
  const time = el.querySelector('.time');
  el.insertBefore(h(ctx.doc, 'span', { class: 'turn-stats', text: `${requests} · ${stats(spans)}`, attrs: { title: perRequest } }), time);
  return el;
}
