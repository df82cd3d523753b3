import { createHash } from 'node:crypto';
import path from 'node:path';
import * as z from 'zod';
import {
  MAX_MEMORY_BYTES,
  MemoryStore,
  applyMetadataPatch,
  newId,
  nowIso,
  type Actor,
  type DeletedMemory,
  type DeletedMemoryStore,
  type Memory,
  type MemoryCreateParams,
  type MemoryPrefix,
  type MemoryStoreCreateParams,
  type MemoryStoreUpdateParams,
  type MemoryUpdateParams,
  type MemoryVersion,
  type MemoryVersionOperation,
  type MemoryView,
} from '../wire';
import { InvalidIdError, JsonStore, type Page } from '../log';
import { collectPage, decodeCursor, encodeCursor } from '../log/paging';
import { MemoryData, type MemoryChange } from './memory-data';
import { checkMemoryPath, checkPathPrefix, listUnder, pathsOverlap } from './memory-paths';
import { RuntimeError, invalid, notFound } from './errors';

// The memory store API (reference §2.8, §7.8): stores as JSON records (<storage>/memory_stores/<id>.json), each
// store's memories and versions in <storage>/memory-data/<id>/ (memory-data.ts keeps them durable). Every change is
// a version naming who made it: the API, a user in VS Code, or a session writing to its mounted store.

/** Who the local API's callers are: one token per runtime, so one API key. */
export const LOCAL_API_ACTOR: Actor = { type: 'api_actor', api_key_id: 'local' };

/** With view=full a page holds at most this many memories (reference §2.8). */
const FULL_VIEW_PAGE = 20;
const DEFAULT_PAGE = 100;

export interface MemoryStoreListQuery {
  limit?: number;
  page?: string;
  include_archived?: boolean;
  created_at?: { gte?: string; lte?: string };
}

export interface MemoryListQuery {
  path_prefix?: string;
  depth?: number;
  view?: MemoryView;
  limit?: number;
  page?: string;
}

