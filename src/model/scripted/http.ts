// What both scripted model servers (Messages and Chat Completions) share: reading a bounded body, the request's
// headers, the queue of scripted replies, and a real HTTP server on 127.0.0.1 whose close() also ends hanging replies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pause } from './respond';
import { ReplySchema, exhaustedReply, parseReplies, type RecordedRequest, type RejectedRequest, type Reply, type Responder } from './script';

export type BodyResult = { ok: true; text: string } | { ok: false };

export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit, keep draining so the client sees the 413 rather than a reset upload.
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? { ok: false } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
  });
}

export function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Queued replies first, then the responder; the "exhausted" reply when neither has one. */
export class ReplySource {
  private readonly queue: Reply[];
  private readonly responder: Responder | undefined;

  constructor(script: readonly Reply[] | Responder | undefined) {
    this.queue = Array.isArray(script) ? parseReplies(script) : [];
    this.responder = typeof script === 'function' ? script : undefined;
  }

  async next(rec: RecordedRequest): Promise<Reply> {
    const queued = this.queue.shift();
    if (queued) return queued;
    if (this.responder) return ReplySchema.parse(await this.responder(rec));
    rec.exhausted = true;
    return exhaustedReply();
  }

  /**
   * The reply to a recorded request, kept on it, once its delay_ms has passed; undefined when the responder threw
   * (`fail` has answered) or the exchange ended while it waited.
   */
  async answer(rec: RecordedRequest, signal: AbortSignal, defaultDelayMs: number, fail: (message: string) => void): Promise<Reply | undefined> {
    let reply: Reply;
    try {
      reply = await this.next(rec);
    } catch (e) {
      fail(`scripted model: responder failed: ${(e as Error).message}`);
      return undefined;
    }
    rec.reply = reply;
    return (await pause(reply.delay_ms ?? defaultDelayMs, signal)) ? reply : undefined;
  }

  push(replies: readonly Reply[]): void {
    this.queue.push(...parseReplies(replies));
  }

  get remaining(): number {
    return this.queue.length;
  }
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `handle` on 127.0.0.1; each exchange gets a signal that aborts when the client goes away or the server
 * closes. A handler that throws answers with `fail` (or a destroyed socket once the headers went out).
 */
export async function listen(
  port: number,
  handle: (req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => Promise<void>,
  fail: (res: ServerResponse, message: string) => void,
): Promise<Listening> {
  const live = new Set<AbortController>();
  const server = createServer((req, res) => {
    const ctl = new AbortController();
    live.add(ctl);
    res.on('close', () => {
      ctl.abort();
      live.delete(ctl);
    });
    handle(req, res, ctl.signal).catch((e: unknown) => {
      if (!res.headersSent) fail(res, `scripted model: ${(e as Error).message}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ctl of live) ctl.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What a scripted server hands its test: where it listens, what it was asked and refused, and its script queue. */
export function scriptedHandle<R extends RecordedRequest>(server: Listening, url: string, replies: ReplySource, requests: R[], rejected: RejectedRequest[]) {
  return {
    url,
    port: server.port,
    requests,
    rejected,
    push: (...more: Reply[]): void => replies.push(more),
    get remaining(): number {
      return replies.remaining;
    },
    close: server.close,
  };
}
