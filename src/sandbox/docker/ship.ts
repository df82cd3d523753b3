import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Duplex, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack, type Header, type Pack } from 'tar-stream';
import { attachExec, execCollect, waitExitCode, type Container } from './client';
import type { Hands, ToolRunner } from './hands';
import type { ContainerSettings } from './state';

// A remote engine shares no filesystem with this host, so a session's binds (file resources and skills read-only;
// the outputs directory and read-write memory stores writable) become copies sent through the engine's archive API:
// all of them when a container starts, and the writable ones kept in step around every tool call. After a call the
// container's copy is mirrored into the host directory (what the runtime captures and syncs reads it there, as with
// a bind); before a call a host directory that changed since (a memory sync put a file back) replaces the container's.
// Only regular files and directories cross; a symlink or device the agent makes stays in the container.

type Bind = ContainerSettings['binds'][number];

interface Owner {
  uid: number;
  gid: number;
}

function dirEntry(archive: Pack, header: Partial<Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => archive.entry(header, (err) => (err ? reject(err) : resolve())));
}

function fileEntry(archive: Pack, header: Partial<Header> & { name: string }, source: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = archive.entry(header, (err) => (err ? reject(err) : resolve()));
    createReadStream(source).on('error', reject).pipe(sink as unknown as Writable);
  });
}

/** Packs a host file or folder as `name` (no leading slash): read-only as root's, or writable as the sandbox user's. */
async function packPath(archive: Pack, source: string, name: string, readOnly: boolean, owner: Owner): Promise<void> {
  const st = await fs.stat(source);
  const who = readOnly ? { uid: 0, gid: 0 } : owner;
  if (st.isFile()) {
    await fileEntry(archive, { name, size: st.size, mode: readOnly ? 0o444 : 0o644, mtime: st.mtime, ...who }, source);
    return;
  }
  await dirEntry(archive, { name: `${name}/`, type: 'directory', mode: readOnly ? 0o555 : 0o755, mtime: st.mtime, ...who });
  for (const e of await fs.readdir(source, { withFileTypes: true })) {
    if (e.isFile() || e.isDirectory()) await packPath(archive, path.join(source, e.name), `${name}/${e.name}`, readOnly, owner);
  }
}

/**
 * Where the time of a writable target's last copy is kept in the container: root's file in the sticky /var/tmp, which
 * the agent cannot change. It is made in the container, by the copy itself, so only the engine's clock counts (this
 * host's may differ); a new container has none, and its first bash call copies the targets once.
 */
const markerOf = (target: string) => `/var/tmp/.hangar-synced${target.replace(/\//g, '_')}`;

async function put(container: Container, binds: readonly Bind[], owner: Owner): Promise<void> {
  const archive = pack();
  const packed = (async () => {
    for (const b of binds) await packPath(archive, b.source, b.target.replace(/^\/+/, ''), b.readOnly, owner);
    archive.finalize();
  })();
  packed.catch((err: unknown) => archive.destroy(err as Error));
  await Promise.all([container.putArchive(Readable.from(archive), { path: '/' }), packed]);
}

/** Sends every bind's host content to its target: done once per container, after it starts. */
export async function shipBinds(container: Container, settings: ContainerSettings): Promise<void> {
  const present: Bind[] = [];
  for (const b of settings.binds) if (await fs.stat(b.source).catch(() => null)) present.push(b);
  if (present.length > 0) await put(container, present, settings);
}

/** path, size and mtime of everything under `dir`: equal signatures, nothing changed there. */
async function signature(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(abs, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = path.join(abs, e.name);
      const st = await fs.lstat(child).catch(() => null);
      if (!st) continue;
      h.update(`${rel}/${e.name}\0${st.isDirectory() ? 'd' : st.size}\0${st.mtimeMs}\0`);
      if (st.isDirectory()) await walk(child, `${rel}/${e.name}`);
    }
  };
  await walk(dir, '');
  return h.digest('hex');
}

/** A relative path from an archive that stays inside its root, or null. */
function safeRel(name: string): string | null {
  const parts = name.split('/').slice(1).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) return parts.length === 0 ? '' : null;
  return parts.join('/');
}

async function sameFile(abs: string, header: Pick<Header, 'size' | 'mtime'>): Promise<boolean> {
  const st = await fs.lstat(abs).catch(() => null);
  return !!st && st.isFile() && st.size === header.size && Math.floor(st.mtimeMs / 1000) === Math.floor((header.mtime?.getTime() ?? 0) / 1000);
}

/**
 * Marks the time of the copy (before it, so a write during the copy is seen next time), then lists the target's files
 * as tar on stdout (nothing when the agent removed the directory).
 */
const TAR_SCRIPT = ': > "$2"; cd "$1" 2>/dev/null || exit 0; exec tar -cf - .';

/**
 * Mirrors the container's `target` into host `dir`: writes new and changed files (keeping their mtime), removes the
 * rest. The files come from a tar run in the container: the engine's own archive endpoint takes ~0.5 s a call here.
 */