export interface MemoryVersionListQuery {
  memory_id?: string;
  operation?: MemoryVersionOperation;
  session_id?: string;
  api_key_id?: string;
  service_account_id?: string;
  created_at?: { gte?: string; lte?: string };
  view?: MemoryView;
  limit?: number;
  page?: string;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export class MemoryStores {
  private readonly stores: JsonStore<MemoryStore>;
  private readonly dataRoot: string;
  private readonly dataByStore = new Map<string, MemoryData>();

  constructor(root: string) {
    this.stores = new JsonStore(root, 'memory_stores', MemoryStore);
    this.dataRoot = path.join(root, 'memory-data');
  }

  async create(params: MemoryStoreCreateParams): Promise<MemoryStore> {
    const now = nowIso();
    return this.stores.put({ type: 'memory_store', id: newId('memstore'), name: params.name, description: params.description ?? '', metadata: params.metadata ?? {}, created_at: now, updated_at: now, archived_at: null });
  }

  async retrieve(id: string): Promise<MemoryStore> {
    const found = await this.stores.get(id).catch(orNullOnBadId);
    if (!found) throw notFound('Memory store', id);
    return found;
  }

  async update(id: string, params: MemoryStoreUpdateParams): Promise<MemoryStore> {
    const current = await this.active(id);
    return this.stores.put({
      ...current,
      name: params.name ?? current.name,
      description: params.description ?? current.description,
      metadata: applyMetadataPatch(current.metadata, params.metadata),
      updated_at: nowIso(),
    });
  }

  list(q: MemoryStoreListQuery): Promise<Page<MemoryStore>> {
    const { gte, lte } = q.created_at ?? {};
    return this.stores.list({
      limit: q.limit,
      after: q.page,
      where: (s) => (q.include_archived === true || !s.archived_at) && (!gte || s.created_at >= gte) && (!lte || s.created_at <= lte),
    });
  }

  /** An archived store keeps its memories readable and deletable; nothing new can be written or attached. */
  async archive(id: string): Promise<MemoryStore> {
    const current = await this.retrieve(id);
    if (current.archived_at) return current;
    const now = nowIso();
    return this.stores.put({ ...current, archived_at: now, updated_at: now });
  }

  /** Removes the store, its memories and every version. Sessions that mounted it keep their sandbox copy. */
  async delete(id: string): Promise<DeletedMemoryStore> {
    await this.retrieve(id);
    await this.stores.delete(id);
    await this.data(id).remove();
    this.dataByStore.delete(id);
    return { id, type: 'memory_store_deleted' };
  }

  async createMemory(storeId: string, params: MemoryCreateParams, actor: Actor, view: MemoryView = 'full'): Promise<Memory> {
    await this.active(storeId);
    const memoryPath = checkMemoryPath(params.path);
    const content = checkContent(params.content ?? '');
    const memory = await this.data(storeId).mutate(async (memories, seq) => {
      const clash = memories.find((m) => pathsOverlap(m.path, memoryPath));
      if (clash) throw pathConflict(memoryPath, clash);
      const now = nowIso();
      const id = newId('mem');
      const version = newVersion(storeId, id, 'created', memoryPath, content, actor, now);
      const value: Memory = { type: 'memory', id, memory_store_id: storeId, path: memoryPath, ...contentFields(content), memory_version_id: version.id, created_at: now, updated_at: now };
      return { change: writeChange(seq, version, value), result: value };
    });
    return shaped(memory, view);
  }

  async retrieveMemory(storeId: string, id: string, view: MemoryView = 'full'): Promise<Memory> {
    await this.retrieve(storeId);
    const memory = await this.data(storeId).memory(id);
    if (!memory) throw notFound('Memory', id);
    return shaped(memory, view);
  }

  /**
   * Changes content, path (a rename keeps the id) or both. With a content_sha256 precondition the memory must hold
   * that content, unless it already holds what is being written (a retried request). A change to nothing makes no
   * version.
   */
  async updateMemory(storeId: string, id: string, params: MemoryUpdateParams, actor: Actor, view: MemoryView = 'full'): Promise<Memory> {
    await this.active(storeId);
    const newPath = params.path == null ? null : checkMemoryPath(params.path);
    const newContent = params.content == null ? null : checkContent(params.content);
    const memory = await this.data(storeId).mutate(async (memories, seq) => {
      const current = memories.find((m) => m.id === id);
      if (!current) throw notFound('Memory', id);
      const content = newContent ?? current.content ?? '';
      const target = newPath ?? current.path;
      const expected = params.precondition?.content_sha256;
      const alreadyThere = sha256Hex(content) === current.content_sha256 && target === current.path;
      if (expected !== undefined && expected !== current.content_sha256 && !alreadyThere) {
        throw preconditionFailed(`Memory ${id} has content_sha256 ${current.content_sha256}, not ${expected}: it changed since you read it. Retrieve it again and reapply your edit.`);
      }
      if (alreadyThere) return { change: null, result: current };
      const clash = memories.find((m) => m.id !== id && pathsOverlap(m.path, target));
      if (clash) throw pathConflict(target, clash);
      const now = nowIso();
      const version = newVersion(storeId, id, 'modified', target, content, actor, now);
      const value: Memory = { ...current, path: target, ...contentFields(content), memory_version_id: version.id, updated_at: now };
      return { change: writeChange(seq, version, value), result: value };
    });
    return shaped(memory, view);
  }

  async deleteMemory(storeId: string, id: string, actor: Actor, expectedSha256?: string): Promise<DeletedMemory> {
    await this.retrieve(storeId);
    return this.data(storeId).mutate(async (memories, seq) => {
      const current = memories.find((m) => m.id === id);
      if (!current) throw notFound('Memory', id);
      if (expectedSha256 !== undefined && expectedSha256 !== current.content_sha256) {
        throw preconditionFailed(`Memory ${id} has content_sha256 ${current.content_sha256}, not ${expectedSha256}: it changed since you read it. Retrieve it again before deleting.`);
      }
      const version = newVersion(storeId, id, 'deleted', current.path, null, actor, nowIso());
      return { change: writeChange(seq, version, null), result: { id, type: 'memory_deleted' as const } };
    });
  }

  /** The memory at `memoryPath` (full view), or null when there is none. */
  async memoryAt(storeId: string, memoryPath: string): Promise<Memory | null> {
    await this.retrieve(storeId);
    return (await this.data(storeId).memories()).find((m) => m.path === memoryPath) ?? null;
  }

  /** Memories by path, optionally under a prefix and rolled up below a depth; view=basic leaves content out. */
  async listMemories(storeId: string, q: MemoryListQuery): Promise<Page<Memory | MemoryPrefix>> {
    await this.retrieve(storeId);
    const prefix = checkPathPrefix(q.path_prefix ?? '/');
    const view = q.view ?? 'basic';
    const items = listUnder(await this.data(storeId).memories(), prefix, q.depth ?? 0);
    const limit = Math.min(q.limit ?? DEFAULT_PAGE, view === 'full' ? FULL_VIEW_PAGE : Number.MAX_SAFE_INTEGER);
    const kind = `memories:${storeId}:${prefix}:${q.depth ?? 0}`;
    const after = q.page ? decodeCursor(q.page, kind, 'asc', z.string()) : null;
    const start = after === null ? 0 : items.findIndex((m) => m.path > after);
    const page = collectPage({ count: items.length, at: (i) => items[i]!, start: start === -1 ? items.length : start, step: 1, limit, cursorOf: (m) => encodeCursor(kind, 'asc', m.path) });
    return { data: page.data.map((m) => (m.type === 'memory' ? shaped(m, view) : m)), next_page: page.next_page };
  }

  /** Versions, newest first. */
  async listVersions(storeId: string, q: MemoryVersionListQuery): Promise<Page<MemoryVersion>> {
    await this.retrieve(storeId);
    const all = (await this.data(storeId).versions()).reverse();
    const { gte, lte } = q.created_at ?? {};
    const by = (v: MemoryVersion, field: 'session_id' | 'api_key_id' | 'service_account_id', want: string | undefined) =>
      want === undefined || (field in v.created_by && (v.created_by as Record<string, string>)[field] === want);
    const match = (v: MemoryVersion) =>
      (q.memory_id === undefined || v.memory_id === q.memory_id) &&
      (q.operation === undefined || v.operation === q.operation) &&
      by(v, 'session_id', q.session_id) &&
      by(v, 'api_key_id', q.api_key_id) &&
      by(v, 'service_account_id', q.service_account_id) &&
      (!gte || v.created_at >= gte) &&
      (!lte || v.created_at <= lte);
    const kind = `memory_versions:${storeId}`;
    const after = q.page ? decodeCursor(q.page, kind, 'desc', z.number().int()) : null;
    const start = after === null ? 0 : all.findIndex((s) => s.seq < after);
    const page = collectPage({
      count: all.length,
      at: (i) => all[i]!,
      start: start === -1 ? all.length : start,
      step: 1,
      limit: q.limit ?? DEFAULT_PAGE,
      match: (s) => match(s.version),
      cursorOf: (s) => encodeCursor(kind, 'desc', s.seq),
    });
    return { data: page.data.map((s) => versionShaped(s.version, q.view ?? 'basic')), next_page: page.next_page };
  }

  async retrieveVersion(storeId: string, id: string, view: MemoryView = 'full'): Promise<MemoryVersion> {
    await this.retrieve(storeId);
    const found = await this.data(storeId).version(id);
    if (!found) throw notFound('Memory version', id);
    return versionShaped(found.version, view);
  }

  /**
   * Clears a version's content, path and hashes for good. The version a memory holds now cannot be redacted (its
   * content is the memory's): update or delete the memory first.
   */
  async redactVersion(storeId: string, id: string, actor: Actor): Promise<MemoryVersion> {
    await this.retrieve(storeId);
    return this.data(storeId).mutate(async (memories) => {
      const found = await this.data(storeId).version(id);
      if (!found) throw notFound('Memory version', id);
      if (found.version.redacted_at) return { change: null, result: found.version };
      const holder = memories.find((m) => m.memory_version_id === id);
      if (holder) throw new RuntimeError(409, 'invalid_request_error', `Memory version ${id} is the current content of memory ${holder.id} (${holder.path}); update or delete the memory first, then redact this version.`);
      const redacted: MemoryVersion = { ...found.version, content: null, content_sha256: null, content_size_bytes: null, path: null, redacted_at: nowIso(), redacted_by: actor };
      return { change: { versionFile: found.file, version: redacted, replaceVersion: true }, result: redacted };
    });
  }

  /** The store's data (one per store, so its writers share what they know of it). */
  data(storeId: string): MemoryData {
    let data = this.dataByStore.get(storeId);
    if (!data) this.dataByStore.set(storeId, (data = new MemoryData(path.join(this.dataRoot, storeId))));
    return data;
  }

  /** The store, refused when archived: its memories can no longer change or be attached. */
  async active(id: string): Promise<MemoryStore> {
    const store = await this.retrieve(id);
    if (store.archived_at) throw invalid(`Memory store ${id} is archived: its memories can be read and deleted but not written, and it cannot be attached to sessions. Create a new store.`, 'memory_store_archived');
    return store;
  }
}

function checkContent(content: string): string {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_MEMORY_BYTES) throw invalid(`content is ${bytes} bytes; a memory holds at most ${MAX_MEMORY_BYTES} bytes (100 KB). Split it into several memories.`, 'memory_content_too_large');
  return content;
}

