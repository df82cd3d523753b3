import { promises as fsp } from 'node:fs';
import { isErrno } from '../log/fsutil';
import { removeAbandonedCreations, SESSION_ID } from './session-dir';
import { ListIndexFile, type DamagedEntry, type DirCheck, type LineChanges, type ListEntry, type ListLine } from './session-list-file';
import { byCreation } from './session-paging';

// Which sessions there are, in listing order: the list index's lines (session-list-file.ts), checked against the
// session directories, as a sorted catalogue kept across listings and updated by the lines that changed, so a
// session created or deleted (here or by another process) costs a binary search and an array copy, not a sort of
// every session, and, right after, no readdir of every session either (issue #17).

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
  damaged: DamagedEntry[];
}

export class SessionCatalogue {
  private readonly listFile: ListIndexFile;
  /** The last directory check of this process whose directory had settled. */
  private verified: DirCheck | null = null;
  private readonly sorted = new SortedCatalogue();
  /** The sessions directory's mtime when its directories were last read or vouched for. */
  private seenMtime: bigint | null = null;
  /** The last read found a creation's staging directory, under way or abandoned (and removed once it is old). */
  private stagingSeen = false;
  /** The index added or removed a session since the directories were last read or vouched for. */
  private announced = false;
  /** When a listing first took the index for the directories it did not read (see catalogue()). */
  private trustedSince: number | null = null;

  constructor(
    private readonly sessionsDir: string,
    /** The list line of a session as its files are now. */
    private readonly lineOf: (id: string) => Promise<ListLine>,
    /** Told of each session found gone, so what is held of it can go. */
    private readonly forget: (id: string) => void,
  ) {
    this.listFile = new ListIndexFile(sessionsDir);
  }

  /** Appends lines to the index (see ListIndexFile.append); the next listing reads them into the catalogue. */
  append(lines: readonly ListLine[], more: { gone?: readonly string[] } = {}): Promise<void> {
    return this.listFile.append(lines, more);
  }

  /**
   * Every session as the list index knows it, and what is wrong with the sessions whose record cannot be read. The
   * session directories decide which sessions exist: unless a directory check vouches for the index (see
   * session-list-file.ts), they are read, and one the index is missing (its line lost to a crash, or the index
   * deleted) has its record read and its line written. A damaged session is looked at again every time.
   * While the directory is unsettled (a check could not vouch for it) and either unchanged since its directories were
   * read or changed by sessions added or removed as the index tells, the index is taken for the directories for up to
   * SETTLED_MS: a session this process or another creates or deletes is then listed (or not) at once without reading
   * 10,000 names. A change the index does not tell of, made in the same clock tick as one it does, is found by the
   * check the first listing after that window runs; nothing unread is vouched for.
   */
  async catalogue(): Promise<Catalogue> {
    const mtime = await fsp.stat(this.sessionsDir, { bigint: true }).then(
      (st) => st.mtimeNs,
      (err: unknown) => (isErrno(err, 'ENOENT') ? null : Promise.reject(err)),
    );
    if (mtime === null) return { entries: [], damaged: [] };
    const known = await this.load();
    const vouches = (c: DirCheck | null) => c !== null && c.mtime === mtime && c.count === known.size;
    if (vouches(this.verified) || vouches(this.listFile.checked)) this.sawDirectories(mtime);
    else if (!this.trustsIndex(mtime)) return this.checkDirectories(mtime, known);
    const changed = (await this.linesOf(this.sorted.damagedIds())).filter((l) => !sameLine(l, known.get(l.id)));
    if (changed.length > 0) {
      await this.listFile.append(changed);
      await this.load();
    }
    return this.current();
  }

  /** Reads the session directories, repairs the index from them and, when the directory has settled, writes the check. */
  private async checkDirectories(mtime: bigint, known: ReadonlyMap<string, ListLine>): Promise<Catalogue> {
    const started = Date.now();
    const names = await fsp.readdir(this.sessionsDir);
    const creating = await removeAbandonedCreations(this.sessionsDir, names);
    const ids = names.filter((n) => SESSION_ID.test(n));
    const present = new Set(ids);
    // Only sessions the index does not hold as readable are read: after a change, the few that are new.
    const found = await this.linesOf(ids.filter((id) => known.get(id)?.kind !== 'session'));
    const changed = found.filter((l) => !sameLine(l, known.get(l.id)));
    const gone = [...known.keys()].filter((id) => !present.has(id));
    for (const id of gone) this.forget(id);
    // A creation under way renames its directory into place later: the check waits for it.
    const check = creating === 0 && Number(mtime / 1_000_000n) < started - SETTLED_MS ? { mtime, count: ids.length } : null;
    if (changed.length > ids.length * REBUILD_SHARE || this.listFile.waste(ids.length) > ids.length * WASTE_PER_SESSION + 100) {
      const lines = new Map(known);
      for (const l of found) lines.set(l.id, l);
      await this.listFile.rewrite(ids.map((id) => lines.get(id)!));
      this.verified = null;
    } else {
      const same = this.listFile.checked;
      const fresh = check && !(changed.length === 0 && gone.length === 0 && same?.mtime === check.mtime && same.count === check.count);
      await this.listFile.append(changed, { gone, ...(fresh ? { checked: check } : {}) });
      this.verified = check;
    }
    // The catalogue is the index's lines, which now hold what the directories showed.
    await this.load();
    this.sawDirectories(mtime);
    this.stagingSeen = creating > 0;
    return this.current();
  }

