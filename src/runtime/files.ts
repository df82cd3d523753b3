import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FILE_EXPIRY_SECONDS, FileMetadata, newId, type DeletedFile, type FileScope } from '../wire';
import { InvalidIdError, JsonStore, type Page } from '../log';
import { fsyncDir, isErrno, mkdirDurable } from '../log/fsutil';
import { extensionFor, mimeTypeOf } from './file-types';
import { RuntimeError, invalid, notFound } from './errors';

// The Files API's storage: metadata in a JsonStore (`<storage>/files/<id>.json`), bytes beside it in
// `<storage>/file-blobs/<id>`. An upload is streamed to a temp file in the blob directory, fsynced and renamed into
// place before its metadata is written, so a listed file always has its bytes; a crash between the two leaves an
// unlisted blob, removed by the next start (`sweep`). Delete removes the metadata first for the same reason.

/** The hosted API's per-file limit (500 MB); a runtime can set its own. */
export const DEFAULT_MAX_FILE_BYTES = 500 * 1024 * 1024;

export interface FileInput {
  filename: string;
  /** The type the client declared; a missing or generic one is guessed from the name. */
  mimeType?: string;
  expiresInSeconds?: number;
  scope?: FileScope;
}

export interface FileListQuery {
  scope_id?: string;
  ids?: string[];
  limit?: number;
  page?: string;
}

/** A temp file in the blob directory for one upload; `discard` removes it unless it was adopted. */
export interface StagedBlob {
  path: string;
  discard(): Promise<void>;
}

export class FileStore {
  private readonly meta: JsonStore<FileMetadata>;
  readonly blobsDir: string;

  constructor(
    root: string,
    readonly maxBytes = DEFAULT_MAX_FILE_BYTES,
  ) {
    this.meta = new JsonStore(root, 'files', FileMetadata);
    this.blobsDir = path.join(root, 'file-blobs');
  }

  async stage(): Promise<StagedBlob> {
    await mkdirDurable(this.blobsDir);
    const file = path.join(this.blobsDir, `upload-${randomBytes(8).toString('hex')}.tmp`);
    return { path: file, discard: () => fsp.rm(file, { force: true }) };
  }

