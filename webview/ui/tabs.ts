import type { Lane } from '../model/session-model';
import { icon } from '../render/icons';
import { h } from './dom';

const STATUS_ICON = { running: 'circle-filled', idle: 'circle-outline', terminated: 'circle-slash' } as const;

// One tab per thread once a sub-agent shows up (the primary thread first); no tabs for a single-thread session.
// A thread with a call waiting for the user shows a bell on its tab, whichever tab is open.
// Arrow keys move between tabs (roving tabindex), as in the WAI-ARIA tabs pattern.
export class TabsView {
  readonly el: HTMLElement;
  private shown = '';

  constructor(private readonly doc: Document, private readonly select: (laneId: string) => void) {
    this.el = h(doc, 'div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Threads' } });
    this.el.hidden = true;
    this.el.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** `waiting`: how many calls wait for the user, per lane. */
  update(lanes: readonly Lane[], active: string, waiting: ReadonlyMap<string, number> = new Map()): void {
    const signature = `${active}|${lanes.map((l) => `${l.id}:${l.name}:${l.status}:${waiting.get(l.id) ?? 0}`).join(',')}`;
    if (signature === this.shown) return;
    this.shown = signature;
    this.el.hidden = lanes.length < 2;
    this.el.replaceChildren(
      ...lanes.map((lane, i) => {
        const selected = lane.id === active;
        const asks = waiting.get(lane.id) ?? 0;
        const name = i === 0 ? `${lane.name} (main)` : lane.name;
        const attrs: Record<string, string> = { role: 'tab', type: 'button', 'aria-selected': String(selected), 'aria-controls': 'stream', tabindex: selected ? '0' : '-1', 'data-lane': lane.id };
        if (asks > 0) attrs['aria-label'] = `${name}, waiting for you`;
        const tab = h(this.doc, 'button', { class: `tab${selected ? ' selected' : ''}${asks > 0 ? ' waiting' : ''}`, attrs }, [
          asks > 0 ? h(this.doc, 'span', { class: 'status-waiting' }, [icon(this.doc, 'bell-dot')]) : lane.status ? h(this.doc, 'span', { class: `status-${lane.status}` }, [icon(this.doc, STATUS_ICON[lane.status])]) : null,
          name,
        ]);
        tab.addEventListener('click', () => this.select(lane.id));
        return tab;
      }),
    );
  }

  private onKey(e: KeyboardEvent): void {
    const tabs = [...this.el.querySelectorAll<HTMLElement>('[role="tab"]')];
    const current = tabs.findIndex((t) => t.getAttribute('aria-selected') === 'true');
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined || !tabs.length) return;
    e.preventDefault();
    const target = tabs[(next + tabs.length) % tabs.length];
    if (!target) return;
    const lane = target.dataset.lane ?? '';
    this.select(lane);
    [...this.el.querySelectorAll<HTMLElement>('[role="tab"]')].find((t) => t.dataset.lane === lane)?.focus();
  }
}
