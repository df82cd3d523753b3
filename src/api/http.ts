import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, fail } from './errors';

// Reading request bodies and writing JSON responses, with the limits and content rules of the real API.

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON body, or undefined when there is none. Oversize, non-JSON content types, bad UTF-8 and bad JSON fail. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (err) {
    // Node ends the body with Error('aborted') when the client hangs up mid-upload.
    if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') throw new ClientGoneError();
    throw err;
  }
  if (size === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw fail(415, 'invalid_request_error', `The body must be JSON sent with content-type: application/json (got ${type ? `"${type}"` : 'no content-type'}).`);
  }
  let text: string;
  try {
    text = utf8.decode(Buffer.concat(chunks, size));
  } catch {
    throw badRequest('The request body is not valid UTF-8; send JSON text.');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON (${err instanceof Error ? err.message : String(err)}); send one JSON object.`);
  }
}

function tooLarge(limit: number) {
  return fail(413, 'request_too_large', `The request body is larger than ${limit} bytes; send less per request (for example fewer events per POST, or smaller images).`);
}

/** The client hung up before its request was read: nobody is left to answer, and it is not a server fault. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before its request was read');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
