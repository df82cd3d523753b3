import type { Session, SessionSummary } from '../../src/wire';
import { costBasis, formatCost } from '../../src/format/cost';
import { SANDBOX_KIND, type SandboxKind } from '../../src/format/sandbox';
import { formatDuration, formatTokens } from '../render/format';
import { icon } from '../render/icons';
import type { Codicon } from '../render/icons';
import { h } from './dom';

type ShownStatus = SessionSummary['status'] | 'waiting';
const STATUS_ICON: Record<ShownStatus, Codicon> = { running: 'loading', idle: 'circle-outline', rescheduling: 'sync', terminated: 'circle-slash', waiting: 'bell-dot' };
// Words, not API states: a session idle on requires_action waits for the user; "rescheduling" is a retry.
const STATUS_WORDS: Record<ShownStatus, string> = { running: 'Running', idle: 'Idle', rescheduling: 'Retrying', terminated: 'Ended', waiting: 'Waiting for you' };

/** Elapsed active time: the folded active time plus the current running stretch. */
export function activeMs(summary: SessionSummary, now: number): number {
  return summary.activeMs + (summary.status === 'running' && summary.runningSince !== null ? Math.max(0, now - summary.runningSince) : 0);
}

// The status line above the stream: title, status, where the sandbox runs, active time, tokens and list cost, all
// from the same fold the runtime and the CLI use, so the numbers agree everywhere.
export class HeaderView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly status: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly sandbox: HTMLElement;

  constructor(private readonly doc: Document) {
    this.title = h(doc, 'h1', { class: 'title' });
    this.status = h(doc, 'span', { class: 'status', attrs: { role: 'status' } });
    this.stats = h(doc, 'span', { class: 'stats' });
    this.sandbox = h(doc, 'span', { class: 'sandbox-kind' });
    this.sandbox.hidden = true;
    this.el = h(doc, 'header', { class: 'header' }, [this.title, h(doc, 'div', { class: 'header-line' }, [this.status, this.sandbox, this.stats])]);
  }

  /** The kind of sandbox the session works in, as the host recorded it (unknown: not shown). */
  setSandbox(kind: SandboxKind | null): void {
    this.sandbox.hidden = kind === null;
    if (kind === null) return;
    const s = SANDBOX_KIND[kind];
    this.sandbox.replaceChildren(icon(this.doc, s.icon), s.label);
    this.sandbox.title = s.title;
    this.sandbox.setAttribute('aria-label', `Sandbox: ${s.label}. ${s.title}`);
  }

  /** `waiting`: questions wait for the user's answer (the session is idle with requires_action). */
  update(session: Session, summary: SessionSummary, now: number, waiting = false): void {
    this.title.textContent = session.title || session.agent.name;
    this.title.title = `${session.id} · ${session.agent.name} · ${session.agent.model.id}`;
    const status: ShownStatus = waiting && summary.status === 'idle' ? 'waiting' : summary.status;
    if (this.status.dataset.status !== status) {
      this.status.dataset.status = status;
      this.status.className = `status status-${status}`;
      this.status.replaceChildren(icon(this.doc, STATUS_ICON[status], status === 'running'), STATUS_WORDS[status]);
    }
    const u = summary.usage;
    const tokens = `${formatTokens(u.input_tokens + u.cache_read_input_tokens + u.cache_creation.ephemeral_5m_input_tokens)} in · ${formatTokens(u.output_tokens)} out`;
    this.stats.textContent = [formatDuration(activeMs(summary, now)), tokens, formatCost(summary.costCents, summary.costEstimated), session.agent.model.id].join(' · ');
    this.stats.title = `${summary.modelRequests} model requests, ${summary.toolCalls} tool calls, cost: ${costBasis(summary.costEstimated)}`;
  }
}
