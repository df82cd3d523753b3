import { chmod, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { MEMORY_DIR, memoryStoreSlug, type Actor, type MemoryStoreResource, type ResourceParams } from '../wire';
import type { Sandbox, SandboxMount, SandboxProvider } from '../sandbox/types';
import { writeFileAtomic } from '../log/fsutil';
import { readJsonFile } from '../log/json-file';
import { RuntimeError, damaged, invalid } from './errors';
import { sha256Hex, type MemoryStores } from './memory-stores';
import type { SessionRecord } from './session-record';

// A session's memory stores (reference §7.3, §7.8): each attached store is written out as files into the session's
// folder when the session is made, and the sandbox shows that folder at /mnt/memory/<slug>:
//   <session>/memory/<store id>/        the store's memories, one file per path
//   <session>/memory/<store id>.json    read_write: what the folder held after the last sync (path -> memory, sha)
// read_write: the folder is bound writable (Docker) or linked (local); after each tool call what changed in it becomes
// memory versions by the session (created, modified, deleted). read_only: Docker binds it read-only; the local
// provider copies it read-only and, since a command can chmod the copy back, puts it back after a tool call changed
// it, and says so in the tool result.

const Baseline = z.record(z.string(), z.object({ id: z.string(), sha: z.string() }));
type Baseline = z.infer<typeof Baseline>;

export interface MemorySpec {
  /** read_only stores, shown read-only. */
  mounts: SandboxMount[];
  /** read_write stores, bound writable. */
  writable: SandboxMount[];
}

export class SessionMemory {
  /** One sync at a time per session: sub-agent threads' tool calls end concurrently. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Problems already reported (path and content), so a file that cannot be saved is not reported after every call. */
  private readonly reported = new Map<string, Set<string>>();

  constructor(
    private readonly stores: MemoryStores,
    private readonly sessionsDir: string,
    private readonly provider: SandboxProvider,
  ) {}

  /** The memory_store resources of a new session, checked: each store exists, is active, and has a folder of its own. */
  async plan(params: readonly ResourceParams[]): Promise<MemoryStoreResource[]> {
    const out: MemoryStoreResource[] = [];
    for (const p of params) {
      if (p.type !== 'memory_store') continue;
      const store = await this.stores.active(p.memory_store_id);
      if (out.some((r) => r.memory_store_id === store.id)) throw invalid(`Memory store ${store.id} is attached twice; attach each store once.`);
      const mount = `${MEMORY_DIR}/${memoryStoreSlug(store.name)}`;
      const twin = out.find((r) => r.mount_path === mount);
      if (twin) throw invalid(`Memory stores ${twin.memory_store_id} and ${store.id} would both be mounted at ${mount} (their names make the same folder name); rename one of them.`);
      out.push({
        type: 'memory_store',
        memory_store_id: store.id,
        access: p.access ?? 'read_write',
        instructions: p.instructions ?? null,
        name: store.name,
        description: store.description,
        mount_path: mount,
      });
    }
    return out;
  }

  /** Writes each attached store's memories into the session's folder. */
  async place(record: SessionRecord): Promise<void> {
    for (const r of memoryResources(record)) {
      const dir = this.folder(record.id, r);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const writable = r.access === 'read_write';
      const baseline: Baseline = {};
      for (const m of await this.stores.data(r.memory_store_id).memories()) {
        const file = path.join(dir, ...m.path.slice(1).split('/'));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, m.content ?? '');
        baseline[m.path] = { id: m.id, sha: m.content_sha256 };
      }
      // The container's user is not the host's: a writable store is writable by anyone who can reach the folder
      // (the session's folder), a read-only one readable.
      await setModes(dir, writable ? 0o777 : 0o755, writable ? 0o666 : 0o644);
      if (writable) await writeFileAtomic(this.baselineFile(record.id, r), JSON.stringify(baseline));
    }
  }

  spec(record: SessionRecord): MemorySpec {
    const resources = memoryResources(record);
    const mount = (r: MemoryStoreResource) => ({ source: this.folder(record.id, r), target: r.mount_path });
    return { mounts: resources.filter((r) => r.access === 'read_only').map(mount), writable: resources.filter((r) => r.access === 'read_write').map(mount) };
  }

  /** After a tool call: saves what changed in writable stores, undoes changes to read-only ones. A note for the tool result, or null. */
  afterTool(record: SessionRecord): Promise<string | null> {
    if (memoryResources(record).length === 0) return Promise.resolve(null);
    const previous = this.chains.get(record.id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.sync(record));
    this.chains.set(record.id, next);
    return next;
  }

  /** The system prompt's part on memory: where each store is, what it is for, and the attachment's instructions. */
  note(record: SessionRecord, where: (target: string) => string): string {
    const resources = memoryResources(record);
    if (resources.length === 0) return '';
    const lines = resources.map((r) => {
      const what = [r.description && `${r.description}.`, r.instructions].filter(Boolean).join(' ');
      return `- ${where(r.mount_path)} (${r.access === 'read_only' ? 'read-only' : 'read-write'}; memory store "${r.name}")${what ? `: ${what}` : ''}`;
    });
    return [
      '',
      '',
      'Memory: folders of text files that persist beyond this session. Read them with shell commands (cat, ls, grep) before you start; in a read-write store, write what future sessions should know as files there (with shell commands, one topic a file, at most 100 KB each). Every change is kept as a version of the memory.',
      ...lines,
    ].join('\n');
  }

  private async sync(record: SessionRecord): Promise<string | null> {
    const notes: string[] = [];
    for (const r of memoryResources(record)) {
      if (r.access === 'read_write') notes.push(...(await this.save(record, r)));
      else if (this.provider.kind === 'local') notes.push(...(await this.restore(record, r)));
    }
    return notes.length > 0 ? notes.join('\n') : null;
  }

  /** Turns what changed in a writable store's folder since the last sync into versions by the session. */
  private async save(record: SessionRecord, r: MemoryStoreResource): Promise<string[]> {
    const actor: Actor = { type: 'session_actor', session_id: record.id };
    const baselineFile = this.baselineFile(record.id, r);
    const baseline = (await readJsonFile(baselineFile, Baseline, (m) => damaged(`The memory sync state of session ${record.id} is damaged: ${m}.`))) ?? {};
    const { files, problems } = await scanFolder(this.folder(record.id, r));
    const next: Baseline = {};
    const notes: string[] = [];
    const report = (key: string, text: string) => {
      const seen = this.reported.get(record.id) ?? new Set<string>();
      this.reported.set(record.id, seen);
      if (!seen.has(key)) notes.push(text);
      seen.add(key);
    };
    for (const p of problems) report(p, `[memory] ${r.mount_path}${p} was not saved: it is not a regular file (memories are text files).`);
    const store = r.memory_store_id;
    for (const [memoryPath, bytes] of files) {
      const known = baseline[memoryPath];
      const content = bytes.toString('utf8');
      const sha = sha256Hex(content);
      if (!Buffer.from(content, 'utf8').equals(bytes)) {
        report(`${memoryPath}:${sha}`, `[memory] ${r.mount_path}${memoryPath} was not saved: it is not UTF-8 text.`);
        if (known) next[memoryPath] = known;
        continue;
      }
      if (known?.sha === sha) {
        next[memoryPath] = known;
        continue;
      }
      try {
        const saved = known ? await this.update(store, known.id, memoryPath, content, actor) : await this.create(store, memoryPath, content, actor);
        next[memoryPath] = { id: saved.id, sha };
      } catch (err) {
        if (!(err instanceof RuntimeError)) throw err;
        report(`${memoryPath}:${sha}`, `[memory] ${r.mount_path}${memoryPath} was not saved: ${err.message}`);
        if (known) next[memoryPath] = known;
      }
    }
    for (const [memoryPath, known] of Object.entries(baseline)) {
      if (files.has(memoryPath)) continue;
      await this.stores.deleteMemory(store, known.id, actor).catch((err: unknown) => {
        if (!(err instanceof RuntimeError && err.status === 404)) throw err;
      });
    }
    await writeFileAtomic(baselineFile, JSON.stringify(next));
    return notes;
  }

  /** A memory created meanwhile at the same path (another session, the API) is updated instead: no write is lost. */
  private async create(store: string, memoryPath: string, content: string, actor: Actor): Promise<{ id: string }> {
    try {
      return await this.stores.createMemory(store, { path: memoryPath, content }, actor, 'basic');
    } catch (err) {
      if (err instanceof RuntimeError && err.type === 'memory_path_conflict_error' && err.fields?.conflicting_path === memoryPath && err.fields.conflicting_memory_id) {
        return this.stores.updateMemory(store, err.fields.conflicting_memory_id, { content }, actor, 'basic');
      }
      throw err;
    }
  }

  /** A memory deleted meanwhile is made again. */
  private async update(store: string, id: string, memoryPath: string, content: string, actor: Actor): Promise<{ id: string }> {
    try {
      return await this.stores.updateMemory(store, id, { content }, actor, 'basic');
    } catch (err) {
      if (err instanceof RuntimeError && err.status === 404) return this.create(store, memoryPath, content, actor);
      throw err;
    }
  }

  /** Puts a read-only store's local copy back when a command changed it. */
  private async restore(record: SessionRecord, r: MemoryStoreResource): Promise<string[]> {
    const source = this.folder(record.id, r);
    const copy = this.provider.mountedAt?.(record.id, r.mount_path);
    if (!copy) return [];
    const [want, have] = await Promise.all([scanFolder(source), scanFolder(copy)]);
    const changed = new Set<string>();
    for (const [p, bytes] of have.files) if (!want.files.get(p)?.equals(bytes)) changed.add(p);
    for (const p of want.files.keys()) if (!have.files.has(p)) changed.add(p);
    for (const p of have.problems) changed.add(p);
    if (changed.size === 0) return [];
    await this.provider.mount(record.id, { source, target: r.mount_path });
    const list = [...changed].sort().slice(0, 10).join(', ');
    return [`[memory] ${r.mount_path} is a read-only memory store: the changes to ${list}${changed.size > 10 ? ' and more' : ''} were undone. Keep notes elsewhere (for example in the workspace).`];
  }

  private folder(sessionId: string, r: MemoryStoreResource): string {
    return path.join(this.sessionsDir, sessionId, 'memory', r.memory_store_id);
  }

  private baselineFile(sessionId: string, r: MemoryStoreResource): string {
    return path.join(this.sessionsDir, sessionId, 'memory', `${r.memory_store_id}.json`);
  }
}

