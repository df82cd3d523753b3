import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

// A file of this machine as the multipart body of a Files API upload, read from disk as the request sends it: the
// SDK's `files.upload` takes a File, which buffers the whole file in memory first (a workspace archive can be
// hundreds of MB) and says nothing of how far the upload got. The body is pulled as the connection drains, so the
// bytes handed over are the upload's progress (give or take the socket's buffers).

export interface UploadOptions {
  /** Cuts the upload off mid-body (the runtime keeps nothing of it: api/multipart.ts) with the signal's reason. */
  signal?: AbortSignal;
  /** The file's bytes sent so far, of its size; called as they go out. */
  onProgress?(sent: number, total: number): void;
}

export interface MultipartFile {
  body: AsyncIterable<Uint8Array>;
  contentType: string;
}

/** The body of a form with the one part `file` holding `localPath`, named by its base name. */
export async function multipartFile(localPath: string, opts: UploadOptions = {}): Promise<MultipartFile> {
  const total = (await stat(localPath)).size;
  const boundary = `hangar-${randomBytes(16).toString('hex')}`;
  // A file name is the archive's, made by Hangar; quotes and line breaks are still kept out of the header.
  const name = path.basename(localPath).replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body(): AsyncGenerator<Uint8Array> {
    yield head;
    let sent = 0;
    opts.onProgress?.(0, total);
    for await (const chunk of createReadStream(localPath, { highWaterMark: 256 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) })) {
      yield chunk as Buffer;
      sent += (chunk as Buffer).length;
      opts.onProgress?.(sent, total);
    }
    yield tail;
  }
  return { body: body(), contentType: `multipart/form-data; boundary=${boundary}` };
}
