import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { buildAgentGit, repoHead } from '../repo/agent-git';
import { listRepository } from '../repo/listing';
import { checkRepoPath } from '../repo/paths';
import { writeFileAtomic } from '../../log/fsutil';

// Host-side snapshots of a repository: an immutable copy of the files the sandbox gets, used as the read-only lower
// layer of every session's overlay volume. A snapshot is never modified once built, so sessions share it, and the
// user's later edits to the real repository cannot leak into a running session (the copy holds its own inodes).
//
// Snapshots are keyed by the stat manifest of the listed files (path, kind, mode, size, mtime ns, inode): while the
// repository is unchanged the latest snapshot is reused as is; after a change the new one is built from the previous
// one with hard links for unchanged files and fresh copies only for changed ones. Entries modified within
// RACY_WINDOW_MS of a build are never trusted by stat alone (an in-place write in the same clock tick keeps mtime).
//
// The tree also holds the agent's .git (repo/agent-git.ts: a shallow clone at the user's HEAD), so the key names
// HEAD too: a commit that changed no file still gives the agent its new history. The manifest lists the files only;
// the overlay's changes() never looks into .git, so the agent's commits there are never part of a review diff.

const RACY_WINDOW_MS = 2000;
const YIELD_EVERY = 256;
const BIG_FILE = 1 << 20;

export interface Owner {
  uid: number;
  gid: number;
}

const Row = z.tuple([z.string(), z.enum(['f', 'l']), z.number(), z.number(), z.string(), z.string()]);
type Row = z.infer<typeof Row>; // [path, kind, mode, size, mtimeNs, ino]

const Manifest = z.object({
  version: z.literal(1),
  builtAtMs: z.number(),
  owner: z.object({ uid: z.number(), gid: z.number() }).nullable(),
  rows: z.array(Row),
});
type Manifest = z.infer<typeof Manifest>;

const Pointer = z.object({ id: z.string(), key: z.string(), racy: z.boolean() });

/** The lower layer as the overlay code needs it: which paths are files (with kind and mode) and which are dirs. */
export interface LowerIndex {
  tree: string;
  files: Map<string, { kind: 'f' | 'l'; mode: number }>;
  dirs: Set<string>;
  /** File paths, sorted: the files below a directory are one contiguous run. */
  sorted: string[];
}

