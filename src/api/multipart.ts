import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { StagedBlob } from '../runtime/files';
import { badRequest, fail } from './errors';
import { ClientGoneError } from './http';

// multipart/form-data bodies (files.upload, skills.create), streamed: each file part goes straight to a staged file
// on disk, so an upload costs no more memory than a chunk, and one over the limit is cut off as soon as it passes it.

export interface ReceivedFile {
  field: string;
  filename: string;
  mimeType: string;
  staged: StagedBlob;
}

export interface Multipart {
  fields: Map<string, string[]>;
  files: ReceivedFile[];
  /** Removes every staged file that was not adopted. */
  discard(): Promise<void>;
}

export interface MultipartLimits {
  /** Bytes per file part. */
  fileBytes: number;
  /** File parts per request. */
  files: number;
  /** Names of the file and text fields accepted; anything else is refused (a typo is not silently ignored). */
  fileFields: readonly string[];
  textFields: readonly string[];
  stage: () => Promise<StagedBlob>;
  /** The error for a part over `fileBytes`. */
  tooLarge: () => Error;
}

export async function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<Multipart> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'multipart/form-data') {
    throw fail(415, 'invalid_request_error', `The body must be multipart/form-data (got ${type ? `"${type}"` : 'no content-type'}); send the file as a form part named "${limits.fileFields[0]}".`);
  }
  const fields = new Map<string, string[]>();
  const files: ReceivedFile[] = [];
  const discard = async () => void (await Promise.all(files.map((f) => f.staged.discard())));
  let parser: busboy.Busboy;
  try {
    // busboy cuts a part off once it reaches fileSize: one byte more lets a file of exactly the limit through.
    parser = busboy({ headers: req.headers, limits: { fileSize: limits.fileBytes + 1, files: limits.files, fields: 20, fieldSize: 64 * 1024 }, preservePath: true });
  } catch (err) {
    throw badRequest(`The multipart body cannot be read: ${err instanceof Error ? err.message : String(err)}.`);
  }
  const writes: Promise<void>[] = [];
  let failure: Error | null = null;
  let settle = () => {};
  // A refusal answers at once: the rest of the body is not read (the server closes the connection after answering).
  // Both ends of every part's copy: destroying busboy's part stream alone does not end a pipeline from it.
  const parts = new Set<{ destroy(): void }>();
  const stop = (err: Error) => {
    failure ??= err;
    req.unpipe(parser);
    for (const part of parts) part.destroy();
    settle();
  };
  const done = new Promise<void>((resolve, reject) => {
    settle = resolve;
    parser.on('file', (field, stream, info) => {
      if (!limits.fileFields.includes(field)) {
        stream.resume();
        return stop(badRequest(`Unknown form part "${field}"; files go in ${limits.fileFields.map((f) => `"${f}"`).join(' or ')}.`));
      }
      parts.add(stream);
      stream.on('limit', () => stop(limits.tooLarge()));
      const write = (async () => {
        const staged = await limits.stage();
        files.push({ field, filename: info.filename ?? '', mimeType: info.mimeType, staged });
        if (failure) throw failure;
        const out = createWriteStream(staged.path, { flags: 'wx' });
        parts.add(out);
        await pipeline(stream, out);
      })();
      writes.push(write.catch((err: unknown) => stop(err instanceof Error ? err : new Error(String(err)))));
    });
    parser.on('field', (name, value, info) => {
      // A file part with an empty filename reaches busboy as a field; the API still takes it as a nameless file.
      if (limits.fileFields.includes(name)) {
        const write = (async () => {
          const staged = await limits.stage();
          files.push({ field: name, filename: '', mimeType: info.mimeType, staged });
          await writeFile(staged.path, value, { flag: 'wx' });
        })();
        writes.push(write.catch((err: unknown) => stop(err instanceof Error ? err : new Error(String(err)))));
        return;
      }
      if (!limits.textFields.includes(name)) return stop(badRequest(`Unknown form field "${name}"; this endpoint takes ${[...limits.fileFields, ...limits.textFields].map((f) => `"${f}"`).join(', ')}.`));
      if (info.valueTruncated) return stop(badRequest(`Form field "${name}" is too long.`));
      fields.set(name, [...(fields.get(name) ?? []), value]);
    });
    parser.on('filesLimit', () => stop(badRequest(`At most ${limits.files} files per request.`)));
    parser.on('error', (err: Error) => reject(badRequest(`The multipart body cannot be read: ${err.message}.`)));
    parser.on('close', () => resolve());
    req.on('aborted', () => reject(new ClientGoneError()));
  });
  req.pipe(parser);
  try {
    await done;
    // After a refusal every part was destroyed, so each write settles (with an error) and its file is discarded below.
    await Promise.all(writes);
    if (failure) throw failure;
  } catch (err) {
    await discard();
    throw err;
  }
  return { fields, files, discard };
}
