import type http from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { brokeOff, causeOf, notAnEventStream, parseRetryAfter } from './http-errors';
import { ModelError, type ModelRequest, type ModelStreamEvent } from './types';

// The one call the harness makes to the Messages API, a streamed POST /v1/messages, over node:http(s) without the
// SDK. Every model request of every session runs it on the one loop that drives them all (issue #17): through the SDK
// (its request builder, OpenTelemetry span, fetch-shaped Response, web stream and SSE decoder) a streamed request cost
// the loop 1.1-1.4 ms of CPU against the scripted model, and 0.35 ms this way. What the SDK did here and the API
// needs is kept: the key (as a Bearer token, as the SDK sends it) and version headers, the base URL (ANTHROPIC_BASE_URL when none is given), the extra headers
// of ANTHROPIC_CUSTOM_HEADERS, a compressed answer decoded, a timeout for the answer's headers and 300 s of silence
// in its body. Failures become ModelErrors here, worded as they were for the SDK's errors.

export const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const API_VERSION = '2023-06-01';
const IDLE_TIMEOUT_MS = 300_000;

export interface MessagesEndpoint {
  /** As given to the client: undefined means ANTHROPIC_BASE_URL, else Anthropic's API. */
  baseURL: string | undefined;
  /** Milliseconds before a request without any response headers is abandoned. */
  timeoutMs: number;
}

/** The status error the API's answer means, for the retry policy. */
function statusError(status: number, type: string | undefined, message: string, headers: Headers | undefined): ModelError {
  const retryAfterMs = parseRetryAfter(headers);
  const said = `${status}${type ? ` ${type}` : ''}: ${message}`;
  if (status === 429) return new ModelError('rate_limited', `The model is rate limited (${said}).`, retryAfterMs, 429);
  if (status === 529) return new ModelError('overloaded', `The model is overloaded (${said}).`, retryAfterMs, 529);
  if (status === 401 || status === 403) {
    return new ModelError('auth', `The API key was refused (${said}). Set a valid key: the "Hangar: Set API Key" command (VS Code), \`hangar set-key\` or ANTHROPIC_API_KEY (CLI).`, undefined, status);
  }
  if (status >= 500 || status === 408 || status === 409) return new ModelError('server', `The model API failed (${said}).`, retryAfterMs, status);
  return new ModelError('invalid_request', `The model API refused the request (${said}).`, undefined, status);
}

/** The API's error body ({type:"error", error:{type, message}}): its type and message, else the text as it came. */
function apiError(text: string): { type: string | undefined; message: string } {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } } | null;
    const type = typeof body?.error?.type === 'string' ? body.error.type : undefined;
    if (typeof body?.error?.message === 'string') return { type, message: body.error.message };
    return { type, message: text };
  } catch {
    return { type: undefined, message: text || 'no body' };
  }
}

/** ANTHROPIC_CUSTOM_HEADERS as the SDK reads it: one `Name: value` a line. */
function customHeaders(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (process.env.ANTHROPIC_CUSTOM_HEADERS ?? '').split('\n')) {
    const colon = line.indexOf(':');
    if (colon >= 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

function headersOf(res: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  return headers;
}

function decoded(res: http.IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : null;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

async function textOf(body: Readable): Promise<string> {
  let text = '';
  body.setEncoding('utf8');
  for await (const chunk of body) text += chunk as string;
  return text;
}

type Send = typeof http.request;
/** node:http's and node:https's request, loaded with the first request (https brings TLS: a CLI command that never asks the model does not load it). */
let senders: { 'http:': Send; 'https:': Send } | undefined;
async function sender(protocol: string): Promise<Send> {
  senders ??= { 'http:': (await import('node:http')).request, 'https:': (await import('node:https')).request };
  const send = senders[protocol as 'http:' | 'https:'];
  if (!send) throw new ModelError('invalid_request', `The model's base URL must be http or https, not ${protocol}`);
  return send;
}

/** Sends the request; resolves with the answer's head, or fails as the SDK's connection errors are classified. */
async function post(url: URL, key: string, body: string, endpoint: MessagesEndpoint, base: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  const send = await sender(url.protocol);
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const headers = {
      ...customHeaders(),
      accept: 'application/json',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'anthropic-version': API_VERSION,
      // As the official SDK (1.10 on) sends the key; the API takes it as well as x-api-key.
      authorization: `Bearer ${key}`,
    };
    let answered = false;
    const req = send(url, { method: 'POST', headers, signal, timeout: IDLE_TIMEOUT_MS }, (res) => {
      answered = true;
      clearTimeout(headersTimer);
      resolve(res);
    });
    const headersTimer = setTimeout(() => {
      req.destroy();
      reject(new ModelError('network', `The model at ${base} did not answer in time.`, undefined, undefined, base));
    }, endpoint.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => {
      clearTimeout(headersTimer);
      if (answered) return;
      if (signal.aborted) return reject(signal.reason);
      reject(new ModelError('network', `Can't reach the model at ${base} (${causeOf(Object.assign(new Error('Connection error.'), { cause: err }))}).`, undefined, undefined, base));
    });
    req.end(body);
  });
}

/**
 * The answer's server-sent events, parsed by eventsource-parser (WHATWG rules: any line end, comments, multi-line
 * data). An event the server ended without its blank line is still read: a complete answer may end so.
 */
async function* sseEvents(body: Readable): AsyncGenerator<EventSourceMessage> {
  let parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => parsed.push(e) });
  const take = () => {
    const out = parsed;
    parsed = [];
    return out;
  };
  body.setEncoding('utf8');
  for await (const chunk of body) {
    parser.feed(chunk as string);
    yield* take();
  }
  parser.reset({ consume: true });
  yield* take();
}

/** Streams one Messages request's events; every failure is a ModelError except the caller's own abort. */
export async function* streamMessages(endpoint: MessagesEndpoint, key: string, request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelStreamEvent> {
  const base = endpoint.baseURL || process.env.ANTHROPIC_BASE_URL || DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(`${base.replace(/\/$/, '')}/v1/messages`);
  } catch {
    throw new ModelError('invalid_request', `The model's base URL ${JSON.stringify(base)} is not a URL.`);
  }
  const res = await post(url, key, JSON.stringify({ ...request, stream: true }), endpoint, base, signal);
  try {
    const status = res.statusCode ?? 0;
    const body = decoded(res);
    if (status < 200 || status > 299) {
      const { type, message } = apiError(await textOf(body).catch((err: unknown) => String(err)));
      throw statusError(status, type, message, headersOf(res));
    }
    const type = res.headers['content-type'] ?? '';
    if (!type.includes('text/event-stream')) {
      const text = await textOf(body).catch(() => '');
      throw (await notAnEventStream(new Response(text, { headers: headersOf(res) }), base))!;
    }
    for await (const sse of sseEvents(body)) {
      if (sse.event === 'ping' || sse.event === undefined) continue;
      if (sse.event === 'error') {
        const { type: errorType, message } = apiError(sse.data);
        throw brokeOff(new Error(`${message}${errorType ? ` (type: ${errorType})` : ''}`));
      }
      if (!sse.data) continue;
      let event: ModelStreamEvent;
      try {
        event = JSON.parse(sse.data) as ModelStreamEvent;
      } catch (err) {
        throw brokeOff(err);
      }
      yield event;
    }
    // The connection closed before the answer's end: node:http ends the body without an error.
    if (!res.complete) throw brokeOff(new Error('terminated'));
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof ModelError) throw err;
    throw brokeOff(err);
  } finally {
    res.destroy();
  }
}