async function mirror(container: Container, target: string, dir: string): Promise<void> {
  const proc = await attachExec(container, { cmd: ['sh', '-c', TAR_SCRIPT, 'sh', target, markerOf(target)], user: '0' });
  (proc.stdin as Duplex & { end(): void }).end();
  const stderr: Buffer[] = [];
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  const seen = new Set<string>(['']);
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const rel = safeRel(header.name);
    const done = (err?: unknown) => (err ? ex.destroy(err as Error) : next());
    const skip = () => {
      stream.on('end', () => done());
      stream.resume();
    };
    if (rel === null || rel === '' || (header.type !== 'file' && header.type !== 'directory')) return skip();
    for (let p = rel; p !== '.'; p = path.posix.dirname(p)) seen.add(p);
    const abs = path.join(dir, rel);
    if (header.type === 'directory') {
      fs.lstat(abs)
        .then((st) => (st.isDirectory() ? undefined : fs.rm(abs, { recursive: true, force: true }).then(() => fs.mkdir(abs, { recursive: true }))))
        .catch(() => fs.mkdir(abs, { recursive: true }))
        .then(skip, done);
      return;
    }
    sameFile(abs, header)
      .then(async (same) => {
        if (same) return skip();
        await fs.mkdir(path.dirname(abs), { recursive: true });
        // Never write through a link or into a directory that stands where the file now is.
        await fs.rm(abs, { recursive: true, force: true });
        await pipeline(stream, createWriteStream(abs, { mode: 0o644 }));
        if (header.mtime) await fs.utimes(abs, header.mtime, header.mtime);
        next();
      })
      .catch(done);
  });
  await pipeline(proc.stdout, ex);
  const code = await waitExitCode(proc);
  if (code !== 0) throw new Error(`reading ${target} in the sandbox failed (exit ${code}): ${Buffer.concat(stderr).toString('utf8').trim().slice(0, 500)}`);
  await prune(dir, '', seen);
}

/** Removes what is under `dir` but not in `seen` (the container no longer has it). */
async function prune(dir: string, rel: string, seen: ReadonlySet<string>): Promise<void> {
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (!seen.has(child)) await fs.rm(path.join(dir, child), { recursive: true, force: true });
    else if (e.isDirectory()) await prune(dir, child, seen);
  }
}



// Prints the index of each target that holds something at least as new as its marker (or has no marker yet), with
// bash builtins only: a process started in a sandbox costs tens of ms here, a `docker exec` ~0.4 s. A deletion or
// rename shows as its folder's new mtime; only a file whose mtime is set back into the past goes unseen until its
// folder changes.
const CHANGED_SCRIPT = `shopt -s globstar dotglob nullglob
i=0; for t; do m="/var/tmp/.hangar-synced\${t//\\//_}"
  if [[ ! -e $m ]]; then echo "changed $i"; else for f in "$t" "$t"/**; do if ! [[ $m -nt $f ]]; then echo "changed $i"; break; fi; done; fi
  i=$((i+1)); done`;
/** The tool server's shell the check runs in: its own, so the agent's cwd, variables and options are not touched. */
const SYNC_SHELL = 'hangar-sync';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Indexes of the targets changed since their last copy, asked through the tools (the tool server: a few ms). */
async function changedTargets(runner: ToolRunner, targets: readonly string[]): Promise<Set<number>> {
  const outcome = await runner.run('bash', { command: `set -- ${targets.map(quote).join(' ')}\n${CHANGED_SCRIPT}` }, undefined, undefined, SYNC_SHELL);
  if (outcome.is_error) return new Set(targets.map((_, i) => i));
  const text = outcome.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  return new Set([...text.matchAll(/^changed (\d+)$/gm)].map((m) => Number(m[1])));
}

/** Tools that can write outside /workspace (the file tools are confined to it): only after these can a target change. */
const WRITES_ELSEWHERE = new Set(['bash']);

/** Keeps the writable binds of a shipped container and their host directories in step, around each tool call. */
export class WritableSync {
  /** Host directory signature per target as of the last sync. */
  private readonly synced = new Map<string, string>();

  constructor(private readonly settings: ContainerSettings) {}

  private writable(): Bind[] {
    return this.settings.binds.filter((b) => !b.readOnly);
  }

  /** Sends host directories that changed since the last sync (or were never synced by this process). */
  async before(container: Container): Promise<void> {
    for (const b of this.writable()) {
      const now = await signature(b.source);
      if (this.synced.get(b.target) === now) continue;
      if (this.synced.has(b.target)) {
        const r = await execCollect(container, { cmd: ['sh', '-c', 'find "$1" -mindepth 1 -delete', 'sh', b.target], user: '0' });
        if (r.exitCode !== 0) throw new Error(`clearing ${b.target} in the sandbox failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
        await put(container, [b], this.settings);
      }
      this.synced.set(b.target, now);
    }
  }

  /** After tool `name`: mirrors each writable target that changed in the container into its host directory. */
  async after(hands: Hands, name: string): Promise<void> {
    const binds = this.writable();
    if (binds.length === 0 || !WRITES_ELSEWHERE.has(name)) return;
    const changed = await changedTargets(hands.runner, binds.map((b) => b.target));
    for (const [i, b] of binds.entries()) {
      if (!changed.has(i)) continue;
      await fs.mkdir(b.source, { recursive: true });
      await mirror(hands.container, b.target, b.source);
      this.synced.set(b.target, await signature(b.source));
    }
  }

}
