import type { ModelUsage, SessionEvent, StopReason } from './events';
import { foldOutcomes, type OutcomeEvaluation } from './outcome';
import type { SessionStatus, SessionUsage } from './session';
import { costUsd, WEB_SEARCH_USD, type ModelPricing } from './models';
import { assertNever } from './exhaustive';

// Session status, usage and stats are folds over the log (ARCHITECTURE.md invariant 1). Pure and incremental, so the
// runtime, the CLI and the webview compute the same numbers from the same events. The caller passes the session
// model's pricing from the catalogue in effect (user overrides included); there is no default, so no surface can
// price with the built-in table by omission.

export interface SessionSummary {
  status: SessionStatus;
  stopReason: StopReason | null;
  usage: SessionUsage;
  /** Cost in USD cents (fractional), list prices from the model catalogue (models.ts). */
  costCents: number;
  /** Some usage was priced without a list price for its model (ModelPricing.estimate): the cost is an estimate. */
  costEstimated: boolean;
  modelRequests: number;
  toolCalls: number;
  turns: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
  runningSince: number | null;
  activeMs: number;
  lastError: string | null;
  /** The session's outcome_evaluations (reference §7.1). */
  outcomes: OutcomeEvaluation[];
  /**
   * A turn was asked for and has not begun: an idle session took a user.message or user.define_outcome, and no status
   * event followed (a crash between the two; the driver logs status_running with its first request). Status still
   * says idle, so resuming and restarts must look here too, or the message would never be answered.
   */
  turnAsked: boolean;
}

export function emptySummary(): SessionSummary {
  return {
    status: 'idle',
    stopReason: null,
    usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0 }, active_seconds: 0, list_cost: null },
    costCents: 0,
    costEstimated: false,
    modelRequests: 0,
    toolCalls: 0,
    turns: 0,
    firstEventAt: null,
    lastEventAt: null,
    runningSince: null,
    activeMs: 0,
    lastError: null,
    outcomes: [],
    turnAsked: false,
  };
}

/** The pricing of one event's usage: a multi-agent session's threads may use other models than the session's agent. */
export type PricingOf = (e: SessionEvent) => ModelPricing;

export function foldSummary(s: SessionSummary, e: SessionEvent, pricing: ModelPricing | PricingOf): SessionSummary {
  const at = e.processed_at ?? s.lastEventAt;
  const atMs = at ? Date.parse(at) : null;
  const next: SessionSummary = { ...s, firstEventAt: s.firstEventAt ?? at, lastEventAt: at };
  const stopRunning = () => {
    if (next.runningSince !== null && atMs !== null) next.activeMs += Math.max(0, atMs - next.runningSince);
    next.runningSince = null;
    next.usage = { ...next.usage, active_seconds: Math.round(next.activeMs) / 1000 };
  };
  if (e.type.startsWith('session.status_')) next.turnAsked = false;
  // A message taken while a turn runs or waits is queued (processed_at null); one taken while the budget holds the
  // session waits for a raised budget, which wakes the session anyway.
  else if ((e.type === 'user.message' || e.type === 'user.define_outcome') && e.processed_at !== null && next.status === 'idle' && next.stopReason?.type !== 'budget_reached') next.turnAsked = true;
  switch (e.type) {
    case 'session.status_running':
      next.status = 'running';
      if (next.runningSince === null) next.runningSince = atMs;
      break;
    case 'session.status_rescheduled':
      next.status = 'rescheduling';
      break;
    case 'session.status_idle':
      next.status = 'idle';
      next.stopReason = e.stop_reason;
      stopRunning();
      break;
    case 'session.status_terminated':
      next.status = 'terminated';
      stopRunning();
      break;
    case 'session.error':
      next.lastError = e.error.message;
      break;
    case 'user.message':
      next.turns += 1;
      break;
    case 'agent.tool_use':
    case 'agent.mcp_tool_use':
    case 'agent.custom_tool_use':
      next.toolCalls += 1;
      break;
    case 'user.define_outcome':
      next.turns += 1;
      next.outcomes = foldOutcomes(next.outcomes, e);
      break;
    case 'span.outcome_evaluation_start':
      next.outcomes = foldOutcomes(next.outcomes, e);
      break;
    // The grader's requests count like the agent's: in the session's usage, its cost and so its budget.
    case 'span.outcome_evaluation_end':
      next.outcomes = foldOutcomes(next.outcomes, e);
      addUsage(next, e.usage, e, pricing, 0);
      break;
    case 'span.model_request_end': {
      next.modelRequests += 1;
      addUsage(next, e.model_usage, e, pricing, e._hangar?.web_search_requests ?? 0);
      break;
    }
    // Nothing to do for these; a new event type must be added here or handled above.
    case 'user.interrupt':
    case 'user.tool_confirmation':
    case 'user.custom_tool_result':
    case 'agent.message':
    case 'agent.thinking':
    case 'agent.tool_result':
    case 'agent.mcp_tool_result':
    case 'agent.thread_context_compacted':
    case 'agent.thread_message_sent':
    case 'agent.thread_message_received':
    case 'session.deleted':
    case 'session.updated':
    case 'session.thread_created':
    case 'session.thread_status_running':
    case 'session.thread_status_idle':
    case 'session.thread_status_terminated':
    case 'span.model_request_start':
    case 'span.outcome_evaluation_ongoing':
    case 'hangar.checkpoint':
    case 'hangar.rewind':
      break;
    default:
      assertNever(e, 'event');
  }
  return next;
}

function addUsage(next: SessionSummary, u: ModelUsage, e: SessionEvent, pricing: ModelPricing | PricingOf, searches: number): void {
  next.usage = {
    ...next.usage,
    input_tokens: next.usage.input_tokens + u.input_tokens,
    output_tokens: next.usage.output_tokens + u.output_tokens,
    cache_read_input_tokens: next.usage.cache_read_input_tokens + u.cache_read_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: next.usage.cache_creation.ephemeral_5m_input_tokens + u.cache_creation_input_tokens },
  };
  if (searches > 0) next.usage.server_tool_use = { web_search_requests: (next.usage.server_tool_use?.web_search_requests ?? 0) + searches };
  const priced = typeof pricing === 'function' ? pricing(e) : pricing;
  if (priced.estimate) next.costEstimated = true;
  const dollars = costUsd(priced, u) + searches * WEB_SEARCH_USD;
  next.costCents += dollars * 100;
  next.usage.list_cost = { amount: String(Math.round(next.costCents)), currency: 'USD' };
}

export function summarize(events: readonly SessionEvent[], pricing: ModelPricing | PricingOf): SessionSummary {
  return events.reduce((s, e) => foldSummary(s, e, pricing), emptySummary());
}
