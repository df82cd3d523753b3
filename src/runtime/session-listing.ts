import type { Session, SessionStatus, SessionSummary } from '../wire';
import { RuntimeError } from './errors';
import type { SessionRecord } from './session-record';
import { damageOf, listEntry, type DamagedSession, type SessionIndex } from './session-index';
import type { ListEntry } from './session-list-file';
import { pageSorted, type BidiPage } from './session-paging';

// One page of the session listing: the list index orders and pre-filters every session, and only the sessions the
// page needs are read.

export interface SessionListQuery {
  limit?: number;
  page?: string;
  order?: 'asc' | 'desc';
  agent_id?: string;
  agent_version?: number;
  statuses?: SessionStatus[];
  include_archived?: boolean;
  created_at?: { gt?: string; gte?: string; lt?: string; lte?: string };
  /** Sessions that mount this memory store (read from each record, like the status from each log). */
  memory_store_id?: string;
}

/** A page of sessions, and the sessions that could not be read (never in `data`; surfaces show them with the fix). */
export interface SessionListPage extends BidiPage<Session> {
  damaged: DamagedSession[];
}

/**
 * One page of sessions. The list index orders and pre-filters every session without reading any; the page's own
 * records and summaries are read (and checked against the index: its line may be older than the record), plus one
 * look-ahead each way, and all sessions only when filtering by status finds few.
 */
export async function listSessions(index: SessionIndex, q: SessionListQuery, toSession: (record: SessionRecord, s: SessionSummary) => Session): Promise<SessionListPage> {
  const { entries, damaged: broken } = await index.catalogue();
  const keep = listFilter(q);
  const records = new Map<string, SessionRecord>();
  const summaries = new Map<string, SessionSummary>();
  const noteBroken = (d: DamagedSession) => {
    if (!broken.some((b) => b.id === d.id)) broken.push(d);
  };
  // Every session on the page is read here, so one whose record or log is damaged joins `damaged` instead of the page.
  const match = async (e: ListEntry): Promise<boolean> => {
    const found = await index.look(e.id, e.record_key);
    // Deleted since the directory was read.
    if (!found) return false;
    if ('damaged' in found) {
      noteBroken(found.damaged);
      await index.noteDamaged(found.damaged);
      return false;
    }
    const r = found.record;
    const actual = listEntry(r, { record: found.key, summary: e.summary_key });
    // A crash between the record's write and its line: the record wins, and the line is written now; so are the keys
    // of files validated here, so the next listing takes them with JSON.parse.
    const noteChanges = async () => {
      if (actual.archived !== e.archived || actual.record_key !== e.record_key || actual.summary_key !== e.summary_key) await index.noteRecord(r, { record: actual.record_key, summary: actual.summary_key });
    };
    if (!keep(actual) || (q.memory_store_id && !r.resources.some((x) => x.type === 'memory_store' && x.memory_store_id === q.memory_store_id))) {
      await noteChanges();
      return false;
    }
    try {
      const s = await index.summary(r, e.summary_key);
      actual.summary_key = index.summaryKey(r.id);
      await noteChanges();
      records.set(r.id, r);
      summaries.set(r.id, s);
      return !q.statuses?.length || q.statuses.includes(s.status);
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      await noteChanges();
      noteBroken(damageOf(r.id, err));
      return false;
    }
  };
  // The catalogue is sorted already: the page is found and walked from its first item, the line filters asked on the way.
  const page = await pageSorted(entries, q.order ?? 'desc', q.limit ?? 20, q.page, (e) => keep(e) && match(e));
  return { ...page, data: page.data.map((e) => toSession(records.get(e.id)!, summaries.get(e.id)!)), damaged: broken.sort((a, b) => a.id.localeCompare(b.id)) };
}

/** The query's filters that need only a session's list line (status needs its log). */
function listFilter(q: SessionListQuery): (e: ListEntry) => boolean {
  const c = q.created_at;
  return (e) =>
    (q.include_archived === true || !e.archived) &&
    (!q.agent_id || e.agent_id === q.agent_id) &&
    (q.agent_version === undefined || e.agent_version === q.agent_version) &&
    !(c && ((c.gt && !(e.created_at > c.gt)) || (c.gte && !(e.created_at >= c.gte)) || (c.lt && !(e.created_at < c.lt)) || (c.lte && !(e.created_at <= c.lte))));
}
