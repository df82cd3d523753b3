import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { Memory, MemoryVersion } from '../wire';
import { withFileLock } from '../log/file-lock';
import { fsyncDir, isErrno, isTmpName, mkdirDurable, readdirOrEmpty, writeFileAtomic, writeFileExclusive } from '../log/fsutil';
import { readJsonFile } from '../log/json-file';
import { damaged } from './errors';

// One memory store's memories and versions on disk, changed only under the store's lock file (so two sessions, or a
// session and the API in another process, never interleave), through a redo journal:
//   <dir>/memories/<memory_id>.json          the memory as it is now (content included)
//   <dir>/versions/<seq>.<version_id>.json   every version, numbered in the order they were made
//   <dir>/journal.json                       the change being applied, present only until it is applied
// A change is first written whole to the journal (atomic, fsynced); then the version and the memory files are written
// (each atomically) and the journal removed. A process killed anywhere in between leaves the journal, which the next
// reader or writer applies again (every step is idempotent): a change is either not there or all there, and a
// version is never written twice. Readers see only whole files (tmp + rename), never a torn memory.

/** A change to apply: a version to write (new, or a redacted one replacing its file) and the memory it leaves. */
const Change = z.object({
  versionFile: z.string(),
  version: MemoryVersion,
  replaceVersion: z.boolean(),
  /** The memory after the change; null deletes it; absent leaves memories as they are (a redaction). */
  memory: z.object({ id: z.string(), value: Memory.nullable() }).optional(),
});
export type MemoryChange = z.infer<typeof Change>;

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const VERSION_FILE = /^(\d{12})\.([A-Za-z0-9_-]{1,128})\.json$/;

export interface StoredVersion {
  seq: number;
  version: MemoryVersion;
}

export class MemoryData {
  /**
   * The memories as they were after version `seq`, as this process last saw them under the lock. Only writes use it,
   * and only while the newest version is still `seq`: any other writer's change adds a version first.
   */
  private known: { seq: number; memories: Map<string, Memory> } | null = null;
  private readonly memoriesDir: string;
  private readonly versionsDir: string;
  private readonly journal: string;
  private readonly lock: string;

  constructor(readonly dir: string) {
    this.memoriesDir = path.join(dir, 'memories');
    this.versionsDir = path.join(dir, 'versions');
    this.journal = path.join(dir, 'journal.json');
    this.lock = path.join(dir, '.lock');
  }

  /**
   * Runs `plan` under the store's lock with the memories as they are, then applies the change it returns (if any).
   * Whatever `plan` throws leaves the store untouched.
   */
  async mutate<T>(plan: (memories: Memory[], nextSeq: number) => Promise<{ change: MemoryChange | null; result: T }>): Promise<T> {
    await mkdirDurable(this.versionsDir);
    await mkdirDurable(this.memoriesDir);
    return withFileLock(
      this.lock,
      async () => {
        await this.recover();
        const seq = await this.lastSeq();
        const memories = this.known?.seq === seq ? [...this.known.memories.values()] : await this.readMemories();
        const { change, result } = await plan(memories, seq + 1);
        if (change) {
          await writeFileAtomic(this.journal, JSON.stringify(change));
          await this.apply(change);
        }
        const next = new Map(memories.map((m) => [m.id, m]));
        if (change?.memory) {
          if (change.memory.value) next.set(change.memory.id, change.memory.value);
          else next.delete(change.memory.id);
        }
        this.known = { seq: change && !change.replaceVersion ? seq + 1 : seq, memories: next };
        return result;
      },
      { timeoutMs: 15_000 },
    );
  }

  /** Version file name for a new version. */
  static versionFile(seq: number, versionId: string): string {
    return `${String(seq).padStart(12, '0')}.${versionId}.json`;
  }

  async memories(): Promise<Memory[]> {
    await this.settle();
    return this.readMemories();
  }

  async memory(id: string): Promise<Memory | null> {
    if (!SAFE_ID.test(id)) return null;
    await this.settle();
    return readJsonFile(path.join(this.memoriesDir, `${id}.json`), Memory, corrupt);
  }

  /** Every version, oldest first. */
  async versions(): Promise<StoredVersion[]> {
    await this.settle();
    const names = (await this.versionNames()).sort();
    const out: StoredVersion[] = [];
    for (const name of names) {
      const v = await readJsonFile(path.join(this.versionsDir, name), MemoryVersion, corrupt);
      if (v) out.push({ seq: Number(VERSION_FILE.exec(name)![1]), version: v });
    }
    return out;
  }

  /** One version and its file name, or null. */
  async version(id: string): Promise<{ file: string; version: MemoryVersion } | null> {
    if (!SAFE_ID.test(id)) return null;
    await this.settle();
    const file = (await this.versionNames()).find((n) => VERSION_FILE.exec(n)?.[2] === id);
    if (!file) return null;
    const version = await readJsonFile(path.join(this.versionsDir, file), MemoryVersion, corrupt);
    return version ? { file, version } : null;
  }

  async remove(): Promise<void> {
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  /** A journal left by a killed process is applied before anything is read, so readers never see half a change. */
  private async settle(): Promise<void> {
    if (!(await exists(this.journal))) return;
    await withFileLock(this.lock, () => this.recover(), { timeoutMs: 15_000 });
  }

  private async recover(): Promise<void> {
    const change = await readJsonFile(this.journal, Change, corrupt);
    if (change) await this.apply(change);
  }

  private async apply(change: MemoryChange): Promise<void> {
    const versionPath = path.join(this.versionsDir, change.versionFile);
    if (change.replaceVersion) {
      await writeFileAtomic(versionPath, JSON.stringify(change.version));
    } else {
      try {
        await writeFileExclusive(versionPath, JSON.stringify(change.version));
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
      }
    }
    if (change.memory) {
      const file = path.join(this.memoriesDir, `${change.memory.id}.json`);
      if (change.memory.value) {
        await writeFileAtomic(file, JSON.stringify(change.memory.value));
      } else {
        await fsp.rm(file, { force: true });
        await fsyncDir(this.memoriesDir);
      }
    }
    await fsp.rm(this.journal, { force: true });
    await fsyncDir(this.dir);
  }

  private async readMemories(): Promise<Memory[]> {
    const names = (await readdirOrEmpty(this.memoriesDir)).filter((n) => !isTmpName(n) && n.endsWith('.json'));
    const out: Memory[] = [];
    for (const name of names) {
      const m = await readJsonFile(path.join(this.memoriesDir, name), Memory, corrupt);
      if (m) out.push(m);
    }
    return out;
  }

  private async versionNames(): Promise<string[]> {
    return (await readdirOrEmpty(this.versionsDir)).filter((n) => VERSION_FILE.test(n));
  }

  private async lastSeq(): Promise<number> {
    const names = (await this.versionNames()).sort();
    const last = names.at(-1);
    return last ? Number(VERSION_FILE.exec(last)![1]) : 0;
  }
}

const corrupt = (message: string) => damaged(`A memory store file is damaged: ${message}. Restore it from a backup or delete it.`);

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
