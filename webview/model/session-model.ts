import { DEFAULT_MAX_ITERATIONS, emptySummary, foldSummary } from '../../src/wire';
import type { EventOf, ModelErrorDetail, ModelPricing, Session, SessionEvent, SessionSummary, StopReason, StreamPreview } from '../../src/wire';
import type { ModelPricings, PanelThread, RequestModels } from '../../src/protocol/panel';
import { PRIMARY, textOf } from './items';
import type { ErrorItem, Item, SpanItem, StepCheckpoint, ToolItem } from './items';
import { PendingActions } from './pending';

export type Change = { type: 'added' | 'updated' | 'removed'; item: Item };

export interface Lane {
  id: string;
  name: string;
  status: 'running' | 'idle' | 'terminated' | null;
  items: Item[];
  /** The list cost of the thread's model requests, each priced with the model it asked. */
  costCents: number;
  /** Some request was priced without a list price for its model: the cost is an estimate. */
  costEstimated: boolean;
}

const STOP_NOTES: Record<StopReason['type'], { text: string; tone: 'info' | 'warn' }> = {
  end_turn: { text: 'Turn ended', tone: 'info' },
  requires_action: { text: 'Waiting for you', tone: 'warn' },
  // Also after an error that was never retried (a refused key): the error card above says which it was.
  retries_exhausted: { text: 'Stopped after an error', tone: 'warn' },
  budget_reached: { text: 'Stopped: budget reached', tone: 'warn' },
  refusal: { text: 'Stopped: the model refused', tone: 'warn' },
};

// The panel's state, folded from the session's events (the same fold the runtime uses for the summary, priced with
// the pricing the host sends, so panel, sidebar and CLI show one cost). Pure: no DOM, so it is unit tested directly
// and the view only mirrors the changes it reports.
export class SessionModel {
  readonly lanes = new Map<string, Lane>();
  readonly pending = new PendingActions();
  summary: SessionSummary = emptySummary();
  private readonly items = new Map<string, Item>();
  /** Keys of previews still waiting for their final event. */
  private readonly live = new Set<string>();
  private readonly seen = new Set<string>();
  /** The model requests of the turn so far, for the note that ends it. */
  private readonly turnSpans = new Map<string, SpanItem[]>();
  /** The error card of a model request that is being retried: its next failure joins it. */
  private readonly episodes = new Map<string, ErrorItem>();
  /** The pricing of each sub-agent model request the host named a model for, by span end id (the rest: the session's). */
  private readonly requestPricing = new Map<string, ModelPricing>();
  /** The "Waiting for you" note of the current requires_action idle; it leaves once the questions are answered. */
  private waitingNote: string | null = null;
  /** A checkpoint logged just before an idle: it belongs to that idle's note. */
  private idleCheckpoint: StepCheckpoint | null = null;

  constructor(
    public session: Session,
    /** The session model's pricing in the host's catalogue (user overrides included). */
    private readonly pricing: ModelPricing,
    threads: readonly PanelThread[] = [],
  ) {
    this.lane(PRIMARY, session.agent.name);
    for (const t of threads) {
      const lane = this.lane(t.session_thread_id, t.agent_name);
      lane.status = t.status ?? null;
    }
  }

  item(key: string): Item | undefined {
    return this.items.get(key);
  }

  /** Items that wait for the user's answer (permission or custom tool result). */
  pendingTools(): ToolItem[] {
    return this.pending
      .ids()
      .map((id) => this.items.get(id))
      .filter((i): i is ToolItem => i?.kind === 'tool' && (i.toolKind === 'custom' || i.permission === 'ask'));
  }

  setSession(session: Session): void {
    this.session = session;
    this.summary = { ...this.summary, status: session.status };
  }

  /**
   * The model each sub-agent request among the events to come asked, with those models' pricing (as the host sends
   * them with the events): a roster or inline sub-agent's requests cost its own model's price, not the session's.
   */
  priceRequests(requestModels: RequestModels = {}, modelPricing: ModelPricings = {}): void {
    for (const [id, model] of Object.entries(requestModels)) {
      const pricing = modelPricing[model];
      if (pricing) this.requestPricing.set(id, pricing);
    }
  }

