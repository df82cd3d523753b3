import type { InlineAgent, ModelCatalog, ModelUsage, Session, SessionAgent, SessionEvent, SessionThreadAgent } from '../wire';
import { costUsd, sessionRoster } from '../wire';
import { threadOf } from '../harness/threads/view';

// A session's threads (reference §2.6, §7.9) are folds over its one log: the primary thread is the session seen as a
// thread (its id derived from the session's); each sub-agent thread starts at its session.thread_created and carries
// its own status, usage and cost, priced with its own agent's model (the session's totals add them up).

export interface SessionThread {
  type: 'session_thread';
  id: string;
  session_id: string;
  parent_thread_id: string | null;
  status: Session['status'];
  /** A roster agent's definition, or the inline agent the coordinator defined (kept in its session.thread_created). */
  agent: SessionThreadAgent | InlineAgent;
  workflow_run_id: null;
  stats: { active_seconds?: number; duration_seconds?: number };
  usage: Session['usage'];
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export function primaryThreadId(sessionId: string): string {
  return `sthr_${sessionId.replace(/^sesn_/, '')}`;
}

/** The events a thread's own listing and stream show: the primary thread's untagged ones, a sub-thread's tagged ones. */
export function inThread(threadId: string, sessionId: string): (e: SessionEvent) => boolean {
  const primary = threadId === primaryThreadId(sessionId);
  return (e) => !isHangarEvent(e) && (primary ? threadOf(e) === null : threadOf(e) === threadId);
}

/** Hangar's own event types (checkpoints, rewinds): the API serves them apart (api/checkpoints.ts), and as events only to a client that asks (api/event-stream.ts#servedEvents). */
export function isHangarEvent(e: SessionEvent): boolean {
  return e.type.startsWith('hangar.');
}

// What of a sub-thread the session's own listing and stream show (reference §4.2): its lifecycle and what waits for
// the user (cross-posted tool calls, confirmations and custom tool results, with session_thread_id).
const CONDENSED = new Set<string>([
  'session.thread_status_running',
  'session.thread_status_idle',
  'session.thread_status_terminated',
  'agent.custom_tool_use',
  'user.tool_confirmation',
  'user.custom_tool_result',
]);

/** The session-level view: the primary thread's events plus condensed sub-thread activity. */
export function inSessionView(e: SessionEvent): boolean {
  if (isHangarEvent(e)) return false;
  if (threadOf(e) === null) return true;
  // An interrupt sent to one sub-thread is echoed where it was sent; one sent to all is echoed once, by the primary.
  if (e.type === 'user.interrupt') return Boolean(e.session_thread_id);
  if ((e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use') && e.evaluated_permission === 'ask') return true;
  return CONDENSED.has(e.type);
}

/** Every thread of a session, the primary first, folded from its events. */
export function sessionThreads(session: Session, agent: SessionAgent, events: readonly SessionEvent[], catalog: ModelCatalog): SessionThread[] {
  const { multiagent: _m, ...primaryAgent } = agent;
  const primaryId = primaryThreadId(session.id);
  const roster = sessionRoster(agent);
  const subs = new Map<string, { thread: SessionThread; cents: number; runningSince: number | null; activeMs: number }>();
  const own = { usage: emptyUsage(), cents: 0 };
  for (const e of events) {
    if (e.type === 'span.model_request_end' && threadOf(e) === null) {
      own.cents += costUsd(catalog.lookup(agent.model.id), e.model_usage) * 100;
      own.usage = addUsage(own.usage, e.model_usage, own.cents);
    }
    if (e.type === 'session.thread_created') {
      const member = e._hangar?.inline_agent ?? roster.find((m) => m.name === e.agent_name) ?? primaryAgent;
      subs.set(e.session_thread_id, {
        thread: {
          type: 'session_thread',
          id: e.session_thread_id,
          session_id: session.id,
          parent_thread_id: primaryId,
          status: 'idle',
          agent: member,
          workflow_run_id: null,
          stats: {},
          usage: emptyUsage(),
          created_at: e.processed_at ?? session.created_at,
          updated_at: e.processed_at ?? session.created_at,
          archived_at: null,
        },
        cents: 0,
        runningSince: null,
        activeMs: 0,
      });
      continue;
    }
    const tid = threadOf(e);
    const sub = tid ? subs.get(tid) : undefined;
    if (!sub) continue;
    const t = sub.thread;
    t.updated_at = e.processed_at ?? t.updated_at;
    const at = e.processed_at ? Date.parse(e.processed_at) : null;
    const stopRunning = () => {
      if (sub.runningSince !== null && at !== null) sub.activeMs += Math.max(0, at - sub.runningSince);
      sub.runningSince = null;
    };
    if (e.type === 'session.thread_status_running') {
      t.status = t.archived_at ? t.status : 'running';
      sub.runningSince ??= at;
    } else if (e.type === 'session.thread_status_idle') {
      t.status = 'idle';
      stopRunning();
    } else if (e.type === 'session.thread_status_terminated') {
      t.status = 'terminated';
      t.archived_at = e.processed_at;
      stopRunning();
    } else if (e.type === 'span.model_request_end') {
      sub.cents += costUsd(catalog.lookup(t.agent.model.id), e.model_usage) * 100;
      t.usage = addUsage(t.usage, e.model_usage, sub.cents);
    }
  }
  const primary: SessionThread = {
    type: 'session_thread',
    id: primaryId,
    session_id: session.id,
    parent_thread_id: null,
    status: session.status,
    agent: primaryAgent,
    workflow_run_id: null,
    stats: session.stats,
    // Single-agent sessions: the session's usage; with sub-agents, the primary thread's own share.
    usage: subs.size === 0 ? session.usage : { ...own.usage, active_seconds: session.usage.active_seconds },
    created_at: session.created_at,
    updated_at: session.updated_at,
    archived_at: session.archived_at,
  };
  // A terminated (archived) session ends its threads with it.
  const ended = (t: SessionThread): SessionThread => (session.status === 'terminated' ? { ...t, status: 'terminated', archived_at: t.archived_at ?? session.archived_at } : t);
  const now = Date.now();
  const withStats = (s: { thread: SessionThread; runningSince: number | null; activeMs: number }): SessionThread => {
    const t = ended(s.thread);
    const activeMs = s.activeMs + (s.runningSince !== null && t.status !== 'terminated' ? Math.max(0, now - s.runningSince) : 0);
    const end = t.archived_at ? Date.parse(t.archived_at) : now;
    const active_seconds = activeMs / 1000;
    return { ...t, stats: { active_seconds, duration_seconds: Math.max(0, (end - Date.parse(t.created_at)) / 1000) }, usage: { ...t.usage, active_seconds } };
  };
  return [primary, ...[...subs.values()].map(withStats)];
}

function emptyUsage(): Session['usage'] {
  return { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0 }, active_seconds: 0, list_cost: null };
}

function addUsage(total: Session['usage'], u: ModelUsage, cents: number): Session['usage'] {
  return {
    ...total,
    input_tokens: total.input_tokens + u.input_tokens,
    output_tokens: total.output_tokens + u.output_tokens,
    cache_read_input_tokens: total.cache_read_input_tokens + u.cache_read_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: total.cache_creation.ephemeral_5m_input_tokens + u.cache_creation_input_tokens },
    list_cost: { amount: String(Math.round(cents)), currency: 'USD' },
  };
}
