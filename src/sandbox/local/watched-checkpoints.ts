import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../../tools/paths';
import { IgnoreRules } from '../repo/gitignore';
import { GitObjects, type PathEdit, type RawEntry } from '../repo/tree-objects';
import { pool } from './pool';
import { WorkspaceWatch } from './workspace-watch';

// A local checkpoint that costs the change, not the repository: the previous checkpoint's tree with only the paths the
// workspace watcher (workspace-watch.ts) saw change hashed and edited in, in-process (repo/tree-objects.ts), so a
// tool call pays no git process and no walk of 10,000 files. The tree is the one the full scan (`git add -A` into the
// baseline index, `write-tree`) would write, by the same rules: a path the previous tree has is tracked (kept, even
// where a .gitignore names it); an untracked one goes in unless a .gitignore leaves it out; nothing below the agent's
// .git; the executable bit, symlinks as links.
//
// Whenever this cannot vouch for the result it declines and the full scan runs instead, never a guess: no watcher
// (not Linux, too many directories, an inotify error), a watcher that may have missed events (a burst that could have
// overflowed the kernel's queue, a worker that failed or did not answer), no tree to build on (the first checkpoint,
// after a scan failed or a restore was cut short), a .gitignore that changed, a nested repository or any `.git` below
// the top, a name that is not UTF-8, a special file, a file over 32 MiB, more than 1,000 changed paths, or any error.
// A decline restarts a watcher that lost events before the scan, so the scan's tree is again a base to build on.

const MAX_CHANGED_PATHS = 1000;
const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Paths read and hashed at once. */
const CONCURRENCY = 16;
/** A watcher lost this many times in a row is given up (the scan is then the checkpoint, as without one). */
const MAX_RESTARTS = 5;
const RESERVED = /^\.git$/i;
/** git's modes of a directory's entry and of a nested repository's (a gitlink: a commit id, no files). */
const TREE_MODE = '40000';
const GITLINK_MODE = '160000';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file's entry: git's mode and the blob's id. */
type FileEntry = NonNullable<PathEdit>;

/** Why the fast path cannot vouch for a tree: the checkpoint scans instead. */
class Decline extends Error {}

/** A .gitignore changed: the directories left unwatched as ignored may not be any more. */
class RulesChanged extends Decline {}

function gone(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';
}

/** A tree entry's latin1 name (tree-objects.ts) as the file system's UTF-8 name. */
function fsName(latin1: string): string {
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    throw new Decline('a checkpointed name is not UTF-8');
  }
}

export interface WatchOptions {
  /** false: no watcher, every checkpoint scans. */
  watch?: boolean;
  /** Events in one drain taken as a possible overflow (workspace-watch.ts); tests lower it to provoke one. */
  burstLimit?: number;
}

export interface CheckpointCounts {
  /** Checkpoints built from the watcher's paths. */
  built: number;
  /** Checkpoints that ran the full scan, and why the last one did. */
  scanned: number;
  lastScanReason: string;
}

export class WatchedCheckpoints {
  private watch: WorkspaceWatch | null = null;
  private starting: Promise<string> | null = null;
  private closed = false;
  /** Why watching is off for this sandbox object (then every checkpoint scans). */
  private off: string | null = null;
  private restarts = 0;
  /**
   * Untracked directories the ignore rules leave out, which the watcher was told to leave alone (nothing below them can
   * go into a checkpoint): given up when the rules change or a restore may have put tracked files there.
   */
  private readonly skipped = new Set<string>();
  /** Such directories found by the build under way. */
  private found: string[] = [];
  /** The tree of the files as of the watcher's last answer; null: unknown, the next checkpoint scans. */
  private base: string | null = null;
  /** The last checkpoint's tree (or the restored one), whatever the watcher knows: the full scan starts from it. */
  private last: string | null = null;
  private readonly objects: GitObjects;
  private readonly ignores: IgnoreRules;
  readonly counts: CheckpointCounts = { built: 0, scanned: 0, lastScanReason: '' };

  constructor(
    private readonly workTree: string,
    gitDir: string,
    /** A directory of Hangar's own outside the work tree, for the watcher's syncs. */
    private readonly syncDir: string,
    /**
     * The full scan: the work tree's tree as git writes it, with the paths of tree `from` (when known) taken as tracked,
     * as a built checkpoint takes its base's.
     */
    private readonly scan: (from: string | null) => Promise<string>,
    private readonly options: WatchOptions = {},
  ) {
    this.objects = new GitObjects(gitDir);
    this.ignores = new IgnoreRules((rel) => readFile(path.join(workTree, rel)).catch(() => null));
    if (options.watch === false) this.off = 'watching is turned off';
  }

