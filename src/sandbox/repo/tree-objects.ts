import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { errnoCode } from '../../tools/paths';
import { git, isolatedGitEnv } from './git';

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
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const CACHE_LIMIT = 20_000;

export interface RawEntry {
  /** The name's bytes as latin1. */
  name: string;
  /** git's mode as the tree holds it: 100644, 100755, 120000, 160000, or 40000 for a tree. */
  mode: string;
  sha: string;
}

/** A path's new entry in an edit (mode and blob id), or null: the path goes. */
export type PathEdit = { mode: string; sha: string } | null;

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
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])));
    await fs.rename(tmp, file);
    return sha;
  }

  /** An object's body, loose or from git; `type` is checked. */
  private async read(sha: string, type: 'tree' | 'blob'): Promise<Buffer> {
    let raw: Buffer | null = null;
    for (const objects of [path.join(this.gitDir, 'objects'), ...this.borrowed]) {
      try {
        raw = inflateSync(await fs.readFile(this.loosePath(sha, objects)));
        break;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    if (!raw) return git(['cat-file', type, sha], { env: isolatedGitEnv({ GIT_DIR: this.gitDir }) });
    const nul = raw.indexOf(0);
    const header = raw.toString('latin1', 0, nul);
    if (!header.startsWith(`${type} `)) throw new Error(`object ${sha} in ${this.gitDir} is a ${header.split(' ')[0]}, not a ${type}`);
    return raw.subarray(nul + 1);
  }

  async readTree(sha: string): Promise<RawEntry[]> {
    const known = this.trees.get(sha);
    if (known) return known;
    const entries = parseTree(await this.read(sha, 'tree'));
    this.remember(sha, entries);
    return entries;
  }

  private remember(sha: string, entries: RawEntry[]): void {
    if (this.trees.size >= CACHE_LIMIT) this.trees.clear();
    this.trees.set(sha, entries);
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
    for (const [name, edit] of edits) {
      if (edit instanceof Map) {
        const old = entries.get(name);
        const sub = await this.apply(old?.mode === TREE_MODE ? old.sha : null, edit);
        if (sub) entries.set(name, { name, mode: TREE_MODE, sha: sub });
        else entries.delete(name);
      } else if (edit) entries.set(name, { name, mode: edit.mode, sha: edit.sha });
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
