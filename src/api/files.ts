import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as z from 'zod';
import { tooLarge } from '../runtime/files';
import { badRequest } from './errors';
import { readMultipart } from './multipart';
import { paging, qList } from './query';
import { route, STREAMED } from './router';

// /v1/files (reference §2.9), as the SDK's `client.beta.files` calls it: multipart upload (part `file`, field
// `expires_in_seconds`), list (`scope_id`, `ids[]`, paging), metadata, content (raw bytes) and delete.

const ListQuery = z.strictObject({ ...paging, scope_id: z.string().min(1).optional(), ids: qList(z.string().min(1)).optional() });

export const fileRoutes = [
  route('POST', '/v1/files', async (c) => {
    const files = c.runtime.files;
    const body = await readMultipart(c.req, {
      fileBytes: files.maxBytes,
      files: 1,
      fileFields: ['file'],
      textFields: ['expires_in_seconds'],
      stage: () => files.stage(),
      tooLarge: () => tooLarge(files.maxBytes),
    });
    try {
      const part = body.files[0];
      if (!part) throw badRequest('No file part: send the file as a multipart form part named "file".');
      const expiry = body.fields.get('expires_in_seconds');
      if (expiry && expiry.length > 1) throw badRequest('expires_in_seconds is given more than once; give it once.');
      if (expiry && !/^\d{1,10}$/.test(expiry[0]!)) throw badRequest(`expires_in_seconds must be a whole number of seconds; got "${expiry[0]}".`);
      return await files.adopt(part.staged, { filename: part.filename, mimeType: part.mimeType, expiresInSeconds: expiry ? Number(expiry[0]) : undefined });
    } finally {
      await body.discard();
    }
  }),
  route('GET', '/v1/files', async (c) => c.runtime.files.list(c.query(ListQuery))),
  route('GET', '/v1/files/:file_id', async (c) => c.runtime.files.retrieve(c.params.file_id!)),
  route('GET', '/v1/files/:file_id/content', async (c) => {
    const { metadata, path } = await c.runtime.files.content(c.params.file_id!);
    const stream = createReadStream(path);
    // Opened before the headers go out, so a blob that vanished (deleted meanwhile) is still an error envelope.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    c.res.writeHead(200, {
      'content-type': metadata.mime_type,
      'content-length': String(metadata.size_bytes),
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(metadata.filename)}`,
    });
    await pipeline(stream, c.res);
    return STREAMED;
  }),
  route('DELETE', '/v1/files/:file_id', async (c) => c.runtime.files.delete(c.params.file_id!)),
];
