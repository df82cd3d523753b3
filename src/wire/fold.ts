import type { SessionEvent, StopReason } from './events';
import type { SessionStatus, SessionUsage } from './session';

// Session status, usage and stats are folds over the log (DESIGN.md invariant 1). Pure and incremental, so the
// runtime, the CLI and the webview compute the same numbers from the same events.

// List prices per million tokens; unknown models are priced as Sonnet (labelled an estimate by the surfaces).
const PRICES: Record<string, { input: number; output: number }> = {
  opus: { input: 15, output: 75 },
  sonnet: { input: 3, output: 15 },
  haiku: { input: 1, output: 5 },
};

export function priceFor(model: string): { input: number; output: number } {
  const family = Object.keys(PRICES).find((f) => model.includes(f)) ?? 'sonnet';
  return PRICES[family] ?? { input: 3, output: 15 };
}

export interface SessionSummary {
  status: SessionStatus;
  stopReason: StopReason | null;
  usage: SessionUsage;
  /** Cost in USD cents (fractional), list prices. */
  costCents: number;
  modelRequests: number;
  toolCalls: number;
  turns: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
  runningSince: number | null;
  activeMs: number;
  lastError: string | null;
}

export function emptySummary(): SessionSummary {
  return {
    status: 'idle',
    stopReason: null,
    usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0 }, active_seconds: 0, list_cost: null },
    costCents: 0,
    modelRequests: 0,
    toolCalls: 0,
    turns: 0,
    firstEventAt: null,
    lastEventAt: null,
    runningSince: null,
    activeMs: 0,
    lastError: null,
  };
}

export function foldSummary(s: SessionSummary, e: SessionEvent, model: string): SessionSummary {
  const at = e.processed_at ?? s.lastEventAt;
  const atMs = at ? Date.parse(at) : null;
  const next: SessionSummary = { ...s, firstEventAt: s.firstEventAt ?? at, lastEventAt: at };
  const stopRunning = () => {
    if (next.runningSince !== null && atMs !== null) next.activeMs += Math.max(0, atMs - next.runningSince);
    next.runningSince = null;
    next.usage = { ...next.usage, active_seconds: Math.round(next.activeMs) / 1000 };
  };
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
    case 'span.model_request_end': {
      const u = e.model_usage;
      const price = priceFor(model);
      next.modelRequests += 1;
      next.usage = {
        ...next.usage,
        input_tokens: next.usage.input_tokens + u.input_tokens,
        output_tokens: next.usage.output_tokens + u.output_tokens,
        cache_read_input_tokens: next.usage.cache_read_input_tokens + u.cache_read_input_tokens,
        cache_creation: { ephemeral_5m_input_tokens: next.usage.cache_creation.ephemeral_5m_input_tokens + u.cache_creation_input_tokens },
      };
      // Cache writes cost 1.25x input, cache reads 0.1x input (Anthropic list pricing).
      const dollars =
        (u.input_tokens * price.input + u.cache_creation_input_tokens * price.input * 1.25 + u.cache_read_input_tokens * price.input * 0.1 + u.output_tokens * price.output) / 1e6;
      next.costCents += dollars * 100;
      next.usage.list_cost = { amount: String(Math.round(next.costCents)), currency: 'USD' };
      break;
    }
    default:
      break;
  }
  return next;
}

export function summarize(events: readonly SessionEvent[], model: string): SessionSummary {
  return events.reduce((s, e) => foldSummary(s, e, model), emptySummary());
}
