import type http from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

// The fetch the model client hands its SDK: node:http(s) on Node's keep-alive agents instead of the global fetch
// (undici's spec-complete fetch). Every model request of every session goes through it on the one loop that drives
// them all: measured with the scripted model in another thread, a streamed request cost the loop 1.3-1.6 ms of CPU
// through the global fetch and 0.9 ms through this (issue #17). What the SDK needs of a fetch is small, and this
// does that part only: a request with a text or byte body, its headers and abort signal, answered with a Response
// whose body streams. Anything else goes to the global fetch: another kind of body, and a redirect (the request
// is sent again there, which follows it). What the global fetch does on its own is kept: a network failure
// rejects with TypeError('fetch failed') with the cause under it, a body that breaks off errors its stream with
// TypeError('terminated'), a compressed answer is decoded, and 300 s without a byte (waiting for the headers or
// between two chunks) ends the request, as undici's headers and body timeouts do.

const IDLE_TIMEOUT_MS = 300_000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose Response must have no body (the constructor throws otherwise). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

type FetchInput = Parameters<typeof fetch>[0];

/** The request's body as bytes to send; null for none, undefined for a kind this fetch leaves to the global one. */
function bodyBytes(body: RequestInit['body']): string | Uint8Array | null | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}

function fetchFailed(cause: unknown): TypeError {
  return Object.assign(new TypeError('fetch failed'), { cause });
}

/** The answer's bytes as the web stream a Response takes, decoded, with the global fetch's errors. */
function webBody(res: http.IncomingMessage, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : null;
  const source: Readable = decoder ? res.pipe(decoder) : res;
  if (decoder) res.on('error', (err) => decoder.destroy(err));
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (err: unknown) => {
        if (done) return;
        done = true;
        controller.error(signal?.aborted ? signal.reason : Object.assign(new TypeError('terminated'), { cause: err }));
      };
      source.on('data', (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) source.pause();
      });
      source.on('end', () => {
        if (done) return;
        done = true;
        controller.close();
      });
      source.on('error', fail);
      // The connection closed before the end: no 'error' comes when the answer had nobody listening for one.
      res.on('close', () => {
        if (!res.complete) fail(new Error('other side closed'));
      });
    },
    pull() {
      source.resume();
    },
    cancel() {
      done = true;
      res.destroy();
    },
  });
}

function headersOf(res: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  return headers;
}

type Send = typeof http.request;
/** node:http's and node:https's request, loaded with the first request (https brings TLS: a CLI command that never asks the model does not load it). */
let senders: { 'http:': Send; 'https:': Send } | undefined;
async function sender(protocol: 'http:' | 'https:'): Promise<Send> {
  senders ??= { 'http:': (await import('node:http')).request, 'https:': (await import('node:https')).request };
  return senders[protocol];
}

/** A fetch for the model SDKs over node:http(s); see the comment at the top of this file. */
export async function httpFetch(input: FetchInput, init: RequestInit = {}): Promise<Response> {
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : null;
  const body = bodyBytes(init.body);
  if (!url || body === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fetch(input, init);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => (headers[name] = value));
  if (body !== null && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const signal = init.signal ?? undefined;
  const send = await sender(url.protocol);
  if (signal?.aborted) throw signal.reason;
  return new Promise<Response>((resolve, reject) => {
    const req = send(url, { method: init.method ?? 'GET', headers, signal, timeout: IDLE_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location && init.redirect !== 'manual' && init.redirect !== 'error') {
        res.resume();
        resolve(fetch(input, init));
        return;
      }
      try {
        resolve(new Response(NULL_BODY.has(status) ? null : webBody(res, signal), { status, statusText: res.statusMessage, headers: headersOf(res) }));
      } catch (err) {
        // A status the fetch standard does not allow (below 200, above 599): the global fetch fails there too.
        res.destroy();
        reject(fetchFailed(err));
      }
    });
    req.on('timeout', () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
    // Before the answer this rejects the fetch; after it, the body's stream has the error (webBody).
    req.on('error', (err) => reject(signal?.aborted ? signal.reason : fetchFailed(err)));
    req.end(body ?? undefined);
  });
}
