import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { ensureApiToken } from '../../../src/api';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { raw, startApi, type ApiFixture } from './helpers';

// §9 items 1 and 12 on the wire: the token, browser and DNS-rebinding refusals, the error envelope and every kind of
// bad input, each with a message that says what to fix and nothing written.

const agentBody = JSON.stringify({ name: 'raw', model: DEFAULT_MODEL });
const json = { 'content-type': 'application/json' };

describe('api: auth, guards and bad input', function () {
  this.timeout(30_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('creates the token file 0600 once, reuses it, and replaces one others can read', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hangar-token-'));
    try {
      const a = await ensureApiToken(root);
      assert.equal(statSync(a.file).mode & 0o777, 0o600);
      assert.match(a.token, /^hgr_/);
      const b = await ensureApiToken(root);
      assert.equal(b.token, a.token);
      chmodSync(a.file, 0o644);
      const c = await ensureApiToken(root);
      assert.notEqual(c.token, a.token, 'a token others could read is not trusted');
      assert.equal(statSync(c.file).mode & 0o777, 0o600);
      writeFileSync(c.file, 'garbage', { mode: 0o600 });
      const d = await ensureApiToken(root);
      assert.match(readFileSync(d.file, 'utf8'), /^hgr_[A-Za-z0-9_-]{43}\n$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('requires the token (Bearer or x-api-key) and maps failures to AuthenticationError', async () => {
    f = await startApi();
    assert.equal(f.server.tokenFile, path.join(f.t.storage, 'api-token'));
    assert.equal(readFileSync(f.server.tokenFile!, 'utf8').trim(), f.server.token);
    const missing = await raw(f.server, 'GET', '/v1/agents', { auth: false });
    assert.equal(missing.status, 401);
    assert.equal(missing.json().error.type, 'authentication_error');
    assert.match(missing.json().error.message, /Authorization: Bearer/);
    assert.equal((await raw(f.server, 'GET', '/v1/agents', { auth: false, headers: { 'x-api-key': 'hgr_wrong' } })).status, 401);
    assert.equal((await raw(f.server, 'GET', '/v1/agents', { auth: false, headers: { authorization: `Bearer ${f.server.token}` } })).status, 200);
    assert.equal((await raw(f.server, 'GET', '/v1/agents')).status, 200, 'x-api-key works for curl users');
    const wrong = new Anthropic({ apiKey: 'hgr_not-the-token', baseURL: f.server.url });
    await assert.rejects(wrong.beta.agents.list(), (err: unknown) => err instanceof Anthropic.AuthenticationError && err.status === 401);
    await assert.rejects(wrong.beta.sessions.events.stream('sesn_x'), (err: unknown) => err instanceof Anthropic.AuthenticationError);
  });

  it('refuses browsers (Origin, Sec-Fetch-Site) and other Host names, and never sends CORS headers', async () => {
    f = await startApi();
    const origin = await raw(f.server, 'GET', '/v1/agents', { headers: { origin: 'https://evil.example' } });
    assert.equal(origin.status, 403);
    assert.equal(origin.json().error.type, 'permission_error');
    assert.equal((await raw(f.server, 'GET', '/v1/agents', { headers: { origin: 'null' } })).status, 403);
    assert.equal((await raw(f.server, 'GET', '/v1/agents', { headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
    const preflight = await raw(f.server, 'OPTIONS', '/v1/agents', { auth: false, headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.ok(!Object.keys(preflight.headers).some((h) => h.startsWith('access-control-')));
    const rebound = await raw(f.server, 'GET', '/v1/agents', { headers: { host: `attacker.example:${f.server.port}` } });
    assert.equal(rebound.status, 403);
    assert.match(rebound.json().error.message, /Host/);
    assert.equal((await raw(f.server, 'GET', '/v1/agents', { headers: { host: `127.0.0.1:${f.server.port + 1}` } })).status, 403);
    assert.equal((await raw(f.server, 'GET', '/v1/agents', { headers: { host: `localhost:${f.server.port}` } })).status, 200);
    // Two Host headers (the first one allowed): refused in the error envelope, whichever one a proxy would have used.
    const twice = await rawSocket(f.server.port, `GET /v1/agents HTTP/1.1\r\nHost: 127.0.0.1:${f.server.port}\r\nHost: attacker.example\r\nx-api-key: ${f.server.token}\r\nConnection: close\r\n\r\n`);
    assert.match(twice, /^HTTP\/1\.1 400 /);
    assert.match(twice, /more than one Host header/);
  });

  it('answers every error with the envelope, a request-id and x-should-retry: false', async () => {
    f = await startApi();
    const notFound = await raw(f.server, 'GET', '/v1/nope');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers['content-type'], 'application/json');
    assert.equal(notFound.headers['x-should-retry'], 'false');
    const body = notFound.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'not_found_error');
    assert.equal(body.request_id, notFound.headers['request-id']);
    const wrongMethod = await raw(f.server, 'DELETE', '/v1/agents');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'POST, GET');
    assert.equal(wrongMethod.json().error.type, 'invalid_request_error');
    const escape = await raw(f.server, 'GET', '/v1/agents/..%2F..%2Fetc%2Fpasswd');
    assert.equal(escape.status, 404);
    assert.equal((await raw(f.server, 'GET', '/v1/sessions/%E0%A4%A')).status, 404, 'a broken percent-escape is not found, not a crash');
    const ok = await raw(f.server, 'GET', '/v1/agents');
    assert.match(String(ok.headers['request-id']), /^req_/);
    assert.equal(ok.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(ok.text), { data: [], next_page: null });
  });

  it('refuses malformed, mistyped, unknown and empty bodies with a message that names the problem', async () => {
    f = await startApi();
    const post = (body: string | Buffer, headers: Record<string, string> = json) => raw(f.server, 'POST', '/v1/agents', { body, headers });
    const malformed = await post('{"name": "x",');
    assert.equal(malformed.status, 400);
    assert.match(malformed.json().error.message, /not valid JSON/);
    const mistyped = await post(JSON.stringify({ name: 42, model: DEFAULT_MODEL }));
    assert.equal(mistyped.status, 400);
    assert.match(mistyped.json().error.message, /name/);
    assert.match(mistyped.json().error.message, /expected string/);
    const unknown = await post(JSON.stringify({ name: 'x', model: DEFAULT_MODEL, colour: 'red' }));
    assert.equal(unknown.status, 400);
    assert.match(unknown.json().error.message, /colour/);
    assert.equal((await post('[1,2,3]')).status, 400);
    const empty = await raw(f.server, 'POST', '/v1/agents', { headers: json });
    assert.equal(empty.status, 400);
    assert.match(empty.json().error.message, /needs a JSON object body/);
    const text = await post(agentBody, { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.match(text.json().error.message, /application\/json/);
    const binary = await post(Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]));
    assert.equal(binary.status, 400);
    assert.match(binary.json().error.message, /UTF-8/);
    const proto = await post('{"name":"p","model":"m","__proto__":{"polluted":"yes"}}');
    assert.equal(proto.status, 400);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing reached Object.prototype');
    assert.deepEqual(JSON.parse((await raw(f.server, 'GET', '/v1/agents')).text), { data: [], next_page: null }, 'no refused request wrote an agent');
  });

  it('refuses bad query strings: limits, booleans, unknown keys, cursors, timestamps', async () => {
    f = await startApi();
    const get = async (q: string) => raw(f.server, 'GET', `/v1/agents${q}`);
    for (const q of ['?limit=0', '?limit=abc', '?limit=1001', '?include_archived=yes', '?limt=5', '?page=not-a-cursor', '?created_at%5Bgte%5D=yesterday', '?created_at%5Bsoon%5D=2026-01-01T00:00:00Z']) {
      const r = await get(q);
      assert.equal(r.status, 400, `${q} -> ${r.status} ${r.text}`);
      assert.equal(r.headers['x-should-retry'], 'false');
    }
    assert.match((await get('?limit=0')).json().error.message, /limit/);
    assert.equal((await get('?limit=5&include_archived=true&created_at%5Bgte%5D=2020-01-01T00:00:00Z')).status, 200);
    assert.equal((await raw(f.server, 'GET', '/v1/sessions?statuses%5B%5D=idle&statuses%5B%5D=running&order=asc')).status, 200);
    assert.equal((await raw(f.server, 'GET', '/v1/sessions?statuses%5B%5D=sleeping')).status, 400);
    assert.equal((await raw(f.server, 'GET', '/v1/sessions?agent_version=2')).status, 400, 'agent_version needs agent_id');
  });

  it('refuses oversize bodies with 413 request_too_large, by declared length and while streaming', async () => {
    f = await startApi({ server: { maxBodyBytes: 4096 } });
    const declared = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: f.server.port, method: 'POST', path: '/v1/agents', headers: { 'x-api-key': f.server.token, ...json, 'content-length': String(40 * 1024 * 1024) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write('{');
    });
    assert.equal(declared.status, 413);
    assert.equal(declared.connection, 'close', 'the unread upload is not taken for the next request');
    assert.equal((JSON.parse(declared.body) as { error: { type: string } }).error.type, 'request_too_large');
    const chunked = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: f.server.port, method: 'POST', path: '/v1/agents', headers: { 'x-api-key': f.server.token, ...json, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => undefined);
      const filler = `{"name":"${'x'.repeat(1000)}`;
      for (let i = 0; i < 10; i++) req.write(filler);
    });
    assert.equal(chunked, 413);
    assert.equal((await raw(f.server, 'GET', '/v1/agents')).status, 200, 'the server is fine afterwards');
  });

  it('refuses a batch of events as a whole when one of them is invalid', async () => {
    f = await startApi();
    const session = await f.session((await f.agent()).id);
    const send = (events: unknown[]) => raw(f.server, 'POST', `/v1/sessions/${session.id}/events`, { body: JSON.stringify({ events }), headers: json });
    const message = { type: 'user.message', content: [{ type: 'text', text: 'hi' }] };
    const badShape = await send([message, { type: 'user.message', content: [] }]);
    assert.equal(badShape.status, 400);
    assert.match(badShape.json().error.message, /events/);
    const badRef = await send([message, { type: 'user.tool_confirmation', tool_use_id: 'sevt_nope', result: 'allow' }]);
    assert.equal(badRef.status, 400);
    assert.match(badRef.json().error.message, /names no tool call/);
    assert.equal((await send([{ type: 'user.tool_result', tool_use_id: 'x' }])).status, 400, 'user.tool_result is for self-hosted environments only');
    assert.equal((await send([])).status, 400);
    const history = await f.client.beta.sessions.events.list(session.id);
    assert.deepEqual(history.data, [], 'nothing from a refused batch reached the log');
    assert.equal((await raw(f.server, 'POST', '/v1/sessions/sesn_nope/events', { body: JSON.stringify({ events: [message] }), headers: json })).status, 404);
  });

  it('answers requests the HTTP parser refuses (bad request line, headers too large) with the error envelope', async () => {
    f = await startApi();
    const envelopeOf = (answer: string) => {
      const [head, body] = answer.split('\r\n\r\n');
      assert.match(head!, /\r\ncontent-type: application\/json\r\n/i);
      assert.match(head!, /\r\nconnection: close/i);
      const parsed = JSON.parse(body!) as { type: string; error: { type: string; message: string }; request_id: string };
      assert.equal(parsed.type, 'error');
      assert.match(head!, new RegExp(`\\r\\nrequest-id: ${parsed.request_id}\\r\\n`, 'i'));
      return parsed.error;
    };
    const garbled = await rawSocket(f.server.port, 'GET /v1/agents HTTP/1.1 trailing junk\r\n\r\n');
    assert.match(garbled, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const bad = envelopeOf(garbled);
    assert.equal(bad.type, 'invalid_request_error');
    assert.match(bad.message, /not valid HTTP\/1\.1 \(HPE_/);
    const huge = await rawSocket(f.server.port, `GET /v1/agents HTTP/1.1\r\nHost: 127.0.0.1:${f.server.port}\r\nx-filler: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(envelopeOf(huge).message, /headers are larger than \d+ bytes/);
    assert.equal((await raw(f.server, 'GET', '/v1/agents')).status, 200, 'the server is fine afterwards');
  });

  it('a client that disconnects mid-body is not a server error (no 500, no stack)', async () => {
    const errors: unknown[] = [];
    f = await startApi({ server: { onError: (err) => errors.push(err) } });
    const { token, port } = f.server;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /v1/agents HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-api-key: ${token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name":`);
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    assert.equal((await raw(f.server, 'GET', '/v1/agents')).status, 200, 'the server is fine afterwards');
    // close() waits for requests in flight, so the broken one has been handled by the time it returns.
    await f.server.close();
    assert.equal(f.requests.filter((r) => r.method === 'POST').length, 1, 'the broken request reached the handler');
    assert.deepEqual(errors.map(String), []);
  });
});

/** Sends bytes as they are (headers Node's client would refuse or merge) and returns the whole answer. */
function rawSocket(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}
