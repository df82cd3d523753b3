import { formatCost } from '../../src/format/cost';
import { summarizeToolInput } from '../../src/format/tool-input';
import type { Item } from '../model/items';
import type { Lane } from '../model/session-model';
import { icon, type Codicon } from '../render/icons';
import { h } from './dom';

type Shown = 'waiting' | NonNullable<Lane['status']> | 'starting';
const STATUS: Record<Shown, { icon: Codicon; words: string; spin?: boolean }> = {
  starting: { icon: 'loading', words: 'Starting', spin: true },
  running: { icon: 'loading', words: 'Running', spin: true },
  waiting: { icon: 'bell-dot', words: 'Waiting for you' },
  idle: { icon: 'check', words: 'Idle' },
  terminated: { icon: 'circle-slash', words: 'Archived' },
};
const LAST_MAX = 120;

// The coordinator's tab shows its sub-agents at a glance: each one's status (a call waiting for the user first), what
// it did last and what it cost so far. A row is a button that opens the sub-agent's tab.
export class RollupView {
  readonly el: HTMLElement;
  private shown = '';

  constructor(private readonly doc: Document, private readonly select: (laneId: string) => void) {
    this.el = h(doc, 'section', { class: 'rollup', attrs: { 'aria-label': 'Sub-agents' } });
    this.el.hidden = true;
  }

  /** `subLanes`: the sub-agent lanes (not the coordinator's); `waiting`: how many calls wait for the user, per lane. */
  update(subLanes: readonly Lane[], visible: boolean, waiting: ReadonlyMap<string, number>): void {
    const rows = subLanes.map((lane) => ({ lane, status: statusOf(lane, waiting.get(lane.id) ?? 0), last: lastActivity(lane.items), cost: formatCost(lane.costCents, lane.costEstimated) }));
    const signature = `${visible}|${rows.map((r) => `${r.lane.id}:${r.lane.name}:${r.status}:${r.last?.text}:${r.cost}`).join('|')}`;
    if (signature === this.shown) return;
    this.shown = signature;
    this.el.hidden = !visible || rows.length === 0;
    if (this.el.hidden) return this.el.replaceChildren();
    this.el.replaceChildren(
      h(this.doc, 'h2', { class: 'rollup-title', text: `Sub-agents (${rows.length})` }),
      h(
        this.doc,
        'ul',
        { class: 'rollup-list' },
        rows.map(({ lane, status, last, cost }) => {
          const s = STATUS[status];
          const label = `${lane.name}: ${s.words}${last ? `. Last: ${last.text}` : ''}. Cost ${cost}. Open its tab`;
          const row = h(this.doc, 'button', { class: `rollup-row rollup-${status}`, attrs: { type: 'button', 'data-lane': lane.id, 'aria-label': label, title: last?.at ? `${label} (last activity ${new Date(last.at).toLocaleTimeString()})` : label } }, [
            h(this.doc, 'span', { class: 'rollup-name', text: lane.name }),
            h(this.doc, 'span', { class: `rollup-status status-${status}` }, [icon(this.doc, s.icon, s.spin === true), s.words]),
            h(this.doc, 'span', { class: 'rollup-last', text: last?.text ?? 'no activity yet' }),
            h(this.doc, 'span', { class: 'rollup-cost', text: cost }),
          ]);
          row.addEventListener('click', () => this.select(lane.id));
          return h(this.doc, 'li', {}, [row]);
        }),
      ),
    );
  }
}

function statusOf(lane: Lane, waiting: number): Shown {
  if (waiting > 0) return 'waiting';
  return lane.status ?? 'starting';
}

/** The newest thing the thread did that says something (not its model requests, thinking or status notes), as one line. */
export function lastActivity(items: readonly Item[]): { text: string; at: string | null } | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const text = describe(items[i]!);
    if (text) return { text: text.length > LAST_MAX ? `${text.slice(0, LAST_MAX - 1)}…` : text, at: items[i]!.at };
  }
  return null;
}

function describe(item: Item): string | null {
  const first = (s: string) => s.split('\n').find((l) => l.trim())?.trim() ?? '';
  switch (item.kind) {
    case 'agent':
    case 'user':
      return first(item.text) || null;
    case 'tool': {
      const target = first(summarizeToolInput(item.name, item.input).text);
      return `${item.name}${target ? ` ${target}` : ''}`;
    }
    case 'thread_message':
      return `${item.direction === 'sent' ? 'to' : 'from'} ${item.peer}: ${first(item.text)}`;
    case 'error':
      return item.error.message;
    // Status notes say what the status column already says.
    case 'note':
    case 'thinking':
    case 'span':
      return null;
  }
}