  /**
   * Folds one event; `thinking` is the summarised thinking text the host read from the log for an agent.thinking,
   * `errorDetail` how the model request behind a session.error failed.
   */
  apply(e: SessionEvent, thinking?: string, errorDetail?: ModelErrorDetail, thread?: string): Change[] {
    // The host may deliver an event twice (a batch racing the init after a reload); folding it twice would
    // double its tokens and cost.
    if (e.id) {
      if (this.seen.has(e.id)) return [];
      this.seen.add(e.id);
    }
    const lane = thread ?? PRIMARY;
    this.summary = foldSummary(this.summary, e, this.pricingOf(e.id));
    this.pending.apply(e);
    const changes = e.type === 'session.error' ? this.foldError(e, errorDetail ?? null, lane) : this.fold(e, thinking, lane);
    return this.waitingNote !== null && this.pendingTools().length === 0 ? [...changes, ...this.dropWaitingNote()] : changes;
  }

  /**
   * A model request's failures and retries fold into one card; a success or the turn's end closes it. Any error being
   * retried opens a card a success marks recovered; only a classified model failure (with `detail`) joins an open one.
   */
  private foldError(e: EventOf<'session.error'>, detail: ModelErrorDetail | null, lane: string): Change[] {
    const retrying = e.error.retry_status.type === 'retrying';
    const retryAt = retrying && detail?.retry_in_ms !== undefined && e.processed_at ? Date.parse(e.processed_at) + detail.retry_in_ms : null;
    // Each thread retries its own requests: episodes are per lane.
    const open = this.episodes.get(lane);
    if (open?.detail && detail) {
      Object.assign(open, { error: e.error, detail, attempts: open.attempts + 1, retryAt, ended: !retrying });
      if (!retrying) this.episodes.delete(lane);
      return [{ type: 'updated', item: open }];
    }
    const closed = this.closeEpisode(lane, false);
    const item: ErrorItem = { kind: 'error', key: e.id, lane, at: e.processed_at, error: e.error, detail, attempts: 1, retryAt, recovered: false, ended: !retrying };
    if (retrying) this.episodes.set(lane, item);
    return [...closed, this.add(item)];
  }

  /** The lane's episode ends: recovered when a later request succeeded; either way nothing counts down any more. */
  private closeEpisode(lane: string, recovered: boolean): Change[] {
    const open = this.episodes.get(lane);
    if (!open) return [];
    this.episodes.delete(lane);
    Object.assign(open, { retryAt: null, recovered, ended: true });
    return [{ type: 'updated', item: open }];
  }

  private dropWaitingNote(): Change[] {
    const key = this.waitingNote;
    this.waitingNote = null;
    const item = key === null ? undefined : this.items.get(key);
    if (!item) return [];
    this.items.delete(item.key);
    const lane = this.lanes.get(item.lane);
    if (lane) lane.items = lane.items.filter((i) => i !== item);
    return [{ type: 'removed', item }];
  }

  /** `thread`: the sub-agent thread the preview belongs to (absent: the primary thread's). */
  preview(p: StreamPreview, thread?: string): Change[] {
    const lane = thread ?? PRIMARY;
    if (p.type === 'tool_output') {
      const tool = this.items.get(p.tool_use_id);
      if (tool?.kind !== 'tool' || tool.result) return [];
      return this.updateTool(p.tool_use_id, (t) => (t.live = { tail: p.tail, bytes: p.bytes, binary: p.binary }));
    }
    if (p.type === 'event_start') {
      if (this.items.has(p.event.id)) return [];
      const base = { key: p.event.id, lane, at: null, text: '', live: true };
      this.live.add(p.event.id);
      return [this.add(p.event.type === 'agent.message' ? { ...base, kind: 'agent', redacted: false } : { ...base, kind: 'thinking' })];
    }
    const existing = this.items.get(p.event_id);
    if (!existing) {
      this.live.add(p.event_id);
      return [this.add({ kind: 'agent', key: p.event_id, lane, at: null, text: p.delta.content.text, live: true, redacted: false })];
    }
    if ((existing.kind !== 'agent' && existing.kind !== 'thinking') || !existing.live) return [];
    existing.text += p.delta.content.text;
    return [{ type: 'updated', item: existing }];
  }