export interface SnapshotInfo {
  id: string;
  /** Host directory holding the files (the overlay's lower dir). */
  tree: string;
  files: number;
  reused: boolean;
  copied: number;
  linked: number;
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export class SnapshotStore {
  private readonly inflight = new Map<string, Promise<SnapshotInfo>>();
  private readonly lowers = new Map<string, Promise<LowerIndex>>();

  constructor(private readonly root: string) {}

  treeOf(id: string): string {
    return path.join(this.root, 'snapshots', id, 'tree');
  }

  /** The snapshot for the repository's current state, reusing or extending the latest one. */
  prepare(repoPath: string | undefined, owner: Owner | null, onProgress?: (m: string) => void): Promise<SnapshotInfo> {
    const repoKey = hash(`${repoPath ? path.resolve(repoPath) : '<empty>'}\0${owner ? `${owner.uid}:${owner.gid}` : '-'}`);
    const running = this.inflight.get(repoKey);
    if (running) return running;
    const job = this.build(repoKey, repoPath, owner, onProgress).finally(() => this.inflight.delete(repoKey));
    this.inflight.set(repoKey, job);
    return job;
  }

  /** The file index of a snapshot (immutable, so cached). */
  lower(id: string): Promise<LowerIndex> {
    let index = this.lowers.get(id);
    if (!index) {
      index = this.loadLower(id);
      index.catch(() => this.lowers.delete(id));
      this.lowers.set(id, index);
    }
    return index;
  }

  private async loadLower(id: string): Promise<LowerIndex> {
    const manifest = await readJson(path.join(this.root, 'snapshots', id, 'manifest.json'), Manifest);
    if (!manifest) throw new Error(`snapshot ${id} is missing or damaged; the session's baseline is gone`);
    const files = new Map<string, { kind: 'f' | 'l'; mode: number }>();
    const dirs = new Set<string>();
    for (const [rel, kind, mode] of manifest.rows) {
      files.set(rel, { kind, mode });
      for (let d = path.posix.dirname(rel); d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
    }
    return { tree: this.treeOf(id), files, dirs, sorted: manifest.rows.map((r) => r[0]) };
  }

  /** Removes snapshots that are neither in use nor the latest of some repository. */
  async gc(inUse: ReadonlySet<string>): Promise<string[]> {
    const keep = new Set(inUse);
    for (const name of await readdirSafe(path.join(this.root, 'repos'))) {
      const p = await readJson(path.join(this.root, 'repos', name), Pointer);
      if (p) keep.add(p.id);
    }
    const removed: string[] = [];
    for (const id of await readdirSafe(path.join(this.root, 'snapshots'))) {
      if (keep.has(id)) continue;
      this.lowers.delete(id);
      await fsp.rm(path.join(this.root, 'snapshots', id), { recursive: true, force: true });
      removed.push(id);
    }
    return removed;
  }

  private async racyRowsMatch(id: string, repo: string, rows: Row[]): Promise<boolean> {
    const manifest = await readJson(path.join(this.root, 'snapshots', id, 'manifest.json'), Manifest);
    if (!manifest) return false;
    for (const row of rows) {
      if (!isRacy(row, manifest.builtAtMs)) continue;
      const read = (root: string) => (row[1] === 'l' ? fsp.readlink(path.join(root, row[0])).then((t) => Buffer.from(t)) : fsp.readFile(path.join(root, row[0])));
      const [a, b] = await Promise.all([read(repo), read(this.treeOf(id))]).catch(() => [null, null]);
      if (!a || !b || !a.equals(b)) return false;
    }
    return true;
  }

  private async build(repoKey: string, repoPath: string | undefined, owner: Owner | null, onProgress?: (m: string) => void): Promise<SnapshotInfo> {
    const rows = repoPath ? await statFiles(repoPath, (await listRepository(repoPath)).files) : [];
    const head = repoPath ? await repoHead(repoPath) : null;
    const key = hash(`${owner ? `${owner.uid}:${owner.gid}` : '-'}\n${head ? `${head.commit} ${head.branch ?? '-'}` : '-'}\n${rows.map((r) => r.join('\0')).join('\n')}`);
    const pointerPath = path.join(this.root, 'repos', `${repoKey}.json`);
    const pointer = await readJson(pointerPath, Pointer);
    if (pointer && pointer.key === key && fs.existsSync(this.treeOf(pointer.id))) {
      // Entries written just before the last build could have changed since without a stat trace: compare those few
      // by content; when they still match, the snapshot is current and no longer racy as of now.
      const now = Date.now();
      if (!pointer.racy || (await this.racyRowsMatch(pointer.id, repoPath ?? '', rows))) {
        if (pointer.racy) await writeJsonAtomic(pointerPath, { ...pointer, racy: rows.some((r) => isRacy(r, now)) });
        return { id: pointer.id, tree: this.treeOf(pointer.id), files: rows.length, reused: true, copied: 0, linked: 0 };
      }
    }
    const previous = pointer ? await readJson(path.join(this.root, 'snapshots', pointer.id, 'manifest.json'), Manifest) : null;
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const staging = path.join(this.root, 'snapshots', `.tmp-${id}`);
    const builtAtMs = Date.now();
    const counts = await populate(staging, repoPath ?? '', rows, owner, previous && pointer ? { manifest: previous, tree: this.treeOf(pointer.id) } : null, onProgress);
    if (repoPath) await addAgentGit(path.join(staging, 'tree'), repoPath, rows, owner);
    const manifest: Manifest = { version: 1, builtAtMs, owner, rows };
    await fsp.writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest));
    await fsp.rename(staging, path.join(this.root, 'snapshots', id));
    const racy = rows.some((r) => isRacy(r, builtAtMs));
    await writeJsonAtomic(pointerPath, { id, key, racy });
    return { id, tree: this.treeOf(id), files: rows.length, reused: false, ...counts };
  }
}

function isRacy(row: Row, builtAtMs: number): boolean {
  return Number(BigInt(row[4]) / 1_000_000n) >= builtAtMs - RACY_WINDOW_MS;
}

