import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../../tools/paths';
import { IgnoreRules } from '../repo/gitignore';
import { GitObjects, type PathEdit, type RawEntry } from '../repo/tree-objects';
import { pool } from './pool';

// Building a local checkpoint from the paths the watcher saw change (watched-checkpoints.ts decides when): the
// previous checkpoint's tree with those paths read, hashed and edited in (repo/tree-objects.ts). It runs in the watch
// worker thread (watch-worker.ts), next to the paths it builds from, so reading files, hashing blobs, deflating objects
// and parsing trees never hold up the loop that drives every session.
//
// The tree is the one the full scan (`git add -A` into the baseline index, `write-tree`) would write, by the same
// rules: a path the previous tree has is tracked (kept, even where a .gitignore names it); an untracked one goes in
// unless a .gitignore leaves it out; nothing below the agent's .git; the executable bit, symlinks as links. Whatever it
// cannot vouch for throws BuildDeclined, and the caller scans instead: a .gitignore that changed, a nested repository
// or any `.git` below the top, a name that is not UTF-8, a special file, a file over 32 MiB, more than 1,000 changed paths.

const MAX_CHANGED_PATHS = 1000;
const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Paths read and hashed at once. */
const CONCURRENCY = 16;
const RESERVED = /^\.git$/i;
/** git's modes of a directory's entry and of a nested repository's (a gitlink: a commit id, no files). */
const TREE_MODE = '40000';
const GITLINK_MODE = '160000';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file's entry: git's mode and the blob's id. */
type FileEntry = NonNullable<PathEdit>;

/** Why the build cannot vouch for a tree: the checkpoint scans instead. */
export class BuildDeclined extends Error {
  constructor(
    message: string,
    /** A .gitignore changed: the directories left unwatched as ignored may not be any more. */
    readonly rulesChanged = false,
  ) {
    super(message);
  }
}

export interface BuiltTree {
  tree: string;
  /** Untracked directories the ignore rules leave out, found by this build: the watcher can leave them alone. */
  ignoredDirs: string[];
}

function gone(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';
}

/** A tree entry's latin1 name (tree-objects.ts) as the file system's UTF-8 name. */
function fsName(latin1: string): string {
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    throw new BuildDeclined('a checkpointed name is not UTF-8');
  }
}

/** One work tree's builds: its git dir's objects (parsed trees cached) and its ignore rules (read once, until forgotten). */
export class TreeBuilder {
  private readonly objects: GitObjects;
  private readonly ignores: IgnoreRules;
  /** Ignored untracked directories found by the build under way. */
  private found: string[] = [];

  constructor(
    private readonly workTree: string,
    gitDir: string,
  ) {
    this.objects = new GitObjects(gitDir);
    this.ignores = new IgnoreRules((rel) => readFile(path.join(workTree, rel)).catch(() => null));
  }

  /** Drops the ignore rules read so far (a scan follows something the watcher could not vouch for, a .gitignore change included). */
  forgetRules(): void {
    this.ignores.forget();
  }

  /** `base` with `paths` (and, for directories, everything below them) made what the work tree holds now. */
  async build(base: string, paths: readonly string[]): Promise<BuiltTree> {
    if (paths.length > MAX_CHANGED_PATHS) throw new BuildDeclined(`${paths.length} paths changed`);
    const all = new Set(paths);
    for (const p of all) {
      const parts = p.split('/');
      if (parts.some((part) => RESERVED.test(part))) throw new BuildDeclined(`${p} changed (a repository inside the workspace)`);
      if (parts.at(-1) === '.gitignore') throw new BuildDeclined(`${p} changed`, true);
    }
    // A path below another changed path is covered by that one's handling (a directory is read whole); the rest are
    // disjoint, so they are handled concurrently and their edits never overlap.
    const tops = [...all].filter((p) => !p.split('/').some((_, i, parts) => i > 0 && all.has(parts.slice(0, i).join('/'))));
    const edits = new Map<string, PathEdit>();
    this.found = [];
    await pool(tops, CONCURRENCY, (p) => this.update(base, p, edits));
    return { tree: await this.objects.edit(base, edits), ignoredDirs: this.found };
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
        throw new BuildDeclined(`a name in ${rel} is not UTF-8`);
      }
      const child = `${rel}/${name}`;
      const t = tracked.get(name);
      if (RESERVED.test(name) || t?.mode === GITLINK_MODE) throw new BuildDeclined(`${child} is a repository inside the workspace`);
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
      if (e.mode === GITLINK_MODE) throw new BuildDeclined(`${p} is a repository inside the workspace`);
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
      if (found.mode === GITLINK_MODE) throw new BuildDeclined(`${p} is in a repository inside the workspace`);
      tree = found.mode === TREE_MODE ? found.sha : null;
    }
    return found;
  }

  /** The entry git would record for the file or symlink at `abs` (its blob written). */
  private async entryOf(abs: string, info: Stats): Promise<FileEntry> {
    if (info.isSymbolicLink()) return { mode: '120000', sha: await this.objects.write('blob', await readlink(abs, { encoding: 'buffer' })) };
    if (!info.isFile()) throw new BuildDeclined(`${abs} is neither a file, a directory nor a symlink`);
    if (info.size > MAX_FILE_BYTES) throw new BuildDeclined(`${abs} is over ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
    return { mode: info.mode & 0o100 ? '100755' : '100644', sha: await this.objects.write('blob', await readFile(abs)) };
  }
}
