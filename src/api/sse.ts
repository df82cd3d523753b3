import type { IncomingMessage, ServerResponse } from 'node:http';

// Server-sent events as the SDK parses them (reference §4): headers flushed at once (the SDK's timeout runs until
// headers arrive), `event: <type>` + one single-line `data:` per message, comment heartbeats, no sentinel at the end.

export interface SseOptions {
  heartbeatMs: number;
  /** A client that stops reading is cut off past this much unsent data; it reconnects and lists what it missed. */
  maxBufferedBytes: number;
}

export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];
  private ended = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    this.heartbeat = setInterval(() => this.write(': keepalive\n\n'), opts.heartbeatMs);
    this.heartbeat.unref();
    res.on('close', () => this.close());
    res.on('error', () => this.close());
  }

  get closed(): boolean {
    return this.ended;
  }

  send(event: string, data: unknown): void {
    // JSON.stringify never emits a raw newline, so `data` stays one line.
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Runs `fn` when the stream ends, for whatever reason; at once if it already has. */
  onClose(fn: () => void): void {
    if (this.ended) fn();
    else this.cleanups.push(fn);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    for (const fn of this.cleanups.splice(0)) fn();
    if (!this.res.writableEnded) this.res.end();
  }

  private write(text: string): void {
    if (this.ended) return;
    this.res.write(text);
    if (this.res.writableLength > this.opts.maxBufferedBytes) {
      this.close();
      this.req.socket.destroy();
    }
  }
}

/** Open streams, so the server can end them on close and tests can see that none leaked. */
export class SseRegistry {
  private readonly open = new Set<SseStream>();

  constructor(private readonly opts: SseOptions) {}

  get size(): number {
    return this.open.size;
  }

  start(req: IncomingMessage, res: ServerResponse): SseStream {
    const stream = new SseStream(req, res, this.opts);
    this.open.add(stream);
    stream.onClose(() => this.open.delete(stream));
    return stream;
  }

  closeAll(): void {
    for (const s of [...this.open]) s.close();
  }
}
