import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { ModelError, type ModelStreamEvent } from '../../../src/model/types';

// The Messages client's own HTTP and SSE handling (anthropic-messages.ts): what it sends, how it reads an event
// stream however the bytes are cut, and how every failure becomes a ModelError the retry policy can act on.
describe('model: the Messages API client', () => {
  let server: http.Server;
  let base: string;
  let answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => answer(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

  async function run(opts: { baseURL?: string; timeoutMs?: number } = {}): Promise<ModelStreamEvent[]> {
    const model = createAnthropicModel({ apiKey: async () => 'sk-test', baseURL: opts.baseURL ?? base, timeoutMs: opts.timeoutMs });
    const out: ModelStreamEvent[] = [];
    for await (const e of model.stream(request, new AbortController().signal)) out.push(e);
    return out;
  }

  async function failure(opts: { baseURL?: string; timeoutMs?: number } = {}): Promise<ModelError> {
    const err = await run(opts).then(() => assert.fail('expected a failure'), (e: unknown) => e);
    assert.ok(err instanceof ModelError, String(err));
    return err;
  }

  const stop = { type: 'message_stop' };
  const start = { type: 'message_start', message: { usage: { input_tokens: 3, output_tokens: 1 } } };

  it('posts the request with stream on, the key as a Bearer token (as the SDK sends it) and the API version, under the base URL', async () => {
    let seen: { url?: string; key?: string; version?: string; type?: string; body?: unknown } = {};
    answer = (req, body, res) => {
      seen = { url: req.url, key: req.headers.authorization, version: req.headers['anthropic-version'] as string, type: req.headers['content-type'], body: JSON.parse(body) };
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: message_stop\ndata: ${JSON.stringify(stop)}\n\n`);
    };
    await run({ baseURL: `${base}/gateway/` });
    assert.deepEqual(seen, { url: '/gateway/v1/messages', key: 'Bearer sk-test', version: '2023-06-01', type: 'application/json', body: { ...request, stream: true } });
  });

  it('reads events cut anywhere, with CRLF or CR line ends, comments, pings and data over several lines', async () => {
    const text =
      `: a comment\r\nevent: message_start\r\ndata: ${JSON.stringify(start)}\r\n\r\n` +
      `event: ping\rdata: {"type":"ping"}\r\r` +
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\ndata: "delta":{"type":"text_delta","text":"é"}}\n\n` +
      `event: message_stop\ndata: ${JSON.stringify(stop)}\n\n`;
    const bytes = Buffer.from(text);
    answer = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // One byte at a time: lines, CRLF pairs and the two bytes of é are all split.
      let i = 0;
      const next = () => (i < bytes.length ? res.write(bytes.subarray(i, ++i), next) : res.end());
      next();
    };
    assert.deepEqual(await run(), [start, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'é' } }, stop]);
  });

  it('decodes a compressed stream', async () => {
    answer = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' }).end(gzipSync(`event: message_stop\ndata: ${JSON.stringify(stop)}\n\n`));
    assert.deepEqual(await run(), [stop]);
  });

  it("an error status: classified by status, with the API's message and retry-after", async () => {
    answer = (_req, _body, res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' }).end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
    const e = await failure();
    assert.equal(e.kind, 'rate_limited');
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 7000);
    assert.equal(e.message, 'The model is rate limited (429 rate_limit_error: slow down).');
  });

  it('an error event in the stream: a retryable stream error with its message', async () => {
    answer = (_req, _body, res) =>
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: message_start\ndata: ${JSON.stringify(start)}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`);
    const e = await failure();
    assert.equal(e.kind, 'stream');
    assert.equal(e.retryable, true);
    assert.match(e.message, /broke off \(Overloaded \(type: overloaded_error\)\)/);
  });

  it('an answer that breaks off mid-stream: a retryable stream error', async () => {
    answer = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`, () => res.socket?.destroy());
    };
    const e = await failure();
    assert.equal(e.kind, 'stream');
    assert.equal(e.retryable, true);
  });

  it('nothing listening: a network error naming the address and the cause', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const e = await failure({ baseURL: url });
    assert.equal(e.kind, 'network');
    assert.equal(e.message, `Can't reach the model at ${url} (ECONNREFUSED).`);
  });

  it('no answer within the timeout: a network error, and the request is given up', async () => {
    let closed = false;
    answer = (req) => req.socket.on('close', () => (closed = true));
    const e = await failure({ timeoutMs: 100 });
    assert.equal(e.kind, 'network');
    assert.equal(e.message, `The model at ${base} did not answer in time.`);
    for (let i = 0; i < 50 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(closed, 'the connection was left open');
  });
});
