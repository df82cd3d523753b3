import path from 'node:path';
import type { Session, SessionSummary } from '../wire';
import { storedSessionsCatalog } from './stored-catalog';
import { existingSession } from './session-dir';
import type { SessionRecord } from './session-record';
import { SessionIndex } from './session-index';
import { readKeyedSync } from './session-list-file';
import { listSessions, type SessionListPage, type SessionListQuery } from './session-listing';

// Sessions as they are stored, read by a process that drives none of them: `hangar sessions` lists them with this
// instead of opening a runtime, so it loads no harness, tools, MCP or egress code. SessionService reads a record and
// shapes a session through the same functions, so both show a session alike.

/** The wire session: the record (without its environment) and the fold of its log. */
export function sessionView(record: SessionRecord, s: SessionSummary): Session {
  const { environment: _env, ...wire } = record;
  const end = record.archived_at ? Date.parse(record.archived_at) : Date.now();
  const runningMs = s.runningSince !== null ? Math.max(0, Date.now() - s.runningSince) : 0;
  return {
    ...wire,
    status: s.status,
    outcome_evaluations: s.outcomes,
    usage: { ...s.usage, active_seconds: (s.activeMs + runningMs) / 1000 },
    stats: { active_seconds: (s.activeMs + runningMs) / 1000, duration_seconds: Math.max(0, (end - Date.parse(record.created_at)) / 1000) },
  };
}

/** The session's record; a damaged session is a RuntimeError that names the file and the fix. */
export function readSessionRecord(index: SessionIndex, sessionsDir: string, id: string): Promise<SessionRecord> {
  return existingSession(sessionsDir, id, () => index.record(id));
}

/** The sessions of a storage, read only: listed as the runtime lists them (same index, summaries and prices). */
export class StoredSessions {
  private readonly sessionsDir: string;
  private readonly index: SessionIndex;

  constructor(storageRoot: string) {
    this.sessionsDir = path.join(storageRoot, 'sessions');
    // This process drives no session: it reads the page's files with synchronous calls (readKeyedSync).
    this.index = new SessionIndex(this.sessionsDir, () => null, () => storedSessionsCatalog(storageRoot), readKeyedSync);
  }

  /** One page of sessions; `records`, when given, receives the record of each session on it (what its environment names). */
  list(q: SessionListQuery, records?: Map<string, SessionRecord>): Promise<SessionListPage> {
    return listSessions(this.index, q, (record, s) => {
      records?.set(record.id, record);
      return sessionView(record, s);
    });
  }

  record(id: string): Promise<SessionRecord> {
    return readSessionRecord(this.index, this.sessionsDir, id);
  }

  dir(id: string): string {
    return path.join(this.sessionsDir, id);
  }
}
