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
import { fileKey, readKeyed, type ListEntry, type ListLine, type ReadKeyed } from './session-list-file';
import { SessionCatalogue, type Catalogue } from './session-catalogue';
import { pricesFingerprint, readSummaryFile, writeSummaryFile } from './session-summary-file';

// What listing sessions needs, so that a page costs the sessions on it, not the history of the storage:
// - which sessions there are and what a listing orders and filters them by, from the storage-wide list index
//   (session-list-file.ts), checked against the session directories (one readdir) and repaired from the records it
//   is missing; the check is skipped while the sessions directory's mtime is the one the last check wrote, and the
//   sorted catalogue is updated by the lines appended since the last listing (session-catalogue.ts), so a listing
//   then costs two stats, the new lines and its page;
// - right after a session was created or deleted (by this process or another: each appends its line), the index
//   says what changed, and for up to a second it is taken for the directories; a change it does not tell of (a
//   creation cut short before its line, a directory copied or removed by hand) is found by the directory check the
//   first listing after that runs (session-catalogue.ts);
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
  /** The catalogue's generation it was priced at (CheckedCatalog.generation): a fold of another is made again. */
  generation: number;
}

/** The catalogue, the generation of its prices and their fingerprint (summary.json's `prices`), read together. */
interface Prices {
  catalog: CheckedCatalog;
  generation: number;
  key: string;
}

interface Entry {
  recordKey: string;
  /** Whether session.json's JSON is exactly the record (see parseRecord), so its key may vouch for it in the index. */
  exact: boolean;
  record: SessionRecord;
  fold: Fold | null;
}

// Loaded on first use (a fresh listing of unchanged sessions loads neither), then held: a cached dynamic import still
// costs a module resolution per call (about 0.4 ms under tsx), and a listing folds each session on its page.
let foldModule: Promise<typeof import('../wire/fold')> | null = null;
const loadFold = () => (foldModule ??= import('../wire/fold'));
let recordModule: Promise<typeof import('./session-record')> | null = null;
const loadRecord = () => (recordModule ??= import('./session-record'));

