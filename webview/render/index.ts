import { assertNever } from '../../src/wire/exhaustive';
import type { Item } from '../model/items';
import type { RenderCtx } from './context';
import { renderAgent, renderThinking, renderThreadMessage, renderUser } from './messages';
import { renderError, renderNote } from './misc';
import { renderSpan, withTurnStats } from './span';
import { renderTool } from './tool';

/** One element per item; `data-key` lets the stream find and replace it when the item changes. */
export function renderItem(ctx: RenderCtx, item: Item, pending: boolean): HTMLElement {
  const el = pick(ctx, item, pending);
  el.dataset.key = item.key;
  return el;
}

function pick(ctx: RenderCtx, item: Item, pending: boolean): HTMLElement {
  switch (item.kind) {
    case 'user':
      return renderUser(ctx, item);
    case 'agent':
      return renderAgent(ctx, item);
    case 'thinking':
      return renderThinking(ctx, item);
    case 'tool':
      return renderTool(ctx, item, pending);
    case 'error':
      return renderError(ctx, item);
    case 'span':
      return renderSpan(ctx, item);
    case 'thread_message':
      return renderThreadMessage(ctx, item);
    case 'note':
      return withTurnStats(ctx, item, renderNote(ctx, item));
    default:
      return assertNever(item, 'item kind');
  }
}