export function memoryResources(record: Pick<SessionRecord, 'resources'>): MemoryStoreResource[] {
  return record.resources.filter((r): r is MemoryStoreResource => r.type === 'memory_store');
}

/** The regular files under `dir` by memory path (`/a/b.md`), and the paths of anything else that is not a folder. */
async function scanFolder(dir: string): Promise<{ files: Map<string, Buffer>; problems: string[] }> {
  const files = new Map<string, Buffer>();
  const problems: string[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const e of await readdir(abs, { withFileTypes: true }).catch(() => [])) {
      const childAbs = path.join(abs, e.name);
      const childRel = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(childAbs, childRel);
      else if (e.isFile()) files.set(childRel, await readFile(childAbs));
      else problems.push(childRel);
    }
  };
  if (await lstat(dir).catch(() => null)) await walk(dir, '');
  return { files, problems };
}

async function setModes(dir: string, dirMode: number, fileMode: number): Promise<void> {
  await chmod(dir, dirMode);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await setModes(p, dirMode, fileMode);
    else await chmod(p, fileMode);
  }
}

/** The sandbox with a memory sync after every tool call; what the sync says is added to the call's result. */
export function syncingSandbox(sandbox: Sandbox, afterTool: () => Promise<string | null>): Sandbox {
  return {
    sessionId: sandbox.sessionId,
    workdir: sandbox.workdir,
    async execute(name, input, options) {
      const outcome = await sandbox.execute(name, input, options);
      const note = await afterTool().catch((err: unknown) => `[memory] The memory stores could not be saved after this call: ${err instanceof Error ? err.message : String(err)}`);
      return note ? { ...outcome, content: [...outcome.content, { type: 'text', text: note }] } : outcome;
    },
    changes: () => sandbox.changes(),
    checkpoint: () => sandbox.checkpoint(),
    restore: (checkpoint) => sandbox.restore(checkpoint),
    readFile: (file, side) => sandbox.readFile(file, side),
    closeShell: (shell) => sandbox.closeShell(shell),
    release: () => sandbox.release(),
  };
}
