// Writes one scripted reply onto an HTTP response: a message (JSON or SSE) or a fault, exactly the
// way the real API (or a broken network in front of it) would.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultReply, MessageReply } from './script';
import { PING, messageBody, messageStart, newId, sseFrame, streamEvents, type ResolvedBlock, type SseEvent } from './render';
import type { Usage } from './usage';

export interface Exchange {
  res: ServerResponse;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
  requestId: string;
  stream: boolean;
  model: string;
}

/** Waits, unless the exchange is over first; true when it is still worth writing. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms > 0) {
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      return false;
    }
  }
  return !signal.aborted;
}

const ERROR_TYPES = {
  400: 'invalid_request_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
} as const;
export type ErrorStatus = keyof typeof ERROR_TYPES;

/** The API's error envelope: `{"type":"error","error":{"type","message"},"request_id"}`. */
export function sendError(res: ServerResponse, requestId: string, status: ErrorStatus, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: 'error', error: { type: ERROR_TYPES[status], message }, request_id: requestId });
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
  res.end(body);
}

function startSse(ex: Exchange): void {
  ex.res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': ex.requestId,
  });
  ex.res.flushHeaders();
}

export async function sendMessage(ex: Exchange, reply: MessageReply, blocks: ResolvedBlock[], usage: Usage): Promise<void> {
  const id = newId('msg');
  if (!ex.stream) {
    ex.res.writeHead(200, { 'content-type': 'application/json', 'request-id': ex.requestId });
    ex.res.end(messageBody(id, ex.model, reply, blocks, usage));
    return;
  }
  startSse(ex);
  for (const e of streamEvents(id, ex.model, reply, blocks, usage)) {
    if (!(await pause(e.delta ? (reply.chunk_delay_ms ?? 0) : 0, ex.signal))) return;
    ex.res.write(sseFrame(e));
  }
  ex.res.end();
}

const RETRY_AFTER_DEFAULT_S = 1;

/** What a web UI or a proxy's login page answers on a URL that is not the API. */
export function sendHtmlPage(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!DOCTYPE html>\n<html><head><title>Model Server</title></head><body><h1>Welcome</h1><p>This is the web interface.</p></body></html>\n');
}

const BROKEN_USAGE = { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const blockStart = (content_block: Record<string, unknown>): SseEvent => ({ event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block } });
const blockDelta = (delta: Record<string, unknown>): SseEvent => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta } });
const framesOf = (events: SseEvent[]): string => events.map(sseFrame).join('');

// What a stream has sent when it breaks: the message has started and a block is half written.
function openingFrames(ex: Exchange): string {
  return framesOf([
    messageStart(newId('msg'), ex.model, BROKEN_USAGE),
    blockStart({ type: 'text', text: '', citations: null }),
    PING,
    blockDelta({ type: 'text_delta', text: 'Let me look at' }),
  ]);
}

/** Stream-only faults; a non-streaming request sees the connection drop instead. */
const BROKEN_STREAMS = {
  // Thinking that never got its signature: replaying it must fail like any unsigned block.
  cut_in_thinking: (ex: Exchange): string =>
    framesOf([
      messageStart(newId('msg'), ex.model, BROKEN_USAGE),
      blockStart({ type: 'thinking', thinking: '', signature: '' }),
      PING,
      blockDelta({ type: 'thinking_delta', thinking: 'The user wants me to look at ' }),
      blockDelta({ type: 'thinking_delta', thinking: 'the failing test first, so' }),
    ]),
  // Otherwise a complete, well-formed stream: the stray delta is the only fault.
  orphan_signature: (ex: Exchange): string =>
    framesOf([
      messageStart(newId('msg'), ex.model, BROKEN_USAGE),
      PING,
      blockDelta({ type: 'signature_delta', signature: 'RXJyb3JTaWduYXR1cmU=' }),
      {
        event: 'message_delta',
        data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null, stop_details: null, container: null }, usage: { output_tokens: 1 } },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]),
};

export async function sendFault(ex: Exchange, reply: FaultReply): Promise<void> {
  const { res } = ex;
  switch (reply.fault) {
    case 'rate_limit': {
      const retryAfter = String(reply.retry_after_s ?? RETRY_AFTER_DEFAULT_S);
      sendError(res, ex.requestId, 429, 'scripted model: rate limit exceeded', { 'retry-after': retryAfter });
      return;
    }
    case 'overloaded':
      sendError(res, ex.requestId, 529, 'Overloaded');
      return;
    case 'server_error':
      sendError(res, ex.requestId, 500, 'Internal server error');
      return;
    case 'drop_mid_stream':
      if (ex.stream) {
        startSse(ex);
        // Let the frames reach the client before the socket dies, as a real mid-stream drop would.
        await new Promise<void>((resolve) => res.write(openingFrames(ex), () => resolve()));
      }
      res.socket?.destroy();
      return;
    case 'malformed_sse':
      if (ex.stream) {
        startSse(ex);
        res.end(`${openingFrames(ex)}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"ty\n\n`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': ex.requestId });
        res.end('{"id":"msg_01truncated","type":"mess');
      }
      return;
    case 'cut_in_thinking':
    case 'orphan_signature':
      if (!ex.stream) {
        res.socket?.destroy();
        return;
      }
      startSse(ex);
      res.end(BROKEN_STREAMS[reply.fault](ex));
      return;
    case 'html_page':
      sendHtmlPage(res);
      return;
    case 'model_not_found':
      sendError(res, ex.requestId, 404, `model: ${ex.model}`);
      return;
    case 'no_finish_reason':
      if (!ex.stream) {
        res.socket?.destroy();
        return;
      }
      startSse(ex);
      res.end(framesOf([messageStart(newId('msg'), ex.model, BROKEN_USAGE), blockStart({ type: 'text', text: '', citations: null }), PING, blockDelta({ type: 'text_delta', text: 'Let me look at' }), { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } }]));
      return;
    case 'hang':
      // Never answer: the exchange ends when the client aborts or the server closes.
      if (ex.signal.aborted) return;
      await new Promise<void>((resolve) => ex.signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
  }
}
