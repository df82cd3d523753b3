import type { Session, SessionAgent } from '../wire';

// Hangar runs one thread per session (no multi-agent yet): the primary thread is the session seen as a thread, so
// its id is derived from the session id and nothing extra is stored.

export interface SessionThread {
  type: 'session_thread';
  id: string;
  session_id: string;
  parent_thread_id: null;
  status: Session['status'];
  agent: Omit<SessionAgent, 'multiagent'>;
  workflow_run_id: null;
  stats: Session['stats'];
  usage: Session['usage'];
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export function primaryThreadId(sessionId: string): string {
  return `sthr_${sessionId.replace(/^sesn_/, '')}`;
}

export function primaryThread(session: Session): SessionThread {
  const { multiagent: _m, ...agent } = session.agent;
  return {
    type: 'session_thread',
    id: primaryThreadId(session.id),
    session_id: session.id,
    parent_thread_id: null,
    status: session.status,
    agent,
    workflow_run_id: null,
    stats: session.stats,
    usage: session.usage,
    created_at: session.created_at,
    updated_at: session.updated_at,
    archived_at: session.archived_at,
  };
}
