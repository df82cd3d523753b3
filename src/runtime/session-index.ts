import { sessionPricing } from './session-pricing';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { SessionEvent, SessionSummary } from '../wire';
import type { CheckedCatalog } from '../wire/model-catalog';
import type { SessionLog } from '../log/session-log';
import { isErrno } from '../log/fsutil';
import { isLogCorrupt, logPositionAt, readLogTail, type LogPosition } from '../log/log-tail';
import { RuntimeError, damaged } from './errors';
import { deleteFix, readRecordFile, RECORD_FILE, removeAbandonedCreations, SESSION_ID } from './session-dir';
import type { SessionRecord } from './session-record';
import { ListIndexFile, fileKey, readKeyed, type DirCheck, type ListEntry, type ListLine, type ReadKeyed } from './session-list-file';
import { byCreation } from './session-paging';
import { pricesFingerprint, readSummaryFile, writeSummaryFile } from './session-summary-file';

// What listing sessions needs, so that a page costs the sessions on it, not the history of the storage:
// - which sessions there are and what a listing orders and filters them by, from the storage-wide list index
//   (session-list-file.ts), checked against the session directories (one readdir) and repaired from the records it
//   is missing; the check is skipped while the sessions directory's mtime is the one the last check wrote, and the
//   sorted catalogue is kept while the index did not change, so a listing then costs two stats and its page;
// - each session's record (re-read only when session.json was replaced);
// - the fold of its log (status, usage, cost), from the live log of a session this process drives, else from
//   summary.json (session-summary-file.ts) folded on from the byte offset it reached, so an unchanged log costs one
//   stat and a grown one only its new records.
// What checks files (the record's and summary's schemas), folds events and prices them is loaded when a file is not
// vouched for by its key or a log grew: a fresh `hangar sessions` over unchanged sessions loads no zod (issue #17).
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
  /** The key of the summary.json this fold was read from, when that file is exact and still what the log ended at. */
  fileKey: string | null;
  count: number;
  summary: SessionSummary;
}

interface Entry {
  recordKey: string;
  /** Whether session.json's JSON is exactly the record (see parseRecord), so its key may vouch for it in the index. */
  exact: boolean;
  record: SessionRecord;
  fold: Fold | null;
}

// Bounds open files while a big storage is scanned.
const CONCURRENCY = 32;
// The index is rewritten whole when more than this share of the storage's sessions were missing from it (deleted,
// damaged or from an older Hangar), or when it holds this many superseded lines per session.
const REBUILD_SHARE = 0.5;
const WASTE_PER_SESSION = 1;
// File timestamps are coarse (a kernel tick), so a directory changed this recently may change again without its
// mtime changing: a directory check vouches only for a directory whose mtime is older than this.
const SETTLED_MS = 1000;

/** Every session the index knows, sorted by byCreation, and the damaged ones. */
export interface Catalogue {
  entries: readonly ListEntry[];
  damaged: DamagedSession[];
}

