import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { IgnoreRules } from '../repo/gitignore';
import type { WatchChange, WatchEntry, WatchResult } from './protocol';
import { TrackedFiles } from './tracked';
import { WorkspaceWatch, type DirtyKind } from './watch';

// Copy mode's checkpoint fast path, in the container: the files that changed since the last checkpoint, found from
// the watch (watch.ts) instead of a scan of every file, hashed here and sent in one answer. The host keeps the
// authority: it starts a period (reset: watches made, before its full scan reads a file), hands over what that scan
// found (base), and from then on asks for the changes since the period it knows (changes), each answer starting the
// next. Anything unsure (lost events, a .gitignore that changed, an embedded repository, a special file) is answered
// "unsure", and the host scans in full, as without a watch.
//
// The rules are `git add -A`'s, as the full scan applies them: a tracked file (one the last checkpoint holds) is taken
// whatever .gitignore says; a new one unless ignored; nothing under a top-level .git; symlinks by their target text,
// files by their bytes, mode 100755 when the owner may execute.

const MAX_WATCHES = 20_000;
/** Bytes of changed files one answer carries at most; more is unsure (the full scan streams them instead). */
const MAX_CONTENT_BYTES = 32 * 1024 * 1024;

class Unsure extends Error {}

function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function lstat(abs: string): fs.Stats | null {
  try {
    return fs.lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

function isUnder(rel: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => rel === d || rel.startsWith(`${d}/`));
}

/** The git global excludes file a full scan in this container would read (its config is /dev/null, so the default). */
function globalExcludesFile(): string {
  return path.join(process.env.XDG_CONFIG_HOME || path.join(process.env.HOME || '/', '.config'), 'git', 'ignore');
}

/** The .gitignore files as they are now. */
function workspaceIgnores(root: string): IgnoreRules {
  return new IgnoreRules(async (rel) => {
    try {
      return fs.readFileSync(path.join(root, rel));
    } catch {
      return null;
    }
  });
}

const isIgnoreFile = (rel: string) => path.posix.basename(rel) === '.gitignore';

/** One answer's work: the dirty paths checked against the tracked files and the disk. */
class ChangeCollector {
  readonly changes = new Map<string, WatchChange>();
  private bytes = 0;
  private readonly ignores: IgnoreRules;

  constructor(
    private readonly root: string,
    private readonly tracked: TrackedFiles,
    private readonly watch: WorkspaceWatch,
    private readonly exclude: readonly string[],
  ) {
    this.ignores = workspaceIgnores(root);
  }

  private gone(rel: string): void {
    if (!this.tracked.get(rel)) return;
    if (isIgnoreFile(rel)) throw new Unsure(`${rel} was removed (what is ignored may have changed)`);
    this.changes.set(rel, { path: rel, mode: null });
  }

  /** Every tracked file below `rel` (a directory that is gone, or no longer a directory) is gone. */
  private goneUnder(rel: string): void {
    for (const p of this.tracked.under(rel)) this.changes.set(p, { path: p, mode: null });
  }

  async visit(rel: string, kind: DirtyKind): Promise<void> {
    const parts = rel.split('/');
    if (parts[0] === '.git' || isUnder(rel, this.exclude)) return;
    if (parts.includes('.git')) throw new Unsure(`${rel} is inside an embedded git repository`);
    const st = lstat(path.join(this.root, rel));
    if (kind === 'file' && st?.isDirectory()) return; // a directory's own attributes are nothing to git
    if (st?.isDirectory()) {
      this.gone(rel);
      await this.walk(rel);
      return;
    }
    if (kind === 'tree') this.goneUnder(rel);
    if (!st) return this.gone(rel);
    await this.file(rel, st);
  }

  /** A directory that appeared, moved or was replaced: its watches made again and every file below it checked. */
  private async walk(dir: string): Promise<void> {
    const before = new Set(this.tracked.under(dir));
    const seen = new Set<string>();
    this.watch.unwatchUnder(dir);
    const go = async (d: string): Promise<void> => {
      if (!this.tracked.hasUnder(d) && (await this.ignores.ignored(d, true))) return;
      if (!this.watch.watchDir(d)) return;
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(path.join(this.root, d), { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw new Unsure(`listing ${d} failed: ${(err as Error).message}`);
      }
      for (const e of names) {
        const child = `${d}/${e.name}`;
        if (e.name === '.git') throw new Unsure(`${d} is an embedded git repository`);
        if (e.name.includes('\uFFFD')) throw new Unsure(`a file name in ${d} is not UTF-8`);
        if (isUnder(child, this.exclude)) continue;
        if (e.isDirectory()) await go(child);
        else {
          const st = lstat(path.join(this.root, child));
          if (st && !st.isDirectory()) {
            seen.add(child);
            await this.file(child, st);
          } else if (st) await go(child);
        }
      }
    };
    await go(dir);
    for (const p of before) if (!seen.has(p)) this.changes.set(p, { path: p, mode: null });
  }

  private async file(rel: string, st: fs.Stats): Promise<void> {
    const known = this.tracked.get(rel);
    if (!st.isFile() && !st.isSymbolicLink()) {
      if (known) throw new Unsure(`${rel} is no longer a regular file or symlink`);
      return;
    }
    // A .gitignore that appears or changes may change what is ignored anywhere below it: only a full scan knows.
    if (!known && isIgnoreFile(rel)) throw new Unsure(`${rel} appeared (what is ignored may have changed)`);
    if (!known && (await this.ignores.ignored(rel, false))) return;
    const abs = path.join(this.root, rel);
    let content: Buffer;
    try {
      content = st.isSymbolicLink() ? fs.readlinkSync(abs, { encoding: 'buffer' }) : fs.readFileSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Gone or replaced while we looked: its own event is in the next period.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EINVAL') return this.gone(rel);
      throw new Unsure(`reading ${rel} failed: ${(err as Error).message}`);
    }
    const mode = st.isSymbolicLink() ? '120000' : st.mode & 0o100 ? '100755' : '100644';
    const sha = blobSha(content);
    if (known?.mode === mode && known.sha === sha) return void this.changes.delete(rel);
    if (isIgnoreFile(rel)) throw new Unsure(`${rel} changed (what is ignored may have changed)`);
    this.bytes += content.length;
    if (this.bytes > MAX_CONTENT_BYTES) throw new Unsure(`over ${MAX_CONTENT_BYTES} bytes changed`);
    this.changes.set(rel, { path: rel, mode, sha, content: content.toString('base64') });
  }
}

export class CheckpointWatch {
  private watch: WorkspaceWatch | null = null;
  private tracked: TrackedFiles | null = null;
  private exclude: readonly string[] = [];
  private epoch: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly root: string) {}

  private serialized(fn: () => Promise<WatchResult>): Promise<WatchResult> {
    const next = this.queue.then(fn).catch((err: unknown) => this.unsure(err instanceof Unsure ? err.message : `the watch failed: ${String(err)}`));
    this.queue = next;
    return next;
  }

  private unsure(reason: string): WatchResult {
    this.tracked = null;
    this.epoch = null;
    return { epoch: null, changes: [], unsure: reason };
  }

  /**
   * Starts a period: every directory watched (new watches), nothing tracked yet. `exclude`: workspace paths that are
   * not the workspace's (binds), never watched nor reported. The host then scans in full and hands the result to base().
   */
  reset(exclude: readonly string[]): Promise<WatchResult> {
    return this.serialized(async () => {
      this.watch?.close();
      this.tracked = null;
      this.exclude = exclude;
      const watch = (this.watch = new WorkspaceWatch(this.root, MAX_WATCHES));
      const ignores = workspaceIgnores(this.root);
      const go = async (d: string): Promise<void> => {
        if (!watch.watchDir(d)) return;
        for (const e of fs.readdirSync(path.join(this.root, d), { withFileTypes: true })) {
          const child = d ? `${d}/${e.name}` : e.name;
          if (!e.isDirectory() || (d === '' && e.name === '.git') || isUnder(child, exclude)) continue;
          // An ignored directory is left unwatched; base() brings in any that hold tracked files.
          if (e.name !== '.git' && !(await ignores.ignored(child, true))) await go(child);
        }
      };
      await go('');
      await watch.sync();
      watch.take();
      this.epoch = randomUUID();
      return { epoch: this.epoch, changes: [] };
    });
  }

  /** What the host's full scan found in the period `epoch` began: from now on, changes() can answer. */
  base(epoch: string, entries: readonly WatchEntry[]): Promise<WatchResult> {
    return this.serialized(async () => {
      const watch = this.watch;
      if (!watch || epoch !== this.epoch) return this.unsure('the watch was reset since');
      const tracked = new TrackedFiles();
      for (const [p, mode, sha] of entries) {
        if (mode === '160000') return this.unsure(`${p} is an embedded git repository`);
        tracked.set(p, { mode, sha });
        // A tracked file in a directory left unwatched (an ignored one): its topmost unwatched directory is rescanned.
        let top: string | null = null;
        for (let d = path.posix.dirname(p); d !== '.' && !watch.isWatched(d); d = path.posix.dirname(d)) top = d;
        if (top !== null) watch.mark(top, 'tree');
      }
      this.tracked = tracked;
      return { epoch, changes: [] };
    });
  }

  /** The changes since the period `epoch` began, and the next period; unsure when they cannot be known. */
  changes(epoch: string): Promise<WatchResult> {
    return this.serialized(async () => {
      const watch = this.watch;
      const tracked = this.tracked;
      if (!watch || !tracked || epoch !== this.epoch) return this.unsure('no watch period to compare with');
      if (fs.existsSync(globalExcludesFile())) return this.unsure(`${globalExcludesFile()} exists (git's global ignore rules)`);
      if (!(await watch.sync())) return this.unsure('the watch did not catch up in time');
      const { dirty, lost } = watch.take();
      if (lost) return this.unsure(lost);
      const collector = new ChangeCollector(this.root, tracked, watch, this.exclude);
      for (const [rel, kind] of [...dirty].sort(([a], [b]) => (a < b ? -1 : 1))) await collector.visit(rel, kind);
      const changes = [...collector.changes.values()];
      for (const c of changes) {
        if (c.mode === null) tracked.delete(c.path);
        else tracked.set(c.path, { mode: c.mode, sha: c.sha as string });
      }
      this.epoch = randomUUID();
      return { epoch: this.epoch, changes };
    });
  }
}
