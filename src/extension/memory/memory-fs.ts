import * as vscode from 'vscode';
import { RuntimeError } from '../../runtime/errors';
import type { Memory, MemoryVersion } from '../../wire';
import { RuntimeRefusal } from '../connection/remote-client';
import { DocumentFileSystem } from '../document-fs';
import type { RuntimeHost } from '../runtime-host';

// Memories as documents: `hangar-memory:/<store id>/<memory path>` is a memory as it is now, and saving it writes a
// new version (made by the VS Code user; over a detached runtime, by its API key), through the RuntimeClient seam, refused when the memory changed since the document read it (the
// content_sha256 precondition) so a session's write is never silently overwritten. `…?version=<version id>` is one
// version of its history, read only.

export const MEMORY_SCHEME = 'hangar-memory';

export function memoryUri(storeId: string, memoryPath: string, versionId?: string): vscode.Uri {
  return vscode.Uri.from({ scheme: MEMORY_SCHEME, path: `/${storeId}${memoryPath}`, ...(versionId ? { query: `version=${versionId}` } : {}) });
}

function parseMemoryUri(uri: vscode.Uri): { storeId: string; memoryPath: string; versionId?: string } {
  const m = /^\/([A-Za-z0-9_-]{1,128})(\/.+)$/.exec(uri.path);
  const v = uri.query ? /^version=([A-Za-z0-9_-]{1,128})$/.exec(uri.query) : null;
  if (!m?.[1] || !m[2] || (uri.query && !v)) throw vscode.FileSystemError.FileNotFound(uri);
  return { storeId: m[1], memoryPath: m[2], ...(v?.[1] ? { versionId: v[1] } : {}) };
}

/** What a version document shows: its content, or why there is none. */
export function versionText(v: MemoryVersion): string {
  if (v.redacted_at) return `(version ${v.id} was redacted on ${v.redacted_at})\n`;
  if (v.operation === 'deleted') return `(the memory was deleted at ${v.path ?? 'its path'} on ${v.created_at})\n`;
  return v.content ?? '';
}

export class MemoryFileSystem extends DocumentFileSystem {
  private readonly saved = new vscode.EventEmitter<Memory>();
  /** A memory got a new version from a saved document. */
  readonly onDidSaveMemory = this.saved.event;
  /** The content hash each open memory document was read at, for the precondition of its save. */
  private readonly readAt = new Map<string, string>();

  constructor(private readonly host: RuntimeHost) {
    super();
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { storeId, memoryPath, versionId } = parseMemoryUri(uri);
    if (versionId) {
      const v = await this.version(uri, storeId, versionId);
      const t = Date.parse(v.created_at);
      return { type: vscode.FileType.File, ctime: t, mtime: t, size: Buffer.byteLength(versionText(v)), permissions: vscode.FilePermission.Readonly };
    }
    const m = await this.memory(uri, storeId, memoryPath);
    const store = await this.host.client.memory.retrieveStore(storeId);
    return {
      type: vscode.FileType.File,
      ctime: Date.parse(m.created_at),
      mtime: Date.parse(m.updated_at),
      size: m.content_size_bytes,
      ...(store.archived_at ? { permissions: vscode.FilePermission.Readonly } : {}),
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { storeId, memoryPath, versionId } = parseMemoryUri(uri);
    if (versionId) return Buffer.from(versionText(await this.version(uri, storeId, versionId)));
    const m = await this.memory(uri, storeId, memoryPath);
    this.readAt.set(uri.toString(), m.content_sha256);
    return Buffer.from(m.content ?? '');
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const { storeId, memoryPath, versionId } = parseMemoryUri(uri);
    if (versionId) throw vscode.FileSystemError.NoPermissions(`Version ${versionId} is history and read only; open the memory itself to edit it.`);
    const text = Buffer.from(content).toString('utf8');
    let saved: Memory;
    try {
      saved = await this.host.client.memory.write(storeId, memoryPath, text, this.readAt.get(uri.toString()));
    } catch (err) {
      // A precondition failure means a session (or the API) wrote the memory since this document read it.
      if ((err instanceof RuntimeError || err instanceof RuntimeRefusal) && err.status < 500) throw new Error(`Cannot save the memory: ${err.message}`, { cause: err });
      throw err;
    }
    this.readAt.set(uri.toString(), saved.content_sha256);
    this.fireChanged(uri);
    this.saved.fire(saved);
  }

  private async memory(uri: vscode.Uri, storeId: string, memoryPath: string): Promise<Memory> {
    const m = await this.host.client.memory.memoryAt(storeId, memoryPath).catch(() => null);
    if (!m) throw vscode.FileSystemError.FileNotFound(uri);
    return m;
  }

  private async version(uri: vscode.Uri, storeId: string, versionId: string): Promise<MemoryVersion> {
    try {
      return await this.host.client.memory.retrieveVersion(storeId, versionId);
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }
}