export class SessionIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly listFile: ListIndexFile;
  private prices: Promise<string> | null = null;
  private catalogLoad: Promise<CheckedCatalog> | null = null;
  /** The last directory check of this process whose directory had settled. */
  private verified: DirCheck | null = null;
  /** The catalogue as of a version of the index file. */
  private cached: { version: number; entries: ListEntry[]; damaged: DamagedSession[] } | null = null;

  constructor(
    private readonly sessionsDir: string,
    /** The live log of a session this process drives (fresher than the file, and already in memory). */
    private readonly drivenLog: (id: string) => SessionLog<SessionEvent> | null,
    /** Prices the usage (the runtime's catalogue, user overrides included), or loads it when a price is first needed. */
    private readonly catalog: CheckedCatalog | (() => Promise<CheckedCatalog>),
    /** How session.json and summary.json are read (see readKeyedSync). */
    private readonly read: ReadKeyed = readKeyed,
  ) {
    this.listFile = new ListIndexFile(sessionsDir);
  }

  /** The ids of every session directory, damaged ones included (their sandboxes are not leftovers). */
  async ids(): Promise<string[]> {
    const names = await fsp.readdir(this.sessionsDir).catch((err: unknown) => (isErrno(err, 'ENOENT') ? [] : Promise.reject(err)));
    await removeAbandonedCreations(this.sessionsDir, names);
    return names.filter((n) => SESSION_ID.test(n));
  }

  /**
   * Every session as the list index knows it, and what is wrong with the sessions whose record cannot be read. The
   * session directories decide which sessions exist: unless a directory check vouches for the index (see
   * session-list-file.ts), they are read, and one the index is missing (its line lost to a crash, or the index
   * deleted) has its record read and its line written. A damaged session is looked at again every time.
   */
  async catalogue(): Promise<Catalogue> {
    const mtime = await fsp.stat(this.sessionsDir, { bigint: true }).then(
      (st) => st.mtimeNs,
      (err: unknown) => (isErrno(err, 'ENOENT') ? null : Promise.reject(err)),
    );
    if (mtime === null) {
      this.entries.clear();
      return { entries: [], damaged: [] };
    }
    const known = await this.listFile.load();
    const vouches = (c: DirCheck | null) => c !== null && c.mtime === mtime && c.count === known.size;
    if (!vouches(this.verified) && !vouches(this.listFile.checked)) return this.checkDirectories(mtime, known);
    const damagedIds = [...known.values()].filter((l) => l.kind === 'damaged').map((l) => l.id);
    const changed = (await this.linesOf(damagedIds)).filter((l) => !sameLine(l, known.get(l.id)));
    if (changed.length > 0) {
      await this.listFile.append(changed);
      return this.fromLines(await this.listFile.load());
    }
    return this.fromLines(known);
  }

  /** Reads the session directories, repairs the index from them and, when the directory has settled, writes the check. */
  private async checkDirectories(mtime: bigint, known: ReadonlyMap<string, ListLine>): Promise<Catalogue> {
    const started = Date.now();
    const names = await fsp.readdir(this.sessionsDir);
    const creating = await removeAbandonedCreations(this.sessionsDir, names);
    const ids = names.filter((n) => SESSION_ID.test(n));
    const present = new Set(ids);
    for (const id of this.entries.keys()) if (!present.has(id)) this.entries.delete(id);
    const found = new Map((await this.linesOf(ids.filter((id) => known.get(id)?.kind !== 'session'))).map((l) => [l.id, l]));
    const lines = ids.map((id) => found.get(id) ?? known.get(id)!);
    const changed = [...found.values()].filter((l) => !sameLine(l, known.get(l.id)));
    const gone = [...known.keys()].filter((id) => !present.has(id));
    // A creation under way renames its directory into place later: the check waits for it.
    const check = creating === 0 && Number(mtime / 1_000_000n) < started - SETTLED_MS ? { mtime, count: ids.length } : null;
    if (changed.length > ids.length * REBUILD_SHARE || this.listFile.waste(ids.length) > ids.length * WASTE_PER_SESSION + 100) {
      await this.listFile.rewrite(lines);
      this.verified = null;
    } else {
      const same = this.listFile.checked;
      const fresh = check && !(changed.length === 0 && gone.length === 0 && same?.mtime === check.mtime && same.count === check.count);
      await this.listFile.append(changed, { gone, ...(fresh ? { checked: check } : {}) });
      this.verified = check;
    }
    return this.fromLines(new Map(lines.map((l) => [l.id, l])), false);
  }

  /** The catalogue of `lines`, kept while they are the index file's current version. */
  private fromLines(lines: ReadonlyMap<string, ListLine>, isFile = true): Catalogue {
    const version = this.listFile.version;
    if (!isFile || this.cached?.version !== version) {
      const entries: ListEntry[] = [];
      const broken: DamagedSession[] = [];
      for (const line of lines.values()) {
        if (line.kind === 'session') entries.push(line);
        else broken.push({ id: line.id, problem: line.problem, fix: line.fix });
      }
      // The index is written in creation order, so this sort mostly confirms it (V8's sort is a merge sort on runs).
      entries.sort(byCreation);
      broken.sort((a, b) => a.id.localeCompare(b.id));
      this.cached = isFile ? { version, entries, damaged: broken } : null;
      return { entries, damaged: [...broken] };
    }
    return { entries: this.cached.entries, damaged: [...this.cached.damaged] };
  }

  private async linesOf(ids: readonly string[]): Promise<ListLine[]> {
    const out: ListLine[] = [];
    await forEachLimit(ids, async (id) => void out.push(await this.lineOf(id)));
    return out;
  }

  /**
   * Writes the record's list line (after a creation or an archive wrote the record, or a listing found the line out of
   * date), with the key that vouches for session.json when it is known.
   */
  async noteRecord(record: SessionRecord, keys: Keys = NO_KEYS): Promise<void> {
    await this.listFile.append([listLine(record, keys)]);
  }

  /** Writes that a session listed as readable is damaged, so every listing shows it from now on, on its page or not. */
  async noteDamaged(session: DamagedSession): Promise<void> {
    await this.listFile.append([{ kind: 'damaged', ...session }]);
  }

  /**
   * The session's record (cached while session.json is the same file); null when it has none. A file whose key is
   * `vouched` (from its list line: a full validation found it exact) is taken with JSON.parse: building the record's
   * schema was most of a listing's time in a fresh process (issue #17); any other file is fully validated.
   */
  async record(id: string, vouched: string | null = null): Promise<SessionRecord | null> {
    return (await this.readEntry(id, vouched))?.record ?? null;
  }

  private async readEntry(id: string, vouched: string | null): Promise<Entry | null> {
    const dir = path.join(this.sessionsDir, id);
    const cached = this.entries.get(id);
    // A stat saves reading a record this process holds already; one it does not hold (a listing in a fresh process) is read.
    if (cached) {
      const st = await fsp.stat(path.join(dir, RECORD_FILE)).catch((err: unknown) => (isErrno(err, 'ENOENT', 'ENOTDIR') ? null : Promise.reject(err)));
      if (st && cached.recordKey === fileKey(st)) return cached;
    }
    const file = await readRecordFile(dir, this.read);
    if (!file) {
      this.entries.delete(id);
      return null;
    }
    const trusted = file.key === vouched ? parseVouched(file.text) : null;
    const { record, exact } = trusted ? { record: trusted, exact: true } : (await import('./session-record')).parseRecord(dir, file.text, damaged);
    const entry = { recordKey: file.key, exact, record, fold: cached?.fold ?? null };
    this.entries.set(id, entry);
    return entry;
  }

  /**
   * Status and usage folded from the log; a log that cannot be read is a damaged-session error. `vouched` is the key
   * of summary.json in the session's list line (see readSummaryFile).
   */
  async summary(record: SessionRecord, vouched: string | null = null): Promise<SessionSummary> {
    const entry = this.entryOf(record);
    const live = this.drivenLog(record.id);
    if (live) {
      const { emptySummary, foldSummary } = await import('../wire/fold');
      const pricing = await this.pricing(record);
      const base = entry.fold && entry.fold.count <= live.length ? entry.fold : null;
      let summary = base?.summary ?? emptySummary();
      for (const e of live.slice(base?.count ?? 0)) summary = foldSummary(summary, e, pricing);
      entry.fold = { position: null, fileKey: null, count: live.length, summary };
      return summary;
    }
    const dir = path.join(this.sessionsDir, record.id);
    const stored = entry.fold?.position ? entry.fold : await this.storedFold(dir, vouched);
    let tail;
    try {
      tail = await readLogTail<SessionEvent>(dir, stored?.position ?? null);
    } catch (err) {
      if (isLogCorrupt(err)) throw damaged(`Session ${record.id} is damaged: its log ${err.message}. ${deleteFix(record.id)}`);
      throw err;
    }
    // The log did not change since the stored fold: it is the summary (a log read anew has `restarted`, so `stored` is there).
    if (tail && !tail.restarted && tail.events.length === 0 && stored) {
      entry.fold = { position: tail.position, fileKey: stored.fileKey, count: tail.position.count, summary: stored.summary };
      return stored.summary;
    }
    const { emptySummary, foldSummary } = await import('../wire/fold');
    // No log yet: a session whose creation stopped before its first event has none (it gets one when woken).
    if (!tail) {
      entry.fold = { position: null, fileKey: null, count: 0, summary: emptySummary() };
      return entry.fold.summary;
    }
    const pricing = await this.pricing(record);
    let summary = tail.restarted || !stored ? emptySummary() : stored.summary;
    for (const e of tail.events) summary = foldSummary(summary, e, pricing);
    entry.fold = { position: tail.position, fileKey: null, count: tail.position.count, summary };
    await writeSummaryFile(dir, await this.pricesKey(), { position: tail.position, summary });
    return summary;
  }

  /**
   * Stores the fold of a session this process drives up to what its log committed (on each idle and when it is
   * released), so a listing in another process reads it instead of folding the log.
   */
  async persist(id: string, log: SessionLog<SessionEvent>): Promise<void> {
    const record = await this.record(id);
    if (!record) return;
    const entry = this.entryOf(record);
    const { end, count } = log.committed();
    const base = entry.fold && entry.fold.count <= count ? entry.fold : null;
    const { emptySummary, foldSummary } = await import('../wire/fold');
    let summary = base?.summary ?? emptySummary();
    const pricing = await this.pricing(record);
    for (const e of log.slice(base?.count ?? 0, count)) summary = foldSummary(summary, e, pricing);
    const dir = path.join(this.sessionsDir, id);
    const position = await logPositionAt(dir, end, count);
    if (!position) return;
    entry.fold = { position, fileKey: null, count, summary };
    await writeSummaryFile(dir, await this.pricesKey(), { position, summary });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  private entryOf(record: SessionRecord): Entry {
    let entry = this.entries.get(record.id);
    if (!entry) this.entries.set(record.id, (entry = { recordKey: '', exact: false, record, fold: null }));
    return entry;
  }

  private async storedFold(dir: string, vouched: string | null): Promise<Fold | null> {
    const stored = await readSummaryFile(dir, await this.pricesKey(), vouched, this.read);
    return stored && { position: stored.position, summary: stored.summary, fileKey: stored.key, count: stored.position.count };
  }

  /** The key of the exact summary.json the session's last fold was read from, for its list line; null when none. */
  summaryKey(id: string): string | null {
    return this.entries.get(id)?.fold?.fileKey ?? null;
  }

  private async pricing(record: SessionRecord) {
    return sessionPricing(await this.loadCatalog(), record.agent.model.id);
  }

  private pricesKey(): Promise<string> {
    return (this.prices ??= this.loadCatalog().then(pricesFingerprint));
  }

  private loadCatalog(): Promise<CheckedCatalog> {
    const c = this.catalog;
    return (this.catalogLoad ??= typeof c === 'function' ? c() : Promise.resolve(c));
  }

  /** The list line of a session as its files are now. */
  private async lineOf(id: string): Promise<ListLine> {
    const found = await this.look(id);
    if (found && 'record' in found) return listLine(found.record, { record: found.key, summary: null });
    return { kind: 'damaged', ...(found?.damaged ?? missingRecord(this.sessionsDir, id)) };
  }

  /**
   * The session's record and the key that vouches for its file (null when it is not exact), or what is wrong with it;
   * null when its directory is gone (deleted meanwhile). `vouched` is the key its list line holds (see record()).
   */
  async look(id: string, vouched: string | null = null): Promise<{ record: SessionRecord; key: string | null } | { damaged: DamagedSession } | null> {
    try {
      const entry = await this.readEntry(id, vouched);
      if (entry) return { record: entry.record, key: entry.exact ? entry.recordKey : null };
      const st = await fsp.stat(path.join(this.sessionsDir, id)).catch((err: unknown) => (isErrno(err, 'ENOENT', 'ENOTDIR') ? null : Promise.reject(err)));
      return st ? { damaged: missingRecord(this.sessionsDir, id) } : null;
    } catch (err) {
      return { damaged: damageOf(id, err) };
    }
  }
}