function isSafeRelative(rel: string): boolean {
  try {
    checkRepoPath(rel);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stats the listed files. A file below a symlinked directory (git still lists `a/x` after `a` became a link) is left
 * out: reading it would follow the link out of the repository.
 */
async function statFiles(root: string, files: string[]): Promise<Row[]> {
  const realDirs = new Map<string, boolean>([['.', true]]);
  const isRealDir = (rel: string): boolean => {
    const known = realDirs.get(rel);
    if (known !== undefined) return known;
    let ok = isRealDir(path.posix.dirname(rel));
    if (ok) {
      try {
        ok = fs.lstatSync(path.join(root, rel)).isDirectory();
      } catch {
        ok = false;
      }
    }
    realDirs.set(rel, ok);
    return ok;
  };
  const rows: Row[] = [];
  for (let i = 0; i < files.length; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
    const rel = files[i] as string;
    if (!isSafeRelative(rel) || !isRealDir(path.posix.dirname(rel))) continue;
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(path.join(root, rel), { bigint: true });
    } catch {
      continue; // listed by git but deleted in the work tree
    }
    if (st.isFile()) rows.push([rel, 'f', Number(st.mode & 0o777n), Number(st.size), st.mtimeNs.toString(), st.ino.toString()]);
    else if (st.isSymbolicLink()) rows.push([rel, 'l', 0o777, Number(st.size), st.mtimeNs.toString(), st.ino.toString()]);
  }
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

async function populate(
  tree: string,
  repo: string,
  rows: Row[],
  owner: Owner | null,
  previous: { manifest: Manifest; tree: string } | null,
  onProgress?: (m: string) => void,
): Promise<{ copied: number; linked: number }> {
  const prev = new Map<string, Row>();
  if (previous) for (const r of previous.manifest.rows) if (!isRacy(r, previous.manifest.builtAtMs)) prev.set(r[0], r);
  const root = path.join(tree, 'tree');
  const made = new Set<string>();
  const mkdirs = (dir: string): boolean => {
    if (made.has(dir)) return true;
    const parent = path.dirname(dir);
    if (dir !== root && !mkdirs(parent)) return false;
    try {
      fs.mkdirSync(dir, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A listed symlink took this name: nothing may be written through it.
      if (!fs.lstatSync(dir).isDirectory()) return false;
    }
    if (owner) fs.lchownSync(dir, owner.uid, owner.gid);
    made.add(dir);
    return true;
  };
  fs.mkdirSync(tree, { recursive: true });
  mkdirs(root);
  let copied = 0;
  let linked = 0;
  for (let i = 0; i < rows.length; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) {
      await yieldNow();
      if (onProgress && i % 2048 === 2047) onProgress(`snapshot: ${i + 1}/${rows.length} files`);
    }
    const row = rows[i] as Row;
    const [rel, kind, mode, size] = row;
    const dest = path.join(root, rel);
    if (!mkdirs(path.dirname(dest))) continue;
    const old = prev.get(rel);
    if (previous && old && old.join('\0') === row.join('\0')) {
      fs.linkSync(path.join(previous.tree, rel), dest);
      linked++;
      continue;
    }
    const src = path.join(repo, rel);
    if (kind === 'l') {
      fs.symlinkSync(fs.readlinkSync(src), dest);
    } else {
      if (size >= BIG_FILE) await fsp.copyFile(src, dest);
      else fs.writeFileSync(dest, fs.readFileSync(src));
      fs.chmodSync(dest, mode);
      // Keep mtimes so build tools inside see the same freshness as on the host.
      const mtime = Number(BigInt(row[4]) / 1000n) / 1e6;
      fs.utimesSync(dest, mtime, mtime);
    }
    if (owner) fs.lchownSync(dest, owner.uid, owner.gid);
    copied++;
  }
  return { copied, linked };
}

async function addAgentGit(tree: string, repoPath: string, rows: Row[], owner: Owner | null): Promise<void> {
  const gitDir = path.join(tree, '.git');
  await buildAgentGit({ repoPath, gitDir, workTree: tree, files: rows.map((r) => r[0]) });
  if (owner) await chownTree(gitDir, owner);
}

/** Gives a directory tree to the sandbox user, so the agent's git can write into it (copied up by the overlay). */
export async function chownTree(dir: string, owner: Owner): Promise<void> {
  await fsp.lchown(dir, owner.uid, owner.gid);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(abs, owner);
    else await fsp.lchown(abs, owner.uid, owner.gid);
  }
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => !n.startsWith('.tmp-'));
  } catch {
    return [];
  }
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const parsed = schema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(value));
}
