import type { SessionEvent, StopReason } from '../wire';
import { assertNever } from '../wire/exhaustive';
import { feedsBack } from '../wire/outcome';
import { OutcomeState } from './outcome-state';

// What the harness needs to decide its next step, folded incrementally from the log. Because it is derived from
// events only, a fresh process that replays the log reaches the same state (ARCHITECTURE.md invariant 2).

export type ToolKind = 'builtin' | 'mcp' | 'custom';

export interface PendingToolUse {
  id: string;
  kind: ToolKind;
  name: string;
  input: Record<string, unknown>;
  mcpServer?: string;
  permission: 'allow' | 'ask' | 'deny';
  confirmation?: { result: 'allow' | 'deny'; message?: string };
  spanId: string | null;
  seq: number;
}

export class HarnessState {
  status: 'idle' | 'running' | 'rescheduling' | 'terminated' = 'idle';
  lastStopReason: StopReason | null = null;
  /** Unresolved tool uses in log order. */
  readonly pending = new Map<string, PendingToolUse>();
  /** Every tool use id ever seen (to validate confirmations and results). */
  readonly toolUseKinds = new Map<string, ToolKind>();
  openSpan: { id: string; seq: number } | null = null;
  /** Server tool uses (the provider's web searches) whose result has not been logged: a crash cut them off. */
  readonly unansweredServerTools = new Set<string>();
  readonly failedSpans = new Set<string>();
  /** The last reply ran out of context window: compact before the next request. */
  mustCompact = false;
  /** Model requests since the last user message: guards against endless tool loops. */
  requestsThisTurn = 0;
  /** The outcome the session works toward (user.define_outcome), if one is active. */
  readonly outcome = new OutcomeState();
  private lastInputSeq = -1;
  private lastBoundarySeq = -1;
  private seq = -1;

  apply(e: SessionEvent): void {
    this.seq += 1;
    switch (e.type) {
      case 'session.status_running':
        this.status = 'running';
        break;
      case 'session.status_rescheduled':
        this.status = 'rescheduling';
        break;
      case 'session.status_terminated':
        this.status = 'terminated';
        break;
      case 'session.status_idle':
        this.status = 'idle';
        this.lastStopReason = e.stop_reason;
        // An idle that ends the turn consumes the input before it: nothing is re-sent to the model on its own. Waiting for
        // the user, or for a raised budget, ends nothing: the turn goes on from there.
        if (e.stop_reason.type !== 'requires_action' && e.stop_reason.type !== 'budget_reached') this.lastBoundarySeq = this.seq;
        break;
      case 'user.interrupt':
        this.lastBoundarySeq = this.seq;
        break;
      case 'user.message':
        this.lastInputSeq = this.seq;
        this.requestsThisTurn = 0;
        break;
      // The outcome's task is the agent's input, and so is a verdict it must act on (revise, or say where it stands).
      case 'user.define_outcome':
        this.outcome.apply(e);
        this.lastInputSeq = this.seq;
        this.requestsThisTurn = 0;
        break;
      case 'span.outcome_evaluation_end':
        this.outcome.apply(e);
        if (feedsBack(e.result)) {
          this.lastInputSeq = this.seq;
          this.requestsThisTurn = 0;
        }
        break;
      case 'span.outcome_evaluation_start':
        this.outcome.apply(e);
        break;
      case 'span.model_request_start':
        this.openSpan = { id: e.id, seq: this.seq };
        this.requestsThisTurn += 1;
        break;
      case 'span.model_request_end': {
        // A paused reply, one cut by the context window and Hangar's own requests answer nothing: the turn goes on.
        const stop = e._hangar?.stop_reason;
        const answers = !e._hangar?.purpose && stop !== 'pause_turn' && stop !== 'model_context_window_exceeded';
        if (e.is_error) this.failedSpans.add(e.model_request_start_id);
        else if (this.openSpan && answers) this.lastBoundarySeq = this.openSpan.seq;
        if (stop === 'model_context_window_exceeded') this.mustCompact = true;
        this.openSpan = null;
        break;
      }
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use': {
        // A server tool ran inside the model's reply (web search): nothing to run, ask or answer.
        if (e._hangar?.server_tool) {
          this.unansweredServerTools.add(e.id);
          break;
        }
        const kind: ToolKind = e.type === 'agent.tool_use' ? 'builtin' : e.type === 'agent.mcp_tool_use' ? 'mcp' : 'custom';
        const permission = e.type === 'agent.custom_tool_use' ? 'ask' : (e.evaluated_permission ?? 'allow');
        this.toolUseKinds.set(e.id, kind);
        this.pending.set(e.id, {
          id: e.id,
          kind,
          name: e.name,
          input: e.input,
          mcpServer: e.type === 'agent.mcp_tool_use' ? e.mcp_server_name : undefined,
          permission,
          spanId: this.openSpan?.id ?? null,
          seq: this.seq,
        });
        break;
      }
      case 'user.tool_confirmation': {
        const p = this.pending.get(e.tool_use_id);
        if (p) p.confirmation = { result: e.result, message: e.deny_message ?? undefined };
        break;
      }
      case 'agent.tool_result':
        if (e._hangar?.server_tool) this.unansweredServerTools.delete(e.tool_use_id);
        else this.resolve(e.tool_use_id);
        break;
      case 'agent.mcp_tool_result':
        this.resolve(e.mcp_tool_use_id);
        break;
      case 'user.custom_tool_result':
        this.resolve(e.custom_tool_use_id);
        break;
      case 'agent.thread_context_compacted':
        this.mustCompact = false;
        break;
      // Nothing to do for these; a new event type must be added here or handled above.
      case 'agent.message':
      case 'agent.thinking':
      case 'agent.thread_message_sent':
      case 'agent.thread_message_received':
      case 'session.error':
      case 'session.deleted':
      case 'session.updated':
      case 'session.thread_created':
      case 'session.thread_status_running':
      case 'session.thread_status_idle':
      case 'session.thread_status_terminated':
      case 'span.outcome_evaluation_ongoing':
      case 'hangar.checkpoint':
      case 'hangar.rewind':
        // A rewind is taken only while nothing is pending or running (runtime/checkpoints.ts): nothing here changes.
        break;
      default:
        assertNever(e, 'event');
    }
  }

  private resolve(id: string): void {
    this.pending.delete(id);
    this.lastInputSeq = this.seq;
  }

  /** True when the model has input it has not answered yet and no tool call is outstanding. */
  get needsModel(): boolean {
    return this.pending.size === 0 && this.lastInputSeq > this.lastBoundarySeq;
  }

  /** Tool uses waiting for the user (confirmation or a custom tool result). */
  blocked(): PendingToolUse[] {
    return [...this.pending.values()].filter((p) => p.kind === 'custom' || (p.permission === 'ask' && !p.confirmation));
  }
}
