import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod';
import { Memory, MemoryPrefix, MemoryStore, MemoryVersion } from '../../wire';
import { listAll, parseWire, type RemoteCall } from './remote-call';
import type { RuntimeMemory } from './runtime-memory';

// Memory stores over a detached runtime: the SDK's beta.memoryStores against `hangar serve`, answers parsed with the
// wire's schemas. Writes are recorded by the runtime as its API key's.

const MemoryItem = z.union([Memory, MemoryPrefix]);

export class RemoteMemory implements RuntimeMemory {
  constructor(
    private readonly sdk: Anthropic,
    private readonly call: RemoteCall,
  ) {}

  stores(): Promise<MemoryStore[]> {
    return listAll(this.call, () => this.sdk.beta.memoryStores.list({ limit: 100 }), MemoryStore, 'a memory store');
  }

  async retrieveStore(storeId: string): Promise<MemoryStore> {
    return parseWire(MemoryStore, await this.call(() => this.sdk.beta.memoryStores.retrieve(storeId)), 'a memory store');
  }

  children(storeId: string, prefix: string): Promise<(Memory | MemoryPrefix)[]> {
    return listAll(this.call, () => this.sdk.beta.memoryStores.memories.list(storeId, { path_prefix: prefix, depth: 1, limit: 1000 }), MemoryItem, 'a memory');
  }

  async memoryAt(storeId: string, memoryPath: string): Promise<Memory | null> {
    const folder = path.posix.dirname(memoryPath);
    const listed = (await this.children(storeId, folder === '/' ? '/' : `${folder}/`)).find((m): m is Memory => m.type === 'memory' && m.path === memoryPath);
    if (!listed) return null;
    // Listings leave content out; the document needs it.
    return parseWire(Memory, await this.call(() => this.sdk.beta.memoryStores.memories.retrieve(listed.id, { memory_store_id: storeId, view: 'full' })), 'a memory');
  }

  versions(storeId: string, memoryId: string): Promise<MemoryVersion[]> {
    return listAll(this.call, () => this.sdk.beta.memoryStores.memoryVersions.list(storeId, { memory_id: memoryId, limit: 1000 }), MemoryVersion, 'a memory version');
  }

  async retrieveVersion(storeId: string, versionId: string): Promise<MemoryVersion> {
    return parseWire(MemoryVersion, await this.call(() => this.sdk.beta.memoryStores.memoryVersions.retrieve(versionId, { memory_store_id: storeId, view: 'full' })), 'a memory version');
  }

  async write(storeId: string, memoryPath: string, content: string, readSha?: string): Promise<Memory> {
    const current = await this.memoryAt(storeId, memoryPath);
    const saved = await this.call(() =>
      current
        ? this.sdk.beta.memoryStores.memories.update(current.id, { memory_store_id: storeId, content, ...(readSha ? { precondition: { type: 'content_sha256', content_sha256: readSha } } : {}), view: 'full' })
        : this.sdk.beta.memoryStores.memories.create(storeId, { path: memoryPath, content, view: 'full' }),
    );
    return parseWire(Memory, saved, 'a memory');
  }
}