  private fold(e: SessionEvent, thinking: string | undefined, lane: string): Change[] {
    const at = e.processed_at;
    switch (e.type) {
      case 'user.message': {
        const { text, attachments } = textOf(e.content);
        return [this.add({ kind: 'user', key: e.id, lane, at, text, attachments })];
      }
      case 'agent.message': {
        const { text } = textOf(e.content);
        this.live.delete(e.id);
        return [this.add({ kind: 'agent', key: e.id, lane, at, text, live: false, redacted: e.content.some((b) => b.type === 'redacted') })];
      }
      case 'agent.thinking': {
        const prior = this.items.get(e.id);
        this.live.delete(e.id);
        const previewed = prior?.kind === 'thinking' ? prior.text : '';
        return [this.add({ kind: 'thinking', key: e.id, lane, at, text: thinking ?? previewed, live: false })];
      }
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use':
        return [this.add(toolItem(e, lane))];
      case 'agent.tool_result':
      case 'agent.mcp_tool_result': {
        const id = e.type === 'agent.tool_result' ? e.tool_use_id : e.mcp_tool_use_id;
        return this.updateTool(id, (t) => {
          t.result = { ...textOf(e.content), isError: e.is_error === true };
          t.live = null;
        });
      }
      case 'user.custom_tool_result':
        return this.updateTool(e.custom_tool_use_id, (t) => (t.result = { ...textOf(e.content), isError: e.is_error === true }));
      case 'user.tool_confirmation':
        return this.updateTool(e.tool_use_id, (t) => (t.confirmation = { result: e.result, denyMessage: e.deny_message ?? null }));
      case 'session.error':
        return this.foldError(e, null, lane);
      case 'span.model_request_start':
        return [this.add({ kind: 'span', key: e.id, lane, at, endAt: null, usage: null, isError: false, costCents: 0 })];
      case 'span.model_request_end':
        return [...(e.is_error ? [] : this.closeEpisode(lane, true)), ...this.endSpan(e, lane)];
      case 'agent.thread_message_sent':
      case 'agent.thread_message_received': {
        const sent = e.type === 'agent.thread_message_sent';
        const peerId = sent ? e.to_session_thread_id : e.from_session_thread_id;
        const peerName = (sent ? e.to_agent_name : e.from_agent_name) ?? this.lanes.get(peerId)?.name ?? peerId;
        return [this.add({ kind: 'thread_message', key: e.id, lane, at, direction: sent ? 'sent' : 'received', peer: peerName, text: textOf(e.content).text })];
      }
      case 'user.interrupt':
        return [this.note(e.id, e.session_thread_id ?? PRIMARY, at, 'Interrupted', 'warn')];
      case 'session.status_idle': {
        const note = this.note(e.id, PRIMARY, at, STOP_NOTES[e.stop_reason.type].text, STOP_NOTES[e.stop_reason.type].tone);
        if (e.stop_reason.type !== 'requires_action') this.endTurn(PRIMARY, note.item);
        const out = [...this.dropLivePreviews(), ...this.closeEpisode(PRIMARY, false), ...this.dropWaitingNote(), note];
        if (e.stop_reason.type === 'requires_action') this.waitingNote = e.id;
        if (this.idleCheckpoint) note.item.checkpoint = this.idleCheckpoint;
        this.idleCheckpoint = null;
        return out;
      }
      case 'session.status_terminated': {
        const note = this.note(e.id, PRIMARY, at, 'Session terminated', 'warn');
        this.endTurn(PRIMARY, note.item);
        return [...this.dropLivePreviews(), note];
      }
      case 'session.deleted':
        return [this.note(e.id, PRIMARY, at, 'Session deleted', 'warn')];
      case 'agent.thread_context_compacted':
        return [this.note(e.id, lane, at, 'Context compacted', 'info')];
      case 'session.thread_created':
        this.lane(e.session_thread_id, e.agent_name).status = 'running';
        return [this.note(e.id, PRIMARY, at, `Sub-agent ${e.agent_name} started`, 'info')];
      // The coordinator's own thread logs its status too, with the primary thread's id (no sub-agent lane has it):
      // its tab follows it; the session's own status events say the rest, so it gets no note here.
      case 'session.thread_status_running':
        if (this.isPrimaryThread(e.session_thread_id, lane)) return this.primaryStatus('running');
        this.lane(e.session_thread_id, e.agent_name).status = 'running';
        return [];
      case 'session.thread_status_idle': {
        if (this.isPrimaryThread(e.session_thread_id, lane)) return this.primaryStatus('idle');
        this.lane(e.session_thread_id, e.agent_name).status = 'idle';
        const n = STOP_NOTES[e.stop_reason.type];
        const note = this.note(e.id, e.session_thread_id, at, n.text, n.tone);
        if (e.stop_reason.type !== 'requires_action') this.endTurn(e.session_thread_id, note.item);
        return [...this.closeEpisode(e.session_thread_id, false), note];
      }
      case 'session.thread_status_terminated':
        if (this.isPrimaryThread(e.session_thread_id, lane)) return this.primaryStatus('terminated');
        this.lane(e.session_thread_id, e.agent_name).status = 'terminated';
        return [this.note(e.id, e.session_thread_id, at, 'Thread archived', 'warn')];
      // An outcome and each of its evaluations (iteration, verdict, the grader's explanation) show in the conversation.
      case 'user.define_outcome':
        return [this.note(e.id, PRIMARY, at, `Outcome: ${e.description} (up to ${e.max_iterations ?? DEFAULT_MAX_ITERATIONS} evaluations)`, 'info')];
      case 'span.outcome_evaluation_end':
        return [this.add({ kind: 'note', key: e.id, lane: PRIMARY, at, text: `Evaluation ${e.iteration + 1}: ${e.result.replace(/_/g, ' ')}`, tone: e.result === 'satisfied' ? 'info' : 'warn', detail: e.explanation })];
      case 'hangar.checkpoint':
        return this.markCheckpoint(e);
      // Every thread's context goes back with the shared files (harness/rewind.ts), so each tab shows where.
      case 'hangar.rewind':
        return [...this.lanes.keys()].map((id) => this.note(id === PRIMARY ? e.id : `${e.id}:${id}`, id, at, 'Rewound: the files are back as they were at the checkpoint, and the conversation continues from there', 'info'));
      case 'session.status_running':
      case 'session.status_rescheduled':
      case 'session.updated':
      case 'span.outcome_evaluation_start':
      case 'span.outcome_evaluation_ongoing':
        return [];
    }
  }

