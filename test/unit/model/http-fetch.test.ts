import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { httpFetch } from '../../../src/model/http-fetch';

// The model client's fetch keeps what the global fetch does that the SDK and the error classification rely on.
describe('model: httpFetch', () => {
  let server: http.Server;
  let base: string;
  const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();

  before(async () => {
    server = http.createServer((req, res) => {
      const route = routes.get(req.url ?? '');
      if (route) route(req, res);
      else res.writeHead(404).end('no route');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, headers and body, and streams the answer with its status and headers', async () => {
    routes.set('/echo', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'text/event-stream', 'x-seen': `${req.method} ${req.headers['x-key']} ${req.headers['content-length']}` });
        res.write('data: one\n\n');
        setTimeout(() => res.end(`data: ${body}\n\n`), 20);
      });
    });
    const response = await httpFetch(`${base}/echo`, { method: 'POST', headers: { 'x-key': 'k' }, body: 'héllo' });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-seen'), 'POST k 6');
    assert.equal(await response.text(), 'data: one\n\ndata: héllo\n\n');
  });

  it('fails like the global fetch when nothing listens: TypeError("fetch failed") with the network cause under it', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await httpFetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(() => assert.fail('fetched'), (e: unknown) => e);
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, 'fetch failed');
    assert.equal((err.cause as { code?: string }).code, 'ECONNREFUSED');
  });

  it('errors the body with TypeError("terminated") when the answer breaks off', async () => {
    routes.set('/drop', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: partial\n\n', () => res.socket?.destroy());
    });
    const response = await httpFetch(`${base}/drop`, { method: 'POST', body: '{}' });
    const err = await response.text().then(() => assert.fail('read to the end'), (e: unknown) => e);
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, 'terminated');
  });

  it('rejects with the signal\'s reason when aborted before the answer, which the SDK takes as an abort', async () => {
    routes.set('/hang', () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await httpFetch(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal }).then(() => assert.fail('answered'), (e: unknown) => e);
    assert.equal((err as Error).name, 'AbortError');
  });

  it('decodes a compressed answer, follows a redirect, and gives a 204 no body', async () => {
    routes.set('/gzip', (req, res) => res.writeHead(200, { 'content-encoding': 'gzip', 'x-from': req.headers['user-agent'] ?? 'none' }).end(gzipSync('unzipped')));
    routes.set('/moved', (_req, res) => res.writeHead(307, { location: '/gzip' }).end());
    routes.set('/empty', (_req, res) => res.writeHead(204).end());
    const unzipped = await httpFetch(`${base}/gzip`);
    assert.equal(unzipped.headers.get('x-from'), 'none', 'sent by node:http (the global fetch sends a user-agent)');
    assert.equal(await unzipped.text(), 'unzipped');
    assert.equal(await (await httpFetch(`${base}/moved`, { method: 'POST', body: '{}' })).text(), 'unzipped');
    const empty = await httpFetch(`${base}/empty`);
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
  });
});
