import type { AgentItem, ThinkingItem, ThreadMessageItem, UserItem } from '../model/items';
import { h } from '../ui/dom';
import { disclosure, timeLabel } from './context';
import { decorateCodeBlocks } from './code';
import { icon, iconButton } from './icons';
import type { RenderCtx } from './context';

function header(ctx: RenderCtx, who: string, at: string | null, extra: Node[] = []): HTMLElement {
  return h(ctx.doc, 'div', { class: 'item-head' }, [h(ctx.doc, 'span', { class: 'who', text: who }), h(ctx.doc, 'span', { class: 'time', text: timeLabel(at) }), ...extra]);
}

export function renderUser(ctx: RenderCtx, item: UserItem): HTMLElement {
  const extra = item.attachments ? h(ctx.doc, 'div', { class: 'attachments', text: `+${item.attachments} attachment${item.attachments > 1 ? 's' : ''}` }) : null;
  return h(ctx.doc, 'article', { class: 'item user', attrs: { 'aria-label': 'You' } }, [
    header(ctx, 'You', item.at),
    h(ctx.doc, 'div', { class: 'plain', text: item.text }),
    extra,
  ]);
}

export function renderAgent(ctx: RenderCtx, item: AgentItem): HTMLElement {
  const copy = iconButton(ctx.doc, 'copy', 'Copy message', () => ctx.post({ type: 'copy', text: item.text }));
  const body = item.live ? h(ctx.doc, 'div', { class: 'plain', text: item.text }) : markdownBody(ctx, item.text);
  return h(ctx.doc, 'article', { class: `item agent${item.live ? ' live' : ''}`, attrs: { 'aria-label': 'Agent', ...(item.live ? { 'aria-busy': 'true' } : {}) } }, [
    header(ctx, 'Agent', item.at, item.live ? [] : [copy]),
    body,
    item.redacted ? h(ctx.doc, 'div', { class: 'muted', text: '(part of this message was redacted)' }) : null,
  ]);
}

function markdownBody(ctx: RenderCtx, text: string): HTMLElement {
  const body = h(ctx.doc, 'div', { class: 'markdown' }, [ctx.markdown.render(text)]);
  decorateCodeBlocks(ctx, body);
  return body;
}

export function renderThinking(ctx: RenderCtx, item: ThinkingItem): HTMLElement {
  const label = item.live ? 'Thinking…' : 'Thought';
  const body = item.text
    ? disclosure(ctx, `${item.key}:thinking`, label, () => h(ctx.doc, 'div', { class: 'plain thinking-text', text: item.text }))
    : h(ctx.doc, 'span', { class: 'muted', text: label });
  return h(ctx.doc, 'article', { class: `item thinking${item.live ? ' live' : ''}`, attrs: { 'aria-label': 'Thinking', ...(item.live ? { 'aria-busy': 'true' } : {}) } }, [body]);
}

export function renderThreadMessage(ctx: RenderCtx, item: ThreadMessageItem): HTMLElement {
  const sent = item.direction === 'sent';
  const head = header(ctx, item.peer, item.at);
  head.prepend(icon(ctx.doc, sent ? 'arrow-right' : 'arrow-left'));
  return h(ctx.doc, 'article', { class: 'item thread-message', attrs: { 'aria-label': sent ? `Message to ${item.peer}` : `Message from ${item.peer}` } }, [
    head,
    h(ctx.doc, 'div', { class: 'plain', text: item.text }),
  ]);
}