export class SessionIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly listed: SessionCatalogue;
  private prices: { generation: number; key: string } | null = null;
  private catalogLoad: Promise<CheckedCatalog> | null = null;
  /** The store of each session's summary running now (persist), and whether it is owed another when done. */
  private readonly persisting = new Map<string, { log: SessionLog<SessionEvent>; again: boolean; done: Promise<void> }>();
  /** How far into each driven log its summary.json was stored by this process, and at which prices' generation. */
  private readonly storedAt = new WeakMap<SessionLog<SessionEvent>, { end: number; generation: number }>();

  constructor(
    private readonly sessionsDir: string,
    /** The live log of a session this process drives (fresher than the file, and already in memory). */
    private readonly drivenLog: (id: string) => SessionLog<SessionEvent> | null,
    /** Prices the usage (the runtime's catalogue, user overrides included), or loads it when a price is first needed. */
    private readonly catalog: CheckedCatalog | (() => Promise<CheckedCatalog>),
    /** How session.json and summary.json are read (see readKeyedSync). */
    private readonly read: ReadKeyed = readKeyed,
  ) {
    this.listed = new SessionCatalogue(sessionsDir, (id) => this.lineOf(id), (id) => this.entries.delete(id));
  }

  /** The ids of every session directory, damaged ones included (their sandboxes are not leftovers). */
  async ids(): Promise<string[]> {
    const names = await fsp.readdir(this.sessionsDir).catch((err: unknown) => (isErrno(err, 'ENOENT') ? [] : Promise.reject(err)));
    await removeAbandonedCreations(this.sessionsDir, names);
    return names.filter((n) => SESSION_ID.test(n));
  }

  /** Every session as the list index knows it, and the damaged ones (session-catalogue.ts). */
  catalogue(): Promise<Catalogue> {
    return this.listed.catalogue();
  }

  /**
   * Writes the record's list line (after a creation or an archive wrote the record, or a listing found the line out of
   * date), with the key that vouches for session.json when it is known.
   */
  async noteRecord(record: SessionRecord, keys: Keys = NO_KEYS): Promise<void> {
    await this.listed.append([listLine(record, keys)]);
  }

  /** Writes that a session's directory was removed, so listings here and in other processes drop it without a readdir. */
  async noteDeleted(id: string): Promise<void> {
    this.entries.delete(id);
    await this.listed.append([], { gone: [id] });
  }

  /** Writes that a session listed as readable is damaged, so every listing shows it from now on, on its page or not. */
  async noteDamaged(session: DamagedSession): Promise<void> {
    await this.listed.append([{ kind: 'damaged', ...session }]);
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
    const { record, exact } = trusted ? { record: trusted, exact: true } : (await loadRecord()).parseRecord(dir, file.text, damaged);
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
    const prices = await this.pricesNow();
    const { generation } = prices;
    // Prices can change with no new event (a provider's models endpoint told them): a fold of other prices is made again.
    const fold = entry.fold?.generation === generation ? entry.fold : null;
    const live = this.drivenLog(record.id);
    if (live) {
      const { emptySummary, foldSummary } = await loadFold();
      const pricing = sessionPricing(prices.catalog, record.agent.model.id);
      const base = fold && fold.count <= live.length ? fold : null;
      let summary = base?.summary ?? emptySummary();
      for (const e of live.slice(base?.count ?? 0)) summary = foldSummary(summary, e, pricing);
      entry.fold = { position: null, fileKey: null, count: live.length, summary, generation };
      return summary;
    }
    const dir = path.join(this.sessionsDir, record.id);
    const stored = fold?.position ? fold : await this.storedFold(dir, vouched, prices);
    let tail;
    try {
      tail = await readLogTail<SessionEvent>(dir, stored?.position ?? null);
    } catch (err) {
      if (isLogCorrupt(err)) throw damaged(`Session ${record.id} is damaged: its log ${err.message}. ${deleteFix(record.id)}`);
      throw err;
    }
    // The log did not change since the stored fold: it is the summary (a log read anew has `restarted`, so `stored` is there).
    if (tail && !tail.restarted && tail.events.length === 0 && stored) {
      entry.fold = { position: tail.position, fileKey: stored.fileKey, count: tail.position.count, summary: stored.summary, generation };
      return stored.summary;
    }
    const { emptySummary, foldSummary } = await loadFold();
    // No log yet: a session whose creation stopped before its first event has none (it gets one when woken).
    if (!tail) {
      entry.fold = { position: null, fileKey: null, count: 0, summary: emptySummary(), generation };
      return entry.fold.summary;
    }
    const pricing = sessionPricing(prices.catalog, record.agent.model.id);
    let summary = tail.restarted || !stored ? emptySummary() : stored.summary;
    for (const e of tail.events) summary = foldSummary(summary, e, pricing);
    entry.fold = { position: tail.position, fileKey: null, count: tail.position.count, summary, generation };
    await writeSummaryFile(dir, prices.key, { position: tail.position, summary });
    return summary;
  }

  /**
   * Stores the fold of a session this process drives up to what its log committed (on each idle and when it is
   * released), so a listing in another process reads it instead of folding the log. One store of a session runs at a
   * time: calls while it runs collapse into one more store, of the log as it is then, and all of them resolve when
   * that is done (so a release waits for an idle's store still running, and an older fold's file never lands after a
   * newer one's). A log this process already stored as far as it has committed, at the prices in effect, is not
   * stored again (the release after an idle).
   */
  persist(id: string, log: SessionLog<SessionEvent>): Promise<void> {
    const running = this.persisting.get(id);
    if (running) {
      running.log = log;
      running.again = true;
      return running.done;
    }
    const slot = { log, again: false, done: Promise.resolve() };
    this.persisting.set(id, slot);
    slot.done = (async () => {
      let last: Promise<void>;
      do {
        slot.again = false;
        last = this.store(id, slot.log);
        await last.catch(() => undefined);
      } while (slot.again);
      // In the same turn as the check above: a call from now on starts a store of its own.
      this.persisting.delete(id);
      return last;
    })();
    return slot.done;
  }

  private async store(id: string, log: SessionLog<SessionEvent>): Promise<void> {
    const { end, count } = log.committed();
    const prices = await this.pricesNow();
    const { generation } = prices;
    const last = this.storedAt.get(log);
    if (last?.end === end && last.generation === generation) return;
    const record = await this.record(id);
    if (!record) return;
    const entry = this.entryOf(record);
    const fold = entry.fold?.generation === generation ? entry.fold : null;
    const base = fold && fold.count <= count ? fold : null;
    const { emptySummary, foldSummary } = await loadFold();
    let summary = base?.summary ?? emptySummary();
    const pricing = sessionPricing(prices.catalog, record.agent.model.id);
    for (const e of log.slice(base?.count ?? 0, count)) summary = foldSummary(summary, e, pricing);
    const dir = path.join(this.sessionsDir, id);
    const position = await logPositionAt(dir, end, count);
    if (!position) return;
    entry.fold = { position, fileKey: null, count, summary, generation };
    await writeSummaryFile(dir, prices.key, { position, summary });
    this.storedAt.set(log, { end, generation });
  }

  private entryOf(record: SessionRecord): Entry {
    let entry = this.entries.get(record.id);
    if (!entry) this.entries.set(record.id, (entry = { recordKey: '', exact: false, record, fold: null }));
    return entry;
  }

  private async storedFold(dir: string, vouched: string | null, prices: Prices): Promise<Fold | null> {
    const stored = await readSummaryFile(dir, prices.key, vouched, this.read);
    return stored && { position: stored.position, summary: stored.summary, fileKey: stored.key, count: stored.position.count, generation: prices.generation };
  }

  /** The key of the exact summary.json the session's last fold was read from, for its list line; null when none. */
  summaryKey(id: string): string | null {
    return this.entries.get(id)?.fold?.fileKey ?? null;
  }

  /** The prices in effect now; their fingerprint is computed once per generation. */
  private async pricesNow(): Promise<Prices> {
    const catalog = await this.loadCatalog();
    const generation = catalog.generation();
    if (this.prices?.generation !== generation) this.prices = { generation, key: pricesFingerprint(catalog) };
    return { catalog, generation, key: this.prices.key };
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

export function damageOf(id: string, err: unknown): DamagedSession {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RuntimeError && err.code === 'damaged') {
    // The message already carries the fix; split it so surfaces can show both.
    const fix = deleteFix(id);
    return { id, problem: message.replace(` ${fix}`, ''), fix };
  }
  return { id, problem: `Session ${id} cannot be read: ${message}`, fix: deleteFix(id) };
}
