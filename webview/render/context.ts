import type { PanelRequest } from '../../src/protocol/panel';
import { button, h } from '../ui/dom';
import type { Child } from '../ui/dom';
import { icon } from './icons';
import type { Markdown } from './markdown';

/** What item renderers may use: the document, the markdown renderer, the host channel and the UI state. */
export interface RenderCtx {
  doc: Document;
  markdown: Markdown;
  post(msg: PanelRequest): void;
  isExpanded(key: string): boolean;
  setExpanded(key: string, open: boolean): void;
}

let disclosures = 0;

/**
 * A toggle button and the region it shows and hides, built on first open, so collapsed content costs no DOM nodes.
 * The open state is kept per key in the webview state and survives a reload. The button leads with a chevron that
 * turns when open; Enter and Space work because it is a real button, and aria-expanded/aria-controls tell a screen
 * reader what it opens.
 */
export function toggleRegion(ctx: RenderCtx, key: string, label: string | readonly Child[], build: () => Node, cls = ''): { toggle: HTMLButtonElement; region: HTMLElement } {
  const id = `disclosure-${++disclosures}`;
  const region = h(ctx.doc, 'div', { class: 'disclosure-body', attrs: { id } });
  const toggle = button(ctx.doc, '', () => setOpen(!ctx.isExpanded(key)), { class: `disclosure-toggle ${cls}`.trim(), attrs: { 'aria-expanded': 'false', 'aria-controls': id } });
  toggle.append(icon(ctx.doc, 'chevron-right'), ...(typeof label === 'string' ? [label] : label).filter((c): c is Node | string => !!c));
  const setOpen = (open: boolean) => {
    ctx.setExpanded(key, open);
    toggle.setAttribute('aria-expanded', String(open));
    region.replaceChildren(...(open ? [build()] : []));
    region.hidden = !open;
  };
  setOpen(ctx.isExpanded(key));
  return { toggle, region };
}

/** A labelled toggle with its region below it (thinking, details). */
export function disclosure(ctx: RenderCtx, key: string, label: string, build: () => Node, cls = ''): HTMLElement {
  const { toggle, region } = toggleRegion(ctx, key, label, build);
  return h(ctx.doc, 'div', { class: `disclosure ${cls}`.trim() }, [toggle, region]);
}

/** Long text shows its first lines and a "Show all" button; the full text is a single text node either way. */
export function foldedText(ctx: RenderCtx, key: string, text: string, cls: string, maxLines = 12): HTMLElement {
  const lines = text.split('\n');
  const pre = h(ctx.doc, 'pre', { class: cls });
  if (lines.length <= maxLines + 2) {
    pre.textContent = text;
    return pre;
  }
  const wrap = h(ctx.doc, 'div', { class: 'folded' }, [pre]);
  const more = button(ctx.doc, '', () => show(!ctx.isExpanded(key)), { class: 'link-button show-all' });
  const show = (all: boolean) => {
    ctx.setExpanded(key, all);
    pre.textContent = all ? text : `${lines.slice(0, maxLines).join('\n')}\n…`;
    more.textContent = all ? 'Show less' : `Show all ${lines.length} lines`;
    more.setAttribute('aria-expanded', String(all));
  };
  show(ctx.isExpanded(key));
  wrap.append(more);
  return wrap;
}

// One formatter for every item: constructing a locale formatter per call is the slow part of toLocaleTimeString.
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function timeLabel(at: string | null): string {
  if (!at) return '';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : TIME.format(d);
}
