import { AGENT_MARKER_PATTERN, GRADER_MARKER } from '../types';
import { exhaustedReply, parseReplies, reply, ReplySchema, type RecordedRequest, type Reply, type Responder } from './script';

// Plays several agents at once: each request goes to the script of the agent its system prompt names (the harness
// writes `agentMarker(name)` into every thread's system prompt), so a coordinator and its sub-agents each follow their
// own script however their requests interleave, faults included. An inline sub-agent is routed the same way, by the
// name the coordinator's model gave it.

/** The agent a request was made for, from its system prompt; null when it names none. */
export function agentOf(rec: RecordedRequest): string | null {
  return AGENT_MARKER_PATTERN.exec(systemText(rec))?.[1] ?? null;
}

function systemText(rec: RecordedRequest): string {
  const system = rec.body.system;
  return typeof system === 'string' ? system : (system ?? []).map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n');
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

/** Whether a request is an outcome grader's (src/harness/grader.ts names itself in its system prompt). */
export function isGrader(rec: RecordedRequest): boolean {
  return systemText(rec).includes(GRADER_MARKER);
}

/**
 * Plays an agent and its outcome grader apart: grader requests take `grader`'s replies (a list consumed in order, or a
 * responder), every other request `agent`'s, however they interleave. Each list ends with the "exhausted" reply.
 */
export function withGrader(grader: readonly Reply[] | Responder, agent: readonly Reply[] | Responder): Responder {
  const route = (r: readonly Reply[] | Responder): Responder => {
    if (typeof r === 'function') return async (rec) => ReplySchema.parse(await r(rec));
    const queue = parseReplies(r);
    return (rec) => {
      const next = queue.shift();
      if (next) return next;
      rec.exhausted = true;
      return exhaustedReply();
    };
  };
  const toGrader = route(grader);
  const toAgent = route(agent);
  return (rec) => (isGrader(rec) ? toGrader(rec) : toAgent(rec));
}

/** Said by a `delegating` coordinator once every answer it waits for is in its context. */
export const DELEGATION_DONE = 'All agents are done.';

/**
 * A coordinator's script: its first request delegates every task in one reply (parallel `send_to_agent` calls, agent
 * name → message); each later one ends the turn, with DELEGATION_DONE once every expected answer text is in the
 * conversation, else a note that it waits for the rest.
 */
export function delegating(tasks: Readonly<Record<string, string>>, answers: readonly string[]): Responder {
  return (rec) => {
    const text = JSON.stringify(rec.body.messages);
    if (!text.includes('send_to_agent')) {
      return { kind: 'message', blocks: Object.entries(tasks).map(([agent, message]) => ({ type: 'tool_use' as const, name: 'send_to_agent', input: { agent, message } })) };
    }
    return reply.text(answers.every((a) => text.includes(a)) ? DELEGATION_DONE : 'Waiting for the other agents.');
  };
}