  /** Reads the lines appended to the index since the last load into the sorted catalogue. */
  private async load(): Promise<ReadonlyMap<string, ListLine>> {
    const lines = await this.listFile.load();
    const changes = this.listFile.takeChanges();
    if (this.sorted.update(lines, changes)) this.announced = true;
    // A replaced index (rewritten by a listing, or deleted) tells nothing of what changed: the directories are read.
    if (changes.reset) this.seenMtime = null;
    for (const id of changes.ids) if (!lines.has(id)) this.forget(id);
    return lines;
  }

  /** Whether the index may stand for directories no check vouches for (see catalogue()). */
  private trustsIndex(mtime: bigint): boolean {
    const now = Date.now();
    // A settled directory is read now, and its check written, rather than a second later.
    if (Number(mtime / 1_000_000n) < now - SETTLED_MS) return false;
    // Changed since it was read, and not by a session the index told of: what changed is not known. A staging
    // directory is looked at by every listing until it is renamed into place or removed, as the check waits for it.
    if ((mtime !== this.seenMtime && !this.announced) || this.stagingSeen) return false;
    // Sessions created one after another keep the directory unsettled: it is still read once every SETTLED_MS.
    this.trustedSince ??= now;
    return now - this.trustedSince < SETTLED_MS;
  }

  /** The directories were read, or a check vouched for the index: what the index told of since is in the catalogue. */
  private sawDirectories(mtime: bigint): void {
    this.seenMtime = mtime;
    this.announced = false;
    this.trustedSince = null;
  }

  private current(): Catalogue {
    return { entries: this.sorted.entries, damaged: this.sorted.damaged() };
  }

  private async linesOf(ids: readonly string[]): Promise<ListLine[]> {
    const out: ListLine[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) out.push(await this.lineOf(ids[next++]!));
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
    return out;
  }
}

// Past this many changed lines (and an eighth of the catalogue) a sort of all the lines is cheaper than inserting each.
const REBUILD_AT = 64;

/** The index's lines as a listing wants them: the readable sessions sorted by byCreation, and the damaged ones. */
export class SortedCatalogue {
  /** Sorted; replaced, never changed in place, so a listing paging through it meanwhile keeps its order. */
  private sorted: readonly ListEntry[] = [];
  /** The line each entry (or damaged session) came from, to find it again when its line changes. */
  private held = new Map<string, ListLine>();
  private broken = new Map<string, DamagedEntry>();

  get entries(): readonly ListEntry[] {
    return this.sorted;
  }

  /** The damaged sessions, by id (a new array: listings add to it). */
  damaged(): DamagedEntry[] {
    return [...this.broken.values()].map(({ id, problem, fix }) => ({ id, problem, fix })).sort((a, b) => a.id.localeCompare(b.id));
  }

  damagedIds(): string[] {
    return [...this.broken.keys()];
  }

  /**
   * Takes the lines' changes; returns whether a session was added to or removed from the catalogue (a reset counts as
   * neither: every line was read anew).
   */
  update(lines: ReadonlyMap<string, ListLine>, changes: LineChanges): boolean {
    if (changes.reset) {
      this.rebuild(lines);
      return false;
    }
    let moved = false;
    for (const id of changes.ids) if (this.held.has(id) !== lines.has(id)) moved = true;
    if (changes.ids.size > Math.max(REBUILD_AT, this.sorted.length / 8)) this.rebuild(lines);
    else if (changes.ids.size > 0) this.patch(lines, changes.ids);
    return moved;
  }

  private rebuild(lines: ReadonlyMap<string, ListLine>): void {
    const entries: ListEntry[] = [];
    this.held = new Map(lines);
    this.broken = new Map();
    for (const line of lines.values()) {
      if (line.kind === 'session') entries.push(line);
      else this.broken.set(line.id, line);
    }
    // The index is written in creation order, so this sort mostly confirms it (V8's sort is a merge sort on runs).
    this.sorted = entries.sort(byCreation);
  }

  private patch(lines: ReadonlyMap<string, ListLine>, ids: ReadonlySet<string>): void {
    const next = [...this.sorted];
    for (const id of ids) {
      const old = this.held.get(id);
      const line = lines.get(id);
      if (old === line) continue;
      if (old?.kind === 'session') next.splice(position(next, old), 1);
      this.broken.delete(id);
      if (line) this.held.set(id, line);
      else this.held.delete(id);
      if (line?.kind === 'session') next.splice(position(next, line), 0, line);
      else if (line) this.broken.set(id, line);
    }
    this.sorted = next;
  }
}

/** Where `item` is in `ascending`, or would be inserted (no two sessions share an id, so keys are unique). */
function position(ascending: readonly ListEntry[], item: ListEntry): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byCreation(ascending[mid]!, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sameLine(a: ListLine, b: ListLine | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