  /** The step a checkpoint ends (its tool call, or the turn's end note) gets the rewind and fork actions. */
  private markCheckpoint(e: EventOf<'hangar.checkpoint'>): Change[] {
    const checkpoint = { id: e.checkpoint_id, event: e.id };
    if (e.trigger === 'tool_call' && e.tool_use_id) return this.updateTool(e.tool_use_id, (t) => (t.checkpoint = checkpoint));
    if (e.trigger === 'idle') this.idleCheckpoint = checkpoint;
    return [];
  }

  private lane(id: string, name: string): Lane {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { id, name, status: null, items: [], costCents: 0, costEstimated: false };
      this.lanes.set(id, lane);
    } else if (lane.name === id && name !== id) {
      // The lane was opened by an event that carries only the thread id; lifecycle events name the agent.
      lane.name = name;
    }
    return lane;
  }

  private add(item: Item): Change {
    const existing = this.items.get(item.key);
    if (existing) {
      Object.assign(existing, item);
      return { type: 'updated', item: existing };
    }
    this.items.set(item.key, item);
    this.lane(item.lane, item.lane).items.push(item);
    return { type: 'added', item };
  }

  private note(key: string, lane: string, at: string | null, text: string, tone: 'info' | 'warn'): Change {
    return this.add({ kind: 'note', key, lane, at, text, tone });
  }

  private updateTool(id: string, update: (t: ToolItem) => void): Change[] {
    const tool = this.items.get(id);
    if (tool?.kind !== 'tool') return [];
    update(tool);
    return [{ type: 'updated', item: tool }];
  }

  /** An untagged thread status event whose thread never started as a sub-agent is the coordinator's own. */
  private isPrimaryThread(threadId: string, lane: string): boolean {
    return lane === PRIMARY && !this.lanes.has(threadId);
  }

  private primaryStatus(status: NonNullable<Lane['status']>): Change[] {
    this.lane(PRIMARY, this.session.agent.name).status = status;
    return [];
  }

  /** A model request's pricing: its model's when the host named one (a sub-agent's), the session model's otherwise. */
  private pricingOf(eventId: string): ModelPricing {
    return this.requestPricing.get(eventId) ?? this.pricing;
  }

  private endSpan(e: EventOf<'span.model_request_end'>, lane: string): Change[] {
    const { costCents, costEstimated } = foldSummary(emptySummary(), e, this.pricingOf(e.id));
    const owner = this.lane(lane, lane);
    owner.costCents += costCents;
    owner.costEstimated ||= costEstimated;
    const fields = { endAt: e.processed_at, usage: e.model_usage, isError: e.is_error === true, costCents };
    const spans = this.turnSpans.get(lane) ?? [];
    this.turnSpans.set(lane, spans);
    const start = this.items.get(e.model_request_start_id);
    if (start?.kind === 'span') {
      Object.assign(start, fields);
      spans.push(start);
      return [{ type: 'updated', item: start }];
    }
    const change = this.add({ kind: 'span', key: e.id, lane, at: e.processed_at, ...fields });
    if (change.item.kind === 'span') spans.push(change.item);
    return [change];
  }

  /** The note that ends a lane's turn gets its model requests, which it shows quietly (ended spans show nothing). */
  private endTurn(lane: string, note: Item): void {
    const spans = this.turnSpans.get(lane) ?? [];
    if (note.kind === 'note' && spans.length) note.spans = spans;
    this.turnSpans.delete(lane);
  }

  /** A preview whose final event never came (interrupted mid-stream) is not in the log, so it leaves the view. */
  private dropLivePreviews(): Change[] {
    if (!this.live.size) return [];
    const out: Change[] = [];
    for (const key of this.live) {
      const item = this.items.get(key);
      if (!item) continue;
      this.items.delete(key);
      out.push({ type: 'removed', item });
    }
    this.live.clear();
    for (const lane of new Set(out.map((c) => c.item.lane))) {
      const l = this.lanes.get(lane);
      if (l) l.items = l.items.filter((i) => this.items.has(i.key));
    }
    return out;
  }
}

function toolItem(e: EventOf<'agent.tool_use' | 'agent.mcp_tool_use' | 'agent.custom_tool_use'>, lane: string): ToolItem {
  // A cross-posted call names its thread on the wire; the host names every other sub-thread event's.
  const base = { key: e.id, lane: e.session_thread_id ?? lane, at: e.processed_at, name: e.name, input: e.input, confirmation: null, result: null, live: null };
  if (e.type === 'agent.custom_tool_use') return { ...base, kind: 'tool', toolKind: 'custom', server: null, permission: null };
  return { ...base, kind: 'tool', toolKind: e.type === 'agent.mcp_tool_use' ? 'mcp' : 'builtin', server: e.type === 'agent.mcp_tool_use' ? e.mcp_server_name : null, permission: e.evaluated_permission ?? null };
}
