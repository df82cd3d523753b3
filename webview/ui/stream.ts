import type { Item } from '../model/items';
import type { Change, Lane } from '../model/session-model';
import type { RenderCtx } from '../render/context';
import { renderItem } from '../render/index';
import { linkTarget } from '../render/markdown';
import { button, h } from './dom';

/** Items rendered per lane by default and added per "Load earlier" click. */
export const PAGE = 200;
const FOLLOW_SLACK_PX = 40;

// The event stream of one lane, windowed: only the newest `windowSize` items are in the DOM (always a suffix of
// the lane), new items are appended and the oldest rendered one dropped, so 10,000 events cost no more DOM than
// 200. Items that change (a tool result, a span end, a final message after its preview) are re-rendered in place.
export class StreamView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly rendered = new Map<string, HTMLElement>();
  private lane: Lane | null = null;
  private windowSize = PAGE;
  /** True while the user is at the bottom: new items and layout changes keep the newest item in view. */
  private following = true;
  private lastTop = 0;

  constructor(
    private readonly ctx: RenderCtx,
    private readonly isPending: (key: string) => boolean,
    private readonly onScroll: (fromBottom: number) => void,
  ) {
    const { doc } = ctx;
    this.more = button(doc, 'Load earlier', () => this.loadEarlier(), { class: 'load-earlier' });
    this.list = h(doc, 'div', { class: 'stream-list', attrs: { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Session events' } });
    this.el = h(doc, 'div', { class: 'stream', attrs: { id: 'stream', tabindex: '-1' } }, [this.more, this.list]);
    this.el.addEventListener('scroll', () => {
      // Only the user scrolling up stops following: scroll events come a frame late, after prompts or the
      // changes list may have shrunk the stream, so "not at the bottom" alone does not mean the user left it.
      const fromBottom = this.fromBottom();
      const top = this.el.scrollTop;
      if (fromBottom <= FOLLOW_SLACK_PX) this.following = true;
      else if (top < this.lastTop) this.following = false;
      this.lastTop = top;
      this.onScroll(fromBottom);
    });
    // The stream shrinks when prompts, tabs or the changes list appear; a follower should still see the end.
    const Observer = doc.defaultView?.ResizeObserver;
    if (Observer) new Observer(() => this.stick()).observe(this.el);
    this.el.addEventListener('click', (e) => this.activateLink(e));
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.activateLink(e);
    });
  }

  show(lane: Lane, fromBottom = 0): void {
    this.lane = lane;
    this.windowSize = PAGE;
    this.rendered.clear();
    const items = lane.items.slice(-this.windowSize);
    this.list.replaceChildren(...items.map((i) => this.render(i)));
    this.updateMore();
    this.markBusy();
    this.following = fromBottom <= FOLLOW_SLACK_PX;
    this.el.scrollTop = Math.max(0, this.el.scrollHeight - this.el.clientHeight - fromBottom);
    this.lastTop = this.el.scrollTop;
  }

  /**
   * Follows the stream again from here on, at once at its end. For the user's own moves that continue the
   * conversation (a message, a rewind): they may have scrolled up to reach the step they rewind to, and what comes
   * next (the rewind's note, their message, the answer) arrives at the end.
   */
  follow(): void {
    this.following = true;
    this.stick();
  }

  /** Scrolls to the newest item if the user is following the stream. */
  stick(): void {
    if (this.following) this.el.scrollTop = this.el.scrollHeight;
  }

  /** Mirrors the model's changes for the shown lane; changes to other lanes are ignored (rendered on switch). */
  apply(changes: readonly Change[]): void {
    const lane = this.lane;
    if (!lane) return;
    for (const c of changes) {
      if (c.item.lane !== lane.id) continue;
      if (c.type === 'added') this.list.append(this.render(c.item));
      else if (c.type === 'updated') this.refresh(c.item);
      else this.removeKey(c.item.key);
    }
    while (this.rendered.size > this.windowSize) {
      const first = this.list.firstElementChild as HTMLElement | null;
      if (!first) break;
      this.removeKey(first.dataset.key ?? '');
    }
    this.updateMore();
    this.markBusy();
    this.stick();
  }

  /** Re-renders an item if it is on screen (e.g. its prompt state changed). */
  refresh(item: Item): void {
    const old = this.rendered.get(item.key);
    if (old) old.replaceWith(this.render(item));
    this.markBusy();
  }

  loadEarlier(): void {
    const lane = this.lane;
    if (!lane) return;
    const firstShown = lane.items.length - this.rendered.size;
    this.windowSize += PAGE;
    const start = Math.max(0, lane.items.length - this.windowSize);
    const before = this.el.scrollHeight;
    this.list.prepend(...lane.items.slice(start, firstShown).map((i) => this.render(i)));
    this.el.scrollTop += this.el.scrollHeight - before;
    this.updateMore();
  }

  private render(item: Item): HTMLElement {
    const el = renderItem(this.ctx, item, this.isPending(item.key));
    this.rendered.set(item.key, el);
    return el;
  }

  private removeKey(key: string): void {
    this.rendered.get(key)?.remove();
    this.rendered.delete(key);
  }

  /**
   * An item still streaming (a message's preview, a command's live output) is re-rendered at every update, and each
   * re-render is an addition to the log. It is marked aria-busy, but Chromium honours aria-busy only on the live
   * region itself: so the whole log is busy while any item is, and a screen reader reads the item once, complete.
   */
  private markBusy(): void {
    if (this.list.querySelector('[aria-busy="true"]')) this.list.setAttribute('aria-busy', 'true');
    else this.list.removeAttribute('aria-busy');
  }

  private updateMore(): void {
    const hidden = (this.lane?.items.length ?? 0) - this.rendered.size;
    this.more.hidden = hidden <= 0;
    this.more.textContent = `Load earlier (${hidden} more)`;
  }

  private fromBottom(): number {
    return Math.max(0, this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight);
  }

  private activateLink(e: Event): void {
    const target = (e.target as Element | null)?.closest?.('[data-href], [data-path]');
    if (!target) return;
    e.preventDefault();
    const path = target.getAttribute('data-path');
    const link = path ? { type: 'openFile' as const, path } : linkTarget(target.getAttribute('data-href') ?? '');
    if (link) this.ctx.post(link);
  }
}