function missingRecord(sessionsDir: string, id: string): DamagedSession {
  return { id, problem: `${path.join(sessionsDir, id)} has no ${RECORD_FILE} (its creation or deletion was cut short)`, fix: deleteFix(id) };
}

/** The keys that vouch for a session's session.json and summary.json (see ListEntry). */
export interface Keys {
  record: string | null;
  summary: string | null;
}

const NO_KEYS: Keys = { record: null, summary: null };

/** What the list index holds of a record, with the keys that vouch for its files. */
export function listEntry(record: SessionRecord, keys: Keys): ListEntry {
  return { id: record.id, created_at: record.created_at, agent_id: record.agent.id, agent_version: record.agent.version, archived: record.archived_at !== null, record_key: keys.record, summary_key: keys.summary };
}

function listLine(record: SessionRecord, keys: Keys): ListLine {
  return { kind: 'session', ...listEntry(record, keys) };
}

/**
 * A vouched-for file's record: its key is the one a full validation found exact (the same inode, mtime and size), so
 * it holds the same JSON. Text that does not parse (a key reused by chance) is validated fully instead.
 */
function parseVouched(text: string): SessionRecord | null {
  try {
    return JSON.parse(text) as SessionRecord;
  } catch {
    return null;
  }
}

function sameLine(a: ListLine, b: ListLine | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
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