  /** Makes a staged (complete) upload a file: fsync, rename into place, then the metadata. */
  async adopt(staged: StagedBlob, input: FileInput): Promise<FileMetadata> {
    const expiry = input.expiresInSeconds;
    if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < FILE_EXPIRY_SECONDS.min || expiry > FILE_EXPIRY_SECONDS.max)) {
      throw invalid(`expires_in_seconds must be a whole number from ${FILE_EXPIRY_SECONDS.min} (one hour) to ${FILE_EXPIRY_SECONDS.max} (ninety days); got ${expiry}.`);
    }
    const handle = await fsp.open(staged.path, 'r+');
    let size: number;
    try {
      size = (await handle.stat()).size;
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (size > this.maxBytes) throw tooLarge(this.maxBytes);
    const id = newId('file');
    await fsp.rename(staged.path, this.blobPath(id));
    await fsyncDir(this.blobsDir);
    const now = new Date();
    const filename = basename(input.filename, input.mimeType);
    const metadata: FileMetadata = {
      type: 'file',
      id,
      filename,
      mime_type: mimeTypeOf(filename, input.mimeType),
      size_bytes: size,
      created_at: now.toISOString(),
      downloadable: true,
      expires_at: expiry === undefined ? null : new Date(now.getTime() + expiry * 1000).toISOString(),
      scope: input.scope ?? null,
    };
    try {
      return await this.meta.put(metadata);
    } catch (err) {
      await fsp.rm(this.blobPath(id), { force: true });
      throw err;
    }
  }

  /**
   * Copies a host file in (a session's output): the copy is taken first, so later writes to the source do not count.
   * The source is opened without following a symbolic link and must be a regular file: a sandbox that swaps it for a
   * link to a host file, or for a FIFO, gets an error instead of the host file or a hang.
   */
  async importFile(source: string, input: FileInput): Promise<FileMetadata> {
    const from = await fsp.open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const staged = await this.stage();
    try {
      if (!(await from.stat()).isFile()) throw invalid(`${source} is not a regular file.`);
      await pipeline(from.createReadStream(), (await fsp.open(staged.path, 'wx')).createWriteStream());
      return await this.adopt(staged, input);
    } finally {
      await from.close().catch(() => undefined);
      await staged.discard();
    }
  }

  /**
   * Uploads a file the user names on this machine (the CLI's --file, VS Code's attach). Unlike a session's output, a
   * symbolic link is followed: the user chose it. Refused before anything is copied when it is missing, not a regular
   * file, or over the limit.
   */
  async uploadPath(source: string): Promise<FileMetadata> {
    const name = path.basename(source);
    const real = await fsp.realpath(source).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) throw invalid(`${source} does not exist.`);
      throw err;
    });
    const st = await fsp.stat(real);
    if (!st.isFile()) throw invalid(`${source} is not a file: attach files one at a time (pack a folder first, e.g. tar czf ${name}.tgz ${name}).`);
    if (st.size > this.maxBytes) throw new RuntimeError(413, 'request_too_large', `${name} is ${st.size} bytes: ${tooLarge(this.maxBytes).message}`);
    return this.importFile(real, { filename: name });
  }

  async retrieve(id: string): Promise<FileMetadata> {
    const found = await this.meta.get(id).catch((err: unknown) => {
      if (err instanceof InvalidIdError) return null;
      throw err;
    });
    if (!found) throw notFound('File', id);
    return found;
  }

  /** The metadata and where the bytes are; an expired file is refused with the time it expired. */
  async content(id: string): Promise<{ metadata: FileMetadata; path: string }> {
    const metadata = await this.retrieve(id);
    if (isExpired(metadata)) throw new RuntimeError(404, 'not_found_error', `File ${id} expired at ${metadata.expires_at}; its bytes are gone. Upload it again.`, 'file_expired');
    return { metadata, path: this.blobPath(id) };
  }

  async list(q: FileListQuery): Promise<Page<FileMetadata>> {
    if (q.ids) {
      if (q.page !== undefined || q.limit !== undefined) throw invalid('ids cannot be combined with page or limit; ids always answers one page.');
      const unique = [...new Set(q.ids)];
      if (unique.length > 100) throw invalid(`ids names ${unique.length} files; give at most 100.`);
      const found = await Promise.all(unique.map((id) => this.retrieve(id).catch(() => null)));
      return { data: found.filter((f): f is FileMetadata => f !== null && (q.scope_id === undefined || f.scope?.id === q.scope_id)), next_page: null };
    }
    // Newest first, as the hosted list.
    return this.meta.list({ order: 'desc', limit: q.limit, after: q.page, where: (f) => q.scope_id === undefined || f.scope?.id === q.scope_id });
  }

  async delete(id: string): Promise<DeletedFile> {
    await this.retrieve(id);
    await this.meta.delete(id);
    await fsp.rm(this.blobPath(id), { force: true });
    return { id, type: 'file_deleted' };
  }

  /**
   * Removes blobs without metadata that are older than `minAgeMs`: uploads cut short by a crash, or a delete that
   * stopped after the metadata. The age spares uploads that another process sharing the storage is writing now.
   */
  async sweep(minAgeMs = 60 * 60 * 1000): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.blobsDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      const file = path.join(this.blobsDir, name);
      const st = await fsp.stat(file).catch(() => null);
      if (!st || Date.now() - st.mtimeMs < minAgeMs) continue;
      if (name.endsWith('.tmp') || !(await this.meta.get(name).catch(() => null))) await fsp.rm(file, { force: true });
    }
  }

  blobPath(id: string): string {
    return path.join(this.blobsDir, id);
  }
}

export function tooLarge(limit: number): RuntimeError {
  const size = limit >= 1024 * 1024 ? `${+(limit / 1024 / 1024).toFixed(1)} MiB` : `${+(limit / 1024).toFixed(1)} KiB`;
  return new RuntimeError(413, 'request_too_large', `The file is larger than this runtime's limit of ${limit} bytes (${size}); upload a smaller file.`);
}

export function isExpired(f: FileMetadata, now = Date.now()): boolean {
  return f.expires_at !== null && Date.parse(f.expires_at) <= now;
}

/** Only the last path component is kept; an empty one becomes `unnamed` plus the type's extension (as the hosted API). */
function basename(raw: string, mimeType: string | undefined): string {
  const last = raw.split(/[\\/]/).pop()?.trim() ?? '';
  if (last !== '' && last !== '.' && last !== '..') return last;
  return `unnamed${extensionFor(mimeType)}`;
}
