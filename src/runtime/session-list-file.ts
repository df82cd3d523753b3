import { closeSync, fstatSync, openSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { isErrno, replaceFile } from '../log/fsutil';
import { byCreation } from './session-paging';

// <sessions>/index.tsv: one line per session with what a listing orders and filters by before it reads any session
// (created_at, agent, archived), or what is wrong with a session whose record cannot be read. Lines are appended with
// O_APPEND, one write each, so processes that create or archive sessions at the same time (the CLI beside the
// extension) never overwrite each other; a later line for a session replaces an earlier one. It is a hint, never the
// truth: the session directories decide which sessions exist, and the page's own records are checked (see
// SessionCatalogue.catalogue), so a lost or torn line, a crash between a record write and its line, or a deleted
// index only costs re-reading the records it is missing.
// Two more kinds of line let a listing skip reading the session directories: `X id`, a session whose directory is gone
// (its earlier lines no longer count; written by its delete, and by a listing that found it gone), and `C mtime
// count`, written by a listing that read the directories and found every one of them in the lines above: while the
// sessions directory still has that mtime (no session directory was added, renamed or removed since) and the lines
// name that many sessions, they are all the sessions there are.

export const LIST_INDEX_FILE = 'index.tsv';

/** What listing needs of a readable session before reading it. */
export interface ListEntry {
  id: string;
  created_at: string;
  agent_id: string;
  agent_version: number;
  archived: boolean;
  /**
   * The stat keys (fileKey) of session.json and summary.json when a full validation found each file's JSON to be
   * exactly a valid record or summary: while a file still has its key, listing takes it with JSON.parse instead of
   * building its schema (most of a listing's time in a fresh process, issue #17).
   */
  record_key: string | null;
  summary_key: string | null;
}

/** A session whose record cannot be read, as the last look found it (looked at again by every listing). */
export interface DamagedEntry {
  id: string;
  problem: string;
  fix: string;
}

/**
 * Identifies one version of a file: records and summaries are replaced by rename, so a new version is a new inode,
 * and the mtime and size catch a file edited in place.
 */
export function fileKey(st: { ino: number; mtimeMs: number; size: number }): string {
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/** A file's text and the key of the version read. */
export interface KeyedText {
  text: string;
  key: string;
}

/** How a listing reads session.json and summary.json: readKeyed, or readKeyedSync in a process that waits for nothing else. */
export type ReadKeyed = (file: string) => Promise<KeyedText | null>;

/** A file's text and its key, read through one handle so the key is the text's; null when there is no file. */
export async function readKeyed(file: string): Promise<KeyedText | null> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
  try {
    const st = await handle.stat();
    // One read of the size the stat gave (the handle's readFile would stat again, a round trip per session file of a
    // listing); the byte more finds a file that grew since, read on to its end.
    const buffer = Buffer.allocUnsafe(st.size + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    const text = bytesRead <= st.size ? buffer.toString('utf8', 0, bytesRead) : Buffer.concat([buffer, await handle.readFile()]).toString('utf8');
    return { text, key: fileKey(st) };
  } finally {
    await handle.close();
  }
}

/**
 * readKeyed with synchronous calls, for a process that has nothing else to run while it waits (the CLI's listing,
 * StoredSessions): a FileHandle and four thread-pool round trips per file were ~5 ms of a fresh `hangar sessions`
 * reading a page's 40 files (issue #17). Never for the runtime, whose event loop serves every session.
 */
export async function readKeyedSync(file: string): Promise<KeyedText | null> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    return { text: readFileSync(fd, 'utf8'), key: fileKey(st) };
  } finally {
    closeSync(fd);
  }
}

export type ListLine = ({ kind: 'session' } & ListEntry) | ({ kind: 'damaged' } & DamagedEntry);

/** A listing read the session directories: the sessions directory had this mtime (ns) and held `count` sessions. */
export interface DirCheck {
  mtime: bigint;
  count: number;
}

/** What loads changed in the folded lines since the last takeChanges. */
export interface LineChanges {
  /** The file was read from its start anew (first read, or it was replaced): any line may have changed. */
  reset: boolean;
  /** Sessions whose line was written or removed (their line is now the folded one, or none). */
  ids: ReadonlySet<string>;
}

/** The file's lines, folded by id and re-read from where the last read stopped while the file is the same one. */
export class ListIndexFile {
  private lines = new Map<string, ListLine>();
  private read: { ino: number; end: number } | null = null;
  /** Lines in the file, superseded ones included (compaction drops those). */
  private count = 0;
  private lastCheck: DirCheck | null = null;
  private changes = { reset: true, ids: new Set<string>() };
  /**
   * Loads and rewrites, one at a time: each reads and moves `read` across awaits, so a rewrite (which forgets it) or
   * another load in between would fold lines twice or lose the offset (a listing then failed with a TypeError: the tree
   * and the local API listing at once while a listing rebuilt a small index).
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  get file(): string {
    return path.join(this.dir, LIST_INDEX_FILE);
  }

  /** Superseded lines and lines of deleted sessions, beyond those of `live` sessions. */
  waste(live: number): number {
    return this.count - live;
  }

  /** The last directory check in the file, as of the last load. */
  get checked(): DirCheck | null {
    return this.lastCheck;
  }

  load(): Promise<ReadonlyMap<string, ListLine>> {
    return this.inTurn(() => this.loadNow());
  }

