import { AGENT_MARKER_PATTERN } from '../types';
import { exhaustedReply, parseReplies, ReplySchema, type RecordedRequest, type Reply, type Responder } from './script';

// Plays several agents at once: each request goes to the script of the agent its system prompt names (the harness
// writes `agentMarker(name)` into every thread's system prompt), so a coordinator and its sub-agents each follow their
// own script however their requests interleave, faults included.

/** The agent a request was made for, from its system prompt; null when it names none. */
export function agentOf(rec: RecordedRequest): string | null {
  const system = rec.body.system;
  const text = typeof system === 'string' ? system : (system ?? []).map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n');
  return AGENT_MARKER_PATTERN.exec(text)?.[1] ?? null;
}

/**
 * A responder that routes by agent name: a list is consumed in order (then the "exhausted" reply), a responder is
 * asked. A request for an agent without a route (or naming none) goes to `fallback`, else gets the exhausted reply.
 */
export function byAgent(routes: Record<string, readonly Reply[] | Responder>, fallback?: Responder): Responder {
  const queues = new Map<string, Reply[] | Responder>();
  for (const [name, route] of Object.entries(routes)) queues.set(name, typeof route === 'function' ? route : parseReplies(route));
  return async (rec) => {
    const route = queues.get(agentOf(rec) ?? '');
    if (typeof route === 'function') return ReplySchema.parse(await route(rec));
    const next = route?.shift();
    if (next) return next;
    if (!route && fallback) return ReplySchema.parse(await fallback(rec));
    rec.exhausted = true;
    return exhaustedReply();
  };
}