  /** The work tree's checkpoint tree. Callers serialize it with restores (BaselineRepo does). */
  async checkpoint(): Promise<string> {
    const changed = await this.changedPaths();
    if (typeof changed === 'string') return this.rescan(changed);
    if (this.base === null) return this.rescan('no checkpoint to build on');
    try {
      this.found = [];
      const tree = await this.build(this.base, changed);
      this.base = tree;
      this.last = tree;
      this.counts.built++;
      this.skip(this.found);
      return tree;
    } catch (err) {
      if (err instanceof RulesChanged) await this.unskip();
      return this.rescan(err instanceof Decline ? err.message : `building the checkpoint failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** After a restore: the files are `tree`'s (null when the restore failed midway: the next checkpoint scans). */
  restored(tree: string | null): void {
    if (this.skipped.size > 0) {
      // The restored files may be tracked below a directory left unwatched: all watched afresh.
      this.skipped.clear();
      this.dropWatch();
      this.prepare();
    }
    // A watcher still starting has not seen everything since: the next checkpoint scans.
    this.base = this.starting ? null : tree;
    this.last = tree;
  }

  private skip(dirs: readonly string[]): void {
    const fresh = dirs.filter((d) => !this.skipped.has(d));
    for (const d of fresh) this.skipped.add(d);
    this.watch?.skip(fresh);
  }

  /** Watches the skipped directories again (by starting over: the next scan is the base). */
  private async unskip(): Promise<void> {
    if (this.skipped.size === 0 || !this.watch) return;
    this.skipped.clear();
    this.dropWatch();
    await this.startWatch();
  }

  /** Starts the watcher ahead of the first checkpoint (which scans in any case), so that checkpoint need not wait for it. */
  prepare(): void {
    if (!this.off && !this.watch && !this.starting) this.starting = this.startWatch().finally(() => (this.starting = null));
  }

  close(): void {
    this.closed = true;
    this.dropWatch();
  }

  private dropWatch(): void {
    this.watch?.close();
    this.watch = null;
  }

  /** What changed since the last answer, or why that is not known. */
  private async changedPaths(): Promise<string[] | string> {
    if (this.starting) await this.starting;
    if (this.off) return this.off;
    if (!this.watch) return this.startWatch();
    const changes = await this.watch.changes();
    if (changes.lost === null) {
      this.restarts = 0;
      return changes.paths;
    }
    this.dropWatch();
    if (++this.restarts > MAX_RESTARTS) this.off = `the file watcher was lost ${MAX_RESTARTS} times in a row (last: ${changes.lost})`;
    else await this.startWatch();
    return changes.lost;
  }

  /** Starts watching; the tree is then unknown until the next scan. Returns why the next checkpoint scans. */
  private async startWatch(): Promise<string> {
    this.base = null;
    try {
      const watch = await WorkspaceWatch.start(this.workTree, this.syncDir, [...this.skipped], this.options.burstLimit);
      if (this.closed) watch.close();
      else this.watch = watch;
      return 'the file watcher just started';
    } catch (err) {
      this.off = err instanceof Error ? err.message : String(err);
      return this.off;
    }
  }

  private async rescan(reason: string): Promise<string> {
    this.base = null;
    this.ignores.forget();
    const tree = await this.scan(this.last);
    this.last = tree;
    this.counts.scanned++;
    this.counts.lastScanReason = reason;
    if (!this.off) this.base = tree;
    return tree;
  }

  /** `base` with `paths` (and, for directories, everything below them) made what the work tree holds now. */
  private async build(base: string, paths: readonly string[]): Promise<string> {
    if (paths.length > MAX_CHANGED_PATHS) throw new Decline(`${paths.length} paths changed`);
    const all = new Set(paths);
    for (const p of all) {
      const parts = p.split('/');
      if (parts.some((part) => RESERVED.test(part))) throw new Decline(`${p} changed (a repository inside the workspace)`);
      if (parts.at(-1) === '.gitignore') throw new RulesChanged(`${p} changed`);
    }
    // A path below another changed path is covered by that one's handling (a directory is read whole); the rest are
    // disjoint, so they are handled concurrently and their edits never overlap.
    const tops = [...all].filter((p) => !p.split('/').some((_, i, parts) => i > 0 && all.has(parts.slice(0, i).join('/'))));
    const edits = new Map<string, PathEdit>();
    await pool(tops, CONCURRENCY, (p) => this.update(base, p, edits));
    return this.objects.edit(base, edits);
  }

  /** Adds the edits that make `p` in `base` what the work tree has there now. */
  private async update(base: string, p: string, edits: Map<string, PathEdit>): Promise<void> {
    const before = await this.entryAt(base, p);
    const abs = path.join(this.workTree, p);
    const info = await lstat(abs).catch((err: unknown) => {
      if (gone(err)) return null;
      throw err;
    });
    if (!info) {
      if (before) edits.set(p, null);
    } else if (info.isDirectory()) {
      this.ignores.forget(p);
      await this.updateDir(p, before, edits);
    } else if ((before && before.mode !== TREE_MODE) || !(await this.ignores.ignored(p, false))) {
      edits.set(p, await this.entryOf(abs, info));
    } else if (before) {
      edits.set(p, null);
    }
  }

  /** Edits for directory `p`: its files now against what `base` had at and below `p`. */
  private async updateDir(p: string, before: RawEntry | null, edits: Map<string, PathEdit>): Promise<void> {
    const now = new Map<string, FileEntry>();
    await this.scanDir(p, before?.mode === TREE_MODE ? before.sha : null, now);
    const old = new Map<string, FileEntry>();
    if (before?.mode === TREE_MODE) await this.filesBelow(before.sha, p, old);
    else if (before !== null) old.set(p, { mode: before.mode, sha: before.sha });
    for (const [file, e] of now) {
      const o = old.get(file);
      if (o?.mode !== e.mode || o.sha !== e.sha) edits.set(file, e);
    }
    for (const file of old.keys()) if (!now.has(file)) edits.set(file, null);
  }

  /** The files below `rel` that go into a checkpoint; `tree` is what `base` has there (null: nothing is tracked). */
  private async scanDir(rel: string, tree: string | null, out: Map<string, FileEntry>): Promise<void> {
    if (!tree && (await this.ignores.ignored(rel, true))) {
      this.found.push(rel);
      return;
    }
    const tracked = new Map((tree ? await this.objects.readTree(tree) : []).map((e) => [fsName(e.name), e]));
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(path.join(this.workTree, rel), { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    for (const d of entries) {
      let name: string;
      try {
        name = utf8.decode(d.name);
      } catch {
        throw new Decline(`a name in ${rel} is not UTF-8`);
      }
      const child = `${rel}/${name}`;
      const t = tracked.get(name);
      if (RESERVED.test(name) || t?.mode === GITLINK_MODE) throw new Decline(`${child} is a repository inside the workspace`);
      const info = await lstat(path.join(this.workTree, child)).catch((err: unknown) => {
        if (gone(err)) return null;
        throw err;
      });
      if (!info) continue;
      if (info.isDirectory()) await this.scanDir(child, t?.mode === TREE_MODE ? t.sha : null, out);
      else if ((t !== undefined && t.mode !== TREE_MODE) || !(await this.ignores.ignored(child, false))) {
        out.set(child, await this.entryOf(path.join(this.workTree, child), info));
      }
    }
  }

  /** Every file entry below tree `sha`, keyed by its path (`prefix/...`). */
  private async filesBelow(sha: string, prefix: string, out: Map<string, FileEntry>): Promise<void> {
    for (const e of await this.objects.readTree(sha)) {
      const p = `${prefix}/${fsName(e.name)}`;
      if (e.mode === GITLINK_MODE) throw new Decline(`${p} is a repository inside the workspace`);
      if (e.mode === TREE_MODE) await this.filesBelow(e.sha, p, out);
      else out.set(p, { mode: e.mode, sha: e.sha });
    }
  }

  /** `base`'s entry at `p`, or null; a repository (gitlink) at or above `p` declines. */
  private async entryAt(base: string, p: string): Promise<RawEntry | null> {
    let tree: string | null = base;
    let found: RawEntry | null = null;
    for (const part of p.split('/')) {
      if (!tree) return null;
      const name = Buffer.from(part, 'utf8').toString('latin1');
      found = (await this.objects.readTree(tree)).find((e) => e.name === name) ?? null;
      if (!found) return null;
      if (found.mode === GITLINK_MODE) throw new Decline(`${p} is in a repository inside the workspace`);
      tree = found.mode === TREE_MODE ? found.sha : null;
    }
    return found;
  }

  /** The entry git would record for the file or symlink at `abs` (its blob written). */
  private async entryOf(abs: string, info: Stats): Promise<FileEntry> {
    if (info.isSymbolicLink()) return { mode: '120000', sha: await this.objects.write('blob', await readlink(abs, { encoding: 'buffer' })) };
    if (!info.isFile()) throw new Decline(`${abs} is neither a file, a directory nor a symlink`);
    if (info.size > MAX_FILE_BYTES) throw new Decline(`${abs} is over ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
    return { mode: info.mode & 0o100 ? '100755' : '100644', sha: await this.objects.write('blob', await readFile(abs)) };
  }
}