function contentFields(content: string): Pick<Memory, 'content' | 'content_sha256' | 'content_size_bytes'> {
  return { content, content_sha256: sha256Hex(content), content_size_bytes: Buffer.byteLength(content, 'utf8') };
}

function newVersion(storeId: string, memoryId: string, operation: MemoryVersionOperation, memoryPath: string, content: string | null, actor: Actor, at: string): MemoryVersion {
  return {
    type: 'memory_version',
    id: newId('memver'),
    memory_id: memoryId,
    memory_store_id: storeId,
    operation,
    path: memoryPath,
    ...(content === null ? { content: null, content_sha256: null, content_size_bytes: null } : contentFields(content)),
    created_at: at,
    created_by: actor,
    redacted_at: null,
  };
}

function writeChange(seq: number, version: MemoryVersion, memory: Memory | null): MemoryChange {
  return { versionFile: MemoryData.versionFile(seq, version.id), version, replaceVersion: false, memory: { id: version.memory_id, value: memory } };
}

const shaped = (m: Memory, view: MemoryView): Memory => (view === 'full' ? m : { ...m, content: null });
const versionShaped = (v: MemoryVersion, view: MemoryView): MemoryVersion => (view === 'full' ? v : { ...v, content: null });

function pathConflict(wanted: string, clash: Memory): RuntimeError {
  const how = clash.path === wanted ? 'is taken by' : clash.path.startsWith(`${wanted}/`) ? 'is a folder of' : 'is inside';
  return new RuntimeError(409, 'memory_path_conflict_error', `Path ${wanted} ${how} memory ${clash.id} (${clash.path}); choose another path, or update or rename that memory.`, undefined, {
    conflicting_memory_id: clash.id,
    conflicting_path: clash.path,
  });
}

const preconditionFailed = (message: string) => new RuntimeError(409, 'memory_precondition_failed_error', message);

function orNullOnBadId(err: unknown): null {
  if (err instanceof InvalidIdError) return null;
  throw err;
}
