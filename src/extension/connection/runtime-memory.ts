import os from 'node:os';
import type { MemoryStores } from '../../runtime/memory-stores';
import type { Actor, Memory, MemoryPrefix, MemoryStore, MemoryVersion } from '../../wire';
import { allPages } from './runtime-vaults';

// Memory stores behind the RuntimeClient seam: what the Memory view and memory documents read and write. In-process a
// save is recorded as this user's (user_actor); over a detached runtime the API records it as its key's (api_actor),
// since the API takes no actor from a client.

export interface RuntimeMemory {
  /** The active memory stores. */
  stores(): Promise<MemoryStore[]>;
  retrieveStore(storeId: string): Promise<MemoryStore>;
  /** The memories and folders directly under `prefix` ("/" or "/folder/"). */
  children(storeId: string, prefix: string): Promise<(Memory | MemoryPrefix)[]>;
  /** The memory at `memoryPath` with its content, or null when there is none. */
  memoryAt(storeId: string, memoryPath: string): Promise<Memory | null>;
  /** A memory's versions, newest first. */
  versions(storeId: string, memoryId: string): Promise<MemoryVersion[]>;
  retrieveVersion(storeId: string, versionId: string): Promise<MemoryVersion>;
  /**
   * Writes `content` at `memoryPath`: a new version of the memory there, or a new memory. With `readSha`, refused
   * (the runtime's sentence) when the memory changed since it had that content, so a session's write is never lost.
   */
  write(storeId: string, memoryPath: string, content: string, readSha?: string): Promise<Memory>;
}

/** Edits made in VS Code are the user's. */
export function userActor(): Actor {
  let user = 'vscode';
  try {
    user = os.userInfo().username || user;
  } catch {
    // No passwd entry for the uid (some containers): the generic name stands.
  }
  return { type: 'user_actor', user_id: user };
}

export class LocalMemory implements RuntimeMemory {
  constructor(private readonly service: MemoryStores) {}

  stores(): Promise<MemoryStore[]> {
    return allPages((page) => this.service.list({ limit: 100, page }));
  }

  retrieveStore(storeId: string): Promise<MemoryStore> {
    return this.service.retrieve(storeId);
  }

  children(storeId: string, prefix: string): Promise<(Memory | MemoryPrefix)[]> {
    return allPages((page) => this.service.listMemories(storeId, { path_prefix: prefix, depth: 1, limit: 1000, page }));
  }

  memoryAt(storeId: string, memoryPath: string): Promise<Memory | null> {
    return this.service.memoryAt(storeId, memoryPath);
  }

  async versions(storeId: string, memoryId: string): Promise<MemoryVersion[]> {
    return (await this.service.listVersions(storeId, { memory_id: memoryId, limit: 1000 })).data;
  }

  retrieveVersion(storeId: string, versionId: string): Promise<MemoryVersion> {
    return this.service.retrieveVersion(storeId, versionId);
  }

  async write(storeId: string, memoryPath: string, content: string, readSha?: string): Promise<Memory> {
    const current = await this.service.memoryAt(storeId, memoryPath);
    return current
      ? this.service.updateMemory(storeId, current.id, { content, ...(readSha ? { precondition: { type: 'content_sha256', content_sha256: readSha } } : {}) }, userActor())
      : this.service.createMemory(storeId, { path: memoryPath, content }, userActor());
  }
}
