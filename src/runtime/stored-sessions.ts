import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Session, SessionSummary } from '../wire';
import { isErrno } from '../log/fsutil';
import { storedSessionsCatalog } from './stored-catalog';
import { damaged, notFound } from './errors';
import { deleteFix, ensureLogFile, RECORD_FILE } from './session-dir';
import type { SessionRecord } from './session-record';
import { SESSION_ID, SessionIndex } from './session-index';
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

/**
 * What `find` finds of session `id`, whose log is then there too; a session without a record is not found, or damaged
 * when its directory is there.
 */
async function existingSession<T>(sessionsDir: string, id: string, find: () => Promise<T | null>): Promise<T> {
  if (!SESSION_ID.test(id)) throw notFound('Session', id);
  const dir = path.join(sessionsDir, id);
  const found = await find();
  if (found === null) {
    if (await isDir(dir)) throw damaged(`Session ${id} is damaged: ${dir} has no session.json (its creation or deletion was cut short). ${deleteFix(id)}`);
    throw notFound('Session', id);
  }
  // A session made before creation was atomic may have a record and no log: it has no events yet.
  await ensureLogFile(dir);
  return found;
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

  /**
   * Every event of the session as a JSON line, as the events list shows them, streamed from its log (event-lines.ts).
   * The log is all that is printed, so the record is looked for, not parsed: building and running the session schema
   * for it was a good part of `hangar events --json`'s time (issue #17). The log's records are checked as they are read.
   */
  async *eventLines(id: string): AsyncGenerator<Buffer> {
    await existingSession(this.sessionsDir, id, async () => ((await isFile(path.join(this.dir(id), RECORD_FILE))) ? true : null));
    const { eventJsonLines } = await import('./event-lines');
    yield* eventJsonLines(this.dir(id));
  }
}

async function isDir(dir: string): Promise<boolean> {
  return (await statOf(dir))?.isDirectory() === true;
}

async function isFile(file: string): Promise<boolean> {
  return (await statOf(file))?.isFile() === true;
}

async function statOf(p: string): Promise<Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
}
