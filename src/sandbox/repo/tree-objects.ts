import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflate, deflateSync, inflateSync } from 'node:zlib';
import { errnoCode } from '../../tools/paths';
import { git, GitError, isolatedGitEnv } from './git';

// Git trees read and written in-process, so a checkpoint that changes a few paths of a 10,000-file tree costs a few
// object reads and writes instead of git processes that load the whole tree into an index (read-tree, update-index,
// write-tree: ~100 ms together on a 10k tree). The objects are exactly git's: the same entries give the same tree id
// as `git write-tree`, so checkpoints stay content-addressed whichever way they were made.
//
// Objects are written loose; read loose (here or in a borrowed objects dir), or from git (`cat-file`) when packed (the snapshot's blobs, a
// checkpoint imported from another sandbox). Parsed trees are cached by id: an object never changes.
//
// Names are kept as latin1 strings: one char per byte, so a file name that is not UTF-8 round-trips and JS string
// order is git's byte order.

const TREE_MODE = '40000';
const GITLINK_MODE = '160000';
/** git's id of the tree with no entries, which every git knows without having the object. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const CACHE_LIMIT = 20_000;
/** Bigger bodies are compressed on libuv's thread pool, so the loop that drives every session does not stall on a big file; smaller ones at once (quicker than the hop to the pool on a loaded machine). */
const DEFLATE_ON_POOL_BYTES = 64 * 1024;
const deflateAsync = promisify(deflate);

export interface RawEntry {
  /** The name's bytes as latin1. */
  name: string;
  /** git's mode as the tree holds it: 100644, 100755, 120000, 160000, or 40000 for a tree. */
  mode: string;
  sha: string;
}

/** A path's new entry in an edit (mode and blob id), or null: the path goes. */
export type PathEdit = { mode: string; sha: string } | null;

/** One path whose entry differs between two trees: its entry in the target, or null when the target has none. */
export interface TreeChange {
  /** UTF-8, as the file system names it. */
  path: string;
  to: PathEdit;
}

/** An edit as a tree of names: a leaf entry, a deletion, or the edits below a directory. */
type Edits = Map<string, PathEdit | Edits>;

/** git's order: a tree's name compares as if it ended in '/'. */
function sortKey(e: RawEntry): string {
  return e.mode === TREE_MODE ? `${e.name}/` : e.name;
}

/** git's id of an object of this type and body. */
export function objectId(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

function parseTree(body: Buffer): RawEntry[] {
  const entries: RawEntry[] = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const nul = body.indexOf(0, space);
    entries.push({ mode: body.toString('latin1', at, space), name: body.toString('latin1', space + 1, nul), sha: body.toString('hex', nul + 1, nul + 21) });
    at = nul + 21;
  }
  return entries;
}

function serializeTree(entries: readonly RawEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  return Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'latin1'), Buffer.from(e.sha, 'hex')]));
}

export class GitObjects {
  private readonly trees = new Map<string, RawEntry[]>();
  /** Object fan-out directories known to exist (objects are never removed: gc is off in Hangar's git dirs). */
  private readonly objectDirs = new Set<string>();
  /** Objects dirs searched after this git dir's own: the alternates it borrows. */
  private readonly borrowed: string[] = [];

  constructor(readonly gitDir: string) {}

  private loosePath(sha: string, objects = path.join(this.gitDir, 'objects')): string {
    return path.join(objects, sha.slice(0, 2), sha.slice(2));
  }

