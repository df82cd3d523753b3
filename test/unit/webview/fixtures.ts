import { BUILTIN_MODELS, type ModelPricing, type ModelUsage, type NewEvent, type Session, type SessionEvent } from '../../../src/wire';

// Builders for sessions and event logs as the runtime writes them: ids in order, processed_at one second apart.

/** The pricing the host sends with `init` for fakeSession's model (the built-in list prices). */
export const PRICING: ModelPricing = { prices: BUILTIN_MODELS['claude-sonnet-4-5']!.prices };

export function fakeSession(overrides: Partial<Session> = {}): Session {
  return {
    type: 'session',
    id: 'sesn_011test',
    title: 'Fix the failing date test',
    status: 'idle',
    environment_id: 'env_011test',
    agent: {
      type: 'agent',
      id: 'agent_011test',
      version: 1,
      name: 'coder',
      description: null,
      system: null,
      model: { id: 'claude-sonnet-4-5' },
      tools: [],
      mcp_servers: [],
      skills: [],
      multiagent: null,
      execution_identity: { type: 'service_account' },
    },
    resources: [],
    vault_ids: [],
    metadata: {},
    budget: null,
    outcome_evaluations: [],
    stats: {},
    usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0 }, active_seconds: 0, list_cost: null },
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:00:00.000Z',
    archived_at: null,
    ...overrides,
  };
}

export class EventLog {
  readonly events: SessionEvent[] = [];
  private n = 0;
  private clock = Date.parse('2026-01-05T10:00:00.000Z');

  add(e: NewEvent, stepMs = 1000): SessionEvent {
    this.n += 1;
    this.clock += stepMs;
    const event = { ...e, id: e.id ?? `sevt_${String(this.n).padStart(6, '0')}`, processed_at: new Date(this.clock).toISOString() } as SessionEvent;
    this.events.push(event);
    return event;
  }

  user(text: string): SessionEvent {
    return this.add({ type: 'user.message', content: [{ type: 'text', text }] });
  }
  agent(text: string, id?: string): SessionEvent {
    return this.add({ type: 'agent.message', content: [{ type: 'text', text }], ...(id ? { id } : {}) });
  }
  running(): SessionEvent {
    return this.add({ type: 'session.status_running' });
  }
  idle(eventIds?: string[]): SessionEvent {
    return this.add({ type: 'session.status_idle', stop_reason: eventIds ? { type: 'requires_action', event_ids: eventIds } : { type: 'end_turn' } });
  }
  tool(name: string, input: Record<string, unknown>, extra: { evaluated_permission?: 'allow' | 'ask' | 'deny'; session_thread_id?: string } = {}): SessionEvent {
    return this.add({ type: 'agent.tool_use', name, input, evaluated_permission: extra.evaluated_permission ?? 'allow', ...(extra.session_thread_id ? { session_thread_id: extra.session_thread_id } : {}) });
  }
  result(toolUseId: string, text: string, isError = false): SessionEvent {
    return this.add({ type: 'agent.tool_result', tool_use_id: toolUseId, content: [{ type: 'text', text }], is_error: isError });
  }
  span(usage: Partial<ModelUsage> = {}, durationMs = 2500): [SessionEvent, SessionEvent] {
    const start = this.add({ type: 'span.model_request_start' });
    const end = this.add(
      { type: 'span.model_request_end', model_request_start_id: start.id, is_error: false, model_usage: { input_tokens: 1200, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage } },
      durationMs,
    );
    return [start, end];
  }
}
