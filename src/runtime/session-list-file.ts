import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno, replaceFile } from '../log/fsutil';

// <sessions>/index.tsv: one line per session with what a listing orders and filters by before it reads any session
// (created_at, agent, archived), or what is wrong with a session whose record cannot be read. Lines are appended with
// O_APPEND, one write each, so processes that create or archive sessions at the same time (the CLI beside the
// extension) never overwrite each other; a later line for a session replaces an earlier one. It is a hint, never the
// truth: the session directories decide which sessions exist, and the page's own records are checked (see
// SessionIndex.catalogue), so a lost or torn line, a crash between a record write and its line, or a deleted index
// only costs re-reading the records it is missing.

export const LIST_INDEX_FILE = 'index.tsv';

/** What listing needs of a readable session before reading it. */
export interface ListEntry {
  id: string;
  created_at: string;
  agent_id: string;
  agent_version: number;
  archived: boolean;
}

/** A session whose record cannot be read, as the last look found it (looked at again by every listing). */
export interface DamagedEntry {
  id: string;
  problem: string;
  fix: string;
}

export type ListLine = ({ kind: 'session' } & ListEntry) | ({ kind: 'damaged' } & DamagedEntry);

/** The file's lines, folded by id and re-read from where the last read stopped while the file is the same one. */
export class ListIndexFile {
  private lines = new Map<string, ListLine>();
  private read: { ino: number; end: number } | null = null;
  /** Lines in the file, superseded ones included (compaction drops those). */
  private count = 0;

  constructor(private readonly dir: string) {}

  get file(): string {
    return path.join(this.dir, LIST_INDEX_FILE);
  }

  /** Superseded lines and lines of deleted sessions, beyond those of `live` sessions. */
  waste(live: number): number {
    return this.count - live;
  }

  async load(): Promise<ReadonlyMap<string, ListLine>> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.file, 'r');
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      this.reset(null);
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
        const line = parseLine(text);
        if (line) this.lines.set(line.id, line);
      }
      this.read!.end = from + last + 1;
      return this.lines;
    } finally {
      await handle.close();
    }
  }

  async append(lines: readonly ListLine[]): Promise<void> {
    if (lines.length === 0) return;
    // One write(2) with O_APPEND: concurrent appenders' lines never interleave.
    await fsp.appendFile(this.file, lines.map(formatLine).join(''));
  }

  /** Replaces the file with exactly `lines` (a rebuild, or compaction). Lines appended meanwhile by another process are lost, and their sessions re-read by the next listing. */
  async rewrite(lines: readonly ListLine[]): Promise<void> {
    await replaceFile(this.file, lines.map(formatLine).join(''));
    this.read = null;
  }

  private reset(read: { ino: number; end: number } | null): void {
    this.lines = new Map();
    this.read = read;
    this.count = 0;
  }
}

// Tab-separated, so a listing splits strings instead of parsing JSON per session: `S id created_at agent version 0|1`,
// or `D id "problem" "fix"` (JSON strings: problems span lines).
function formatLine(l: ListLine): string {
  if (l.kind === 'damaged') return `D\t${l.id}\t${JSON.stringify(l.problem)}\t${JSON.stringify(l.fix)}\n`;
  const fields = [l.id, l.created_at, l.agent_id];
  // Not indexable (ids are generated, so never in practice): without a line the session's record is read each listing.
  if (fields.some((f) => /[\t\n]/.test(f))) return '';
  return `S\t${fields.join('\t')}\t${l.agent_version}\t${l.archived ? 1 : 0}\n`;
}

/** A line as written by formatLine; null for anything else (a torn or merged line), which is skipped. */
function parseLine(text: string): ListLine | null {
  const f = text.split('\t');
  if (f[0] === 'S' && f.length === 6) {
    const version = Number(f[4]);
    if (!f[1] || !f[2] || !f[3] || !Number.isInteger(version) || (f[5] !== '0' && f[5] !== '1')) return null;
    return { kind: 'session', id: f[1], created_at: f[2], agent_id: f[3], agent_version: version, archived: f[5] === '1' };
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