  /** Lets this git dir (git's processes too: objects/info/alternates) read the objects of another objects dir. */
  async borrow(objects: string): Promise<void> {
    if (this.borrowed.includes(objects)) return;
    const file = path.join(this.gitDir, 'objects', 'info', 'alternates');
    const lines = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    if (!lines.includes(objects)) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, [...lines, objects, ''].join('\n'));
    }
    this.borrowed.push(objects);
  }

  /** Stores an object loose (skipped when it is there already) and returns its id. */
  async write(type: 'blob' | 'tree', body: Buffer): Promise<string> {
    const sha = objectId(type, body);
    const file = this.loosePath(sha);
    if (await fs.access(file).then(() => true, () => false)) return sha;
    const dir = path.dirname(file);
    if (!this.objectDirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.objectDirs.add(dir);
    }
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
    await fs.writeFile(tmp, raw.length > DEFLATE_ON_POOL_BYTES ? await deflateAsync(raw) : deflateSync(raw));
    await fs.rename(tmp, file);
    return sha;
  }

  /** An object's body when it is loose here or in a borrowed dir, else null; `type` is checked. */
  private async readLoose(sha: string, type: 'tree' | 'blob'): Promise<Buffer | null> {
    for (const objects of [path.join(this.gitDir, 'objects'), ...this.borrowed]) {
      let raw: Buffer;
      try {
        raw = inflateSync(await fs.readFile(this.loosePath(sha, objects)));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      const nul = raw.indexOf(0);
      const header = raw.toString('latin1', 0, nul);
      if (!header.startsWith(`${type} `)) throw new Error(`object ${sha} in ${this.gitDir} is a ${header.split(' ')[0]}, not a ${type}`);
      return raw.subarray(nul + 1);
    }
    return null;
  }

  async readTree(sha: string): Promise<RawEntry[]> {
    if (sha === EMPTY_TREE) return [];
    const known = this.trees.get(sha);
    if (known) return known;
    const entries = parseTree((await this.readLoose(sha, 'tree')) ?? (await git(['cat-file', 'tree', sha], { env: isolatedGitEnv({ GIT_DIR: this.gitDir }) })));
    this.remember(sha, entries);
    return entries;
  }

  private remember(sha: string, entries: RawEntry[]): void {
    if (this.trees.size >= CACHE_LIMIT) this.trees.clear();
    this.trees.set(sha, entries);
  }

  /** What turns the files of tree `from` into those of `to`, path by path, like `git diff-tree -r --no-renames`. */
  async changes(from: string, to: string): Promise<TreeChange[]> {
    const out: TreeChange[] = [];
    await this.compare(from, to, '', out);
    return out.map((c) => ({ path: Buffer.from(c.path, 'latin1').toString('utf8'), to: c.to }));
  }

  /** Appends the changes from tree `a` to tree `b` (null: none) below `prefix`; equal subtrees are never read. */
  private async compare(a: string | null, b: string | null, prefix: string, out: TreeChange[]): Promise<void> {
    if (a === b) return;
    const left = new Map((a ? await this.readTree(a) : []).map((e) => [e.name, e]));
    const right = new Map((b ? await this.readTree(b) : []).map((e) => [e.name, e]));
    // In git's order: a file's change sorts under its name, a tree's under its name and '/'.
    const steps: { key: string; run: () => Promise<void> | void }[] = [];
    for (const name of new Set([...left.keys(), ...right.keys()])) {
      const x = left.get(name);
      const y = right.get(name);
      if (x?.mode === y?.mode && x?.sha === y?.sha) continue;
      const xTree = x?.mode === TREE_MODE ? x.sha : null;
      const yTree = y?.mode === TREE_MODE ? y.sha : null;
      if (y && !yTree) steps.push({ key: name, run: () => void out.push({ path: prefix + name, to: { mode: y.mode, sha: y.sha } }) });
      else if (x && !xTree) steps.push({ key: name, run: () => void out.push({ path: prefix + name, to: null }) });
      if (xTree || yTree) steps.push({ key: `${name}/`, run: () => this.compare(xTree, yTree, `${prefix}${name}/`, out) });
    }
    for (const step of steps.sort((p, q) => (p.key < q.key ? -1 : 1))) await step.run();
  }

  /**
   * Copies tree `tree` of `source` into this git dir as loose objects, in-process: the trees and blobs that differ from
   * tree `base`, which this dir holds (a fork's sandbox on the snapshot its source's checkpoint was made on copies only
   * the checkpoint's own changes). Loose, its trees are then read here without git, where a pack (`index-pack`) would
   * cost a git process per tree read. A tree `source` lacks is an UnknownCheckpointError.
   */
  async copyTree(source: GitObjects, tree: string, base: string): Promise<void> {
    const blobs = new Set<string>();
    const copy = async (have: string | null, want: string): Promise<void> => {
      if (have === want) return;
      const [mine, entries] = await Promise.all([have ? this.readTree(have) : [], source.readTree(want)]);
      const held = new Map(mine.map((e) => [e.name, e]));
      // Subtrees side by side: each step is a few small file operations, which the thread pool overlaps.
      const subtrees: Promise<void>[] = [];
      for (const e of entries) {
        const old = held.get(e.name);
        if (old?.mode === e.mode && old.sha === e.sha) continue;
        if (e.mode === TREE_MODE) subtrees.push(copy(old?.mode === TREE_MODE ? old.sha : null, e.sha));
        else if (e.mode !== GITLINK_MODE) blobs.add(e.sha);
      }
      await Promise.all(subtrees);
      if ((await this.write('tree', serializeTree(entries))) !== want) throw new Error(`tree ${want} of ${source.gitDir} does not serialize to its own id`);
    };
    const missing = () => new UnknownCheckpointError(`checkpoint ${tree} is not in ${source.gitDir}`);
    if (!/^[0-9a-f]{40}$/.test(tree)) throw missing();
    try {
      if (path.resolve(source.gitDir) === path.resolve(this.gitDir)) await this.readTree(tree);
      else if (!(await this.readLoose(tree, 'tree'))) await copy(base, tree);
    } catch (err) {
      throw err instanceof GitError ? missing() : err;
    }
    await Promise.all([...(await source.readBlobs([...blobs])).values()].map((body) => this.write('blob', body)));
  }

  /** Blob contents by id: loose ones read here, the rest (packed) from one `cat-file --batch`. */
  async readBlobs(shas: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    const packed: string[] = [];
    for (const sha of new Set(shas)) {
      const body = await this.readLoose(sha, 'blob');
      if (body) out.set(sha, body);
      else packed.push(sha);
    }
    for (const [sha, body] of await readPacked(this.gitDir, packed)) out.set(sha, body);
    return out;
  }

  /**
   * Tree `base` with `edits` applied (path → entry or deletion; paths in UTF-8 as the file system gives them).
   * Only the trees on the edited paths are read and written. A file where a directory was replaces it (deletions
   * below it are moot); a file below a path that was a file makes that path a directory; directories left empty go.
   */
  async edit(base: string, edits: ReadonlyMap<string, PathEdit>): Promise<string> {
    if (edits.size === 0) return base;
    const root: Edits = new Map();
    for (const [p, edit] of edits) place(root, Buffer.from(p, 'utf8').toString('latin1').split('/'), edit);
    return (await this.apply(base, root)) ?? this.write('tree', Buffer.alloc(0));
  }

  /** The tree `base` (null: none) with `edits` applied; null when nothing is left in it. */
  private async apply(base: string | null, edits: Edits): Promise<string | null> {
    const entries = new Map<string, RawEntry>();
    for (const e of base && base !== EMPTY_TREE ? await this.readTree(base) : []) entries.set(e.name, e);
    // Subtrees are written concurrently: each is a few file operations, and a checkpoint's edits span several.
    const subtrees = new Map<string, string | null>();
    await Promise.all(
      [...edits].map(async ([name, edit]) => {
        if (!(edit instanceof Map)) return;
        const old = entries.get(name);
        subtrees.set(name, await this.apply(old?.mode === TREE_MODE ? old.sha : null, edit));
      }),
    );
    for (const [name, edit] of edits) {
      const sub = edit instanceof Map ? subtrees.get(name) : undefined;
      if (sub) entries.set(name, { name, mode: TREE_MODE, sha: sub });
      else if (edit && !(edit instanceof Map)) entries.set(name, { name, mode: edit.mode, sha: edit.sha });
      else entries.delete(name);
    }
    if (entries.size === 0) return null;
    const list = [...entries.values()];
    const sha = await this.write('tree', serializeTree(list));
    this.remember(sha, list);
    return sha;
  }
}

