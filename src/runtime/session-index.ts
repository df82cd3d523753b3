import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { emptySummary, foldSummary, type ModelCatalog, type SessionEvent, type SessionSummary } from '../wire';
import { LogCorruptError, type SessionLog } from '../log';
import { isErrno } from '../log/fsutil';
import { readLogTail, type LogPosition } from '../log/log-tail';
import { RuntimeError, damaged } from './errors';
import { deleteFix, readRecord, RECORD_FILE, removeAbandonedCreations, type SessionRecord } from './session-record';

// What listing sessions needs, kept warm across calls: each session's record (re-read only when session.json was
// replaced) and the fold of its log (resumed from the byte offset it reached, so an unchanged log costs one stat).
// A session whose files cannot be read is reported as damaged, with the fix, and never hides the others.

export interface DamagedSession {
  id: string;
  /** What is wrong, naming the file. */
  problem: string;
  /** What the user can do about it. */
  fix: string;
}

interface Fold {
  /** Where the file fold stopped; null when the fold came from the in-memory log of a session driven here. */
  position: LogPosition | null;
  count: number;
  summary: SessionSummary;
}

interface Entry {
  recordKey: string;
  record: SessionRecord;
  fold: Fold | null;
}

export const SESSION_ID = /^sesn_[A-Za-z0-9_-]{1,123}$/;
// Bounds open files while a big storage is scanned.
const CONCURRENCY = 32;

export class SessionIndex {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly sessionsDir: string,
    /** The live log of a session this process drives (fresher than the file, and already in memory). */
    private readonly drivenLog: (id: string) => SessionLog<SessionEvent> | null,
    /** Prices the usage (the runtime's catalogue, user overrides included). */
    private readonly catalog: ModelCatalog,
  ) {}

  /** The ids of every session directory, damaged ones included (their sandboxes are not leftovers). */
  async ids(): Promise<string[]> {
    const names = await fsp.readdir(this.sessionsDir).catch((err: unknown) => (isErrno(err, 'ENOENT') ? [] : Promise.reject(err)));
    await removeAbandonedCreations(this.sessionsDir, names);
    return names.filter((n) => SESSION_ID.test(n));
  }

  /** Every readable record, and what is wrong with the sessions whose record is not. */
  async scan(): Promise<{ records: SessionRecord[]; damaged: DamagedSession[] }> {
    const ids = await this.ids();
    const present = new Set(ids);
    for (const id of this.entries.keys()) if (!present.has(id)) this.entries.delete(id);
    const records: SessionRecord[] = [];
    const broken: DamagedSession[] = [];
    await forEachLimit(ids, async (id) => {
      try {
        const record = await this.record(id);
        if (record) records.push(record);
        else broken.push({ id, problem: `${path.join(this.sessionsDir, id)} has no ${RECORD_FILE} (its creation or deletion was cut short)`, fix: deleteFix(id) });
      } catch (err) {
        broken.push(damageOf(id, err));
      }
    });
    return { records, damaged: broken.sort((a, b) => a.id.localeCompare(b.id)) };
  }

  /** The session's record (cached while session.json is the same file); null when it has none. */
  async record(id: string): Promise<SessionRecord | null> {
    const dir = path.join(this.sessionsDir, id);
    const st = await fsp.stat(path.join(dir, RECORD_FILE)).catch((err: unknown) => (isErrno(err, 'ENOENT', 'ENOTDIR') ? null : Promise.reject(err)));
    if (!st) {
      this.entries.delete(id);
      return null;
    }
    // Records are replaced by rename, so a new version is a new inode.
    const key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    const cached = this.entries.get(id);
    if (cached?.recordKey === key) return cached.record;
    const record = await readRecord(dir);
    if (!record) return null;
    this.entries.set(id, { recordKey: key, record, fold: cached?.fold ?? null });
    return record;
  }

  /** Status and usage folded from the log; a log that cannot be read is a damaged-session error. */
  async summary(record: SessionRecord): Promise<SessionSummary> {
    const entry = this.entries.get(record.id) ?? { recordKey: '', record, fold: null };
    this.entries.set(record.id, entry);
    let fold = entry.fold ?? { position: null, count: 0, summary: emptySummary() };
    const own = this.catalog.lookup(record.agent.model.id);
    // A sub-agent thread's requests are priced with its own model (named on its span end), so the session's cost is
    // the sum of its threads'.
    const pricing = (e: SessionEvent) => (e._hangar?.model ? this.catalog.lookup(e._hangar.model) : own);
    const live = this.drivenLog(record.id);
    if (live) {
      let summary = fold.summary;
      for (const e of live.slice(fold.count)) summary = foldSummary(summary, e, pricing);
      fold = { position: null, count: live.length, summary };
    } else {
      let tail;
      try {
        tail = await readLogTail<SessionEvent>(path.join(this.sessionsDir, record.id), fold.position);
      } catch (err) {
        if (err instanceof LogCorruptError) throw damaged(`Session ${record.id} is damaged: its log ${err.message}. ${deleteFix(record.id)}`);
        throw err;
      }
      // No log yet: a session whose creation stopped before its first event has none (it gets one when woken).
      if (!tail) fold = { position: null, count: 0, summary: emptySummary() };
      else {
        let summary = tail.restarted ? emptySummary() : fold.summary;
        for (const e of tail.events) summary = foldSummary(summary, e, pricing);
        fold = { position: tail.position, count: tail.position.count, summary };
      }
    }
    entry.fold = fold;
    return fold.summary;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}

export function damageOf(id: string, err: unknown): DamagedSession {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RuntimeError && err.code === 'damaged') {
    // The message already carries the fix; split it so surfaces can show both.
    const fix = deleteFix(id);
    return { id, problem: message.replace(` ${fix}`, ''), fix };
  }
  return { id, problem: `Session ${id} cannot be read: ${message}`, fix: deleteFix(id) };
}

async function forEachLimit<A>(items: readonly A[], fn: (item: A) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