  private async loadNow(): Promise<ReadonlyMap<string, ListLine>> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.file, 'r');
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      // A missing file stays one: nothing changed while nothing was read.
      if (this.read !== null || this.lines.size > 0) this.reset(null);
      return this.lines;
    }
    try {
      const st = await handle.stat();
      if (!this.read || this.read.ino !== st.ino || st.size < this.read.end) this.reset({ ino: st.ino, end: 0 });
      const from = this.read!.end;
      if (st.size === from) return this.lines;
      const buf = Buffer.allocUnsafe(st.size - from);
      const { bytesRead } = await handle.read(buf, 0, buf.length, from);
      // Only complete lines: a line being appended right now is read next time.
      const last = buf.lastIndexOf(0x0a, bytesRead - 1);
      if (last < 0) return this.lines;
      for (const text of buf.toString('utf8', 0, last).split('\n')) {
        this.count++;
        if (text.startsWith('X\t')) {
          this.lines.delete(text.slice(2));
          this.changes.ids.add(text.slice(2));
        } else if (text.startsWith('C\t')) this.lastCheck = parseCheck(text);
        else {
          const line = parseLine(text);
          if (line) {
            this.lines.set(line.id, line);
            this.changes.ids.add(line.id);
          }
        }
      }
      this.read!.end = from + last + 1;
      return this.lines;
    } finally {
      await handle.close();
    }
  }

  /** Appends lines, then the ids of sessions that are gone, then a directory check (which vouches for all above it). */
  async append(lines: readonly ListLine[], more: { gone?: readonly string[]; checked?: DirCheck } = {}): Promise<void> {
    const text = lines.map(formatLine).join('') + (more.gone ?? []).map((id) => `X\t${id}\n`).join('') + (more.checked ? formatCheck(more.checked) : '');
    if (text === '') return;
    // One write(2) with O_APPEND: concurrent appenders' lines never interleave.
    await fsp.appendFile(this.file, text);
  }

  /**
   * Replaces the file with exactly `lines` (a rebuild, or compaction), in listing order, so the next load folds them
   * already sorted. Lines appended meanwhile by another process are lost, and their sessions re-read by the next
   * listing. No directory check is written: the rename changes the directory's mtime.
   */
  rewrite(lines: readonly ListLine[]): Promise<void> {
    const ordered = [...lines].sort((a, b) => byCreation(keyOf(a), keyOf(b)));
    return this.inTurn(async () => {
      await replaceFile(this.file, ordered.map(formatLine).join(''));
      this.read = null;
    });
  }

  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    const next = this.turn.then(run);
    this.turn = next.catch(() => undefined);
    return next;
  }

  /** What the loads since the last call changed, so a caller keeps what it derived from the lines and updates it. */
  takeChanges(): LineChanges {
    const taken = this.changes;
    this.changes = { reset: false, ids: new Set() };
    return taken;
  }

  private reset(read: { ino: number; end: number } | null): void {
    this.lines = new Map();
    this.read = read;
    this.count = 0;
    this.lastCheck = null;
    this.changes = { reset: true, ids: new Set() };
  }
}

// Tab-separated, so a listing splits strings instead of parsing JSON per session:
// `S id created_at agent version 0|1 record_key summary_key` (`-` for no key; lines of older versions end after 0|1),
// or `D id "problem" "fix"` (JSON strings: problems span lines).
function formatLine(l: ListLine): string {
  if (l.kind === 'damaged') return `D\t${l.id}\t${JSON.stringify(l.problem)}\t${JSON.stringify(l.fix)}\n`;
  const fields = [l.id, l.created_at, l.agent_id];
  // Not indexable (ids are generated, so never in practice): without a line the session's record is read each listing.
  if (fields.some((f) => /[\t\n]/.test(f))) return '';
  return `S\t${fields.join('\t')}\t${l.agent_version}\t${l.archived ? 1 : 0}\t${l.record_key ?? '-'}\t${l.summary_key ?? '-'}\n`;
}

/** Damaged sessions have no creation time: they sort first. */
const keyOf = (l: ListLine) => ({ created_at: l.kind === 'session' ? l.created_at : '', id: l.id });

function formatCheck(c: DirCheck): string {
  return `C\t${c.mtime}\t${c.count}\n`;
}

function parseCheck(text: string): DirCheck | null {
  const m = /^C\t(\d+)\t(\d+)$/.exec(text);
  return m ? { mtime: BigInt(m[1]!), count: Number(m[2]) } : null;
}

/** A key field: null for none (`-` or absent), undefined for anything that is not fileKey's shape (a torn line). */
function parseKey(field: string | undefined): string | null | undefined {
  if (field === undefined || field === '-') return null;
  return /^\d+:\d+(?:\.\d+)?:\d+$/.test(field) ? field : undefined;
}

/** A line as written by formatLine; null for anything else (a torn or merged line), which is skipped. */
function parseLine(text: string): ListLine | null {
  const f = text.split('\t');
  if (f[0] === 'S' && (f.length === 6 || f.length === 8)) {
    const version = Number(f[4]);
    const [record_key, summary_key] = [parseKey(f[6]), parseKey(f[7])];
    if (!f[1] || !f[2] || !f[3] || !Number.isInteger(version) || (f[5] !== '0' && f[5] !== '1') || record_key === undefined || summary_key === undefined) return null;
    return { kind: 'session', id: f[1], created_at: f[2], agent_id: f[3], agent_version: version, archived: f[5] === '1', record_key, summary_key };
  }
  if (f[0] === 'D' && f.length === 4 && f[1]) {
    try {
      const problem: unknown = JSON.parse(f[2]!);
      const fix: unknown = JSON.parse(f[3]!);
      if (typeof problem === 'string' && typeof fix === 'string') return { kind: 'damaged', id: f[1], problem, fix };
    } catch {
      // A torn line.
    }
  }
  return null;
}