function place(into: Edits, parts: readonly string[], edit: PathEdit): void {
  const [head, ...rest] = parts as [string, ...string[]];
  const here = into.get(head);
  if (rest.length === 0) {
    // Edits name files. An entry is set whatever was there; a deletion never undoes what is set at or below its path
    // (a file that became a directory: its old entry goes when the directory's tree replaces it).
    if (edit || here === undefined || here === null) into.set(head, edit);
    return;
  }
  if (here instanceof Map) return place(here, rest, edit);
  if (here && !edit) return; // a file now at `head`: deleting below it changes nothing
  const sub: Edits = new Map();
  into.set(head, sub);
  place(sub, rest, edit);
}

/** Blob contents by id from one `cat-file --batch` (an id git lacks is an UnknownCheckpointError). */
export async function readPacked(gitDir: string, shas: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (shas.length === 0) return out;
  const buf = await git(['cat-file', '--batch'], { env: isolatedGitEnv({ GIT_DIR: gitDir }), input: Buffer.from(shas.map((s) => `${s}\n`).join('')) });
  let at = 0;
  while (at < buf.length) {
    const eol = buf.indexOf(10, at);
    const header = buf.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    if (header[1] === 'missing') throw new UnknownCheckpointError(`object ${header[0]} of the checkpoint is missing from ${gitDir}`);
    const size = Number(header[2]);
    out.set(header[0] as string, buf.subarray(at, at + size));
    at += size + 1;
  }
  return out;
}

/** A checkpoint the sandbox does not hold (a typo, another session's, or storage that lost it). */
export class UnknownCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownCheckpointError';
  }
}
