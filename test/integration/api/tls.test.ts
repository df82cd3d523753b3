import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { startApiServer, type ApiServer } from '../../../src/api';
import { loadServerTls, TlsSetupError, type ServerTls } from '../../../src/api/tls';
import { reply } from '../../../src/model/scripted';
import { explainRuntimeError, RuntimeConnectionError, runtimeClient, type RuntimeTarget } from '../../../src/remote/connect';
import { SessionChanges } from '../../../src/wire/changes';
import { expiredCert, opensslCert, type TestCert } from '../../support/tls-certs';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { collect, idleWith } from './helpers';

// A runtime served over HTTPS (issue #15 §2) reached by the real SDK through src/remote: a self-signed certificate
// trusted as a CA file or pinned by fingerprint; an untrusted, expired or wrongly pinned certificate and a wrong token
// each give their own sentence. The changes endpoints let a client review a session whose sandbox is over there.

describe('api: a runtime over TLS', function () {
  this.timeout(60_000);
  let dir: string;
  let cert: TestCert;
  let t: TestRuntime;
  let server: ApiServer;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-tls-'));
    cert = opensslCert(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    t = await makeTestRuntime({ script: [reply.tool('write', { file_path: 'notes.txt', content: 'from afar\n' }), reply.text('wrote it')] });
    server = await startApiServer({ runtime: t.runtime, tls: await loadServerTls(cert.cert, cert.key), heartbeatMs: 200 });
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  const target = (extra: Partial<RuntimeTarget> = {}): RuntimeTarget => ({ url: server.url, token: server.token, maxRetries: 0, ...extra });
  async function failure(p: Promise<unknown>, url = server.url): Promise<RuntimeConnectionError> {
    const err = await p.then(() => assert.fail('expected the call to fail'), (e: unknown) => explainRuntimeError(e, url));
    assert.ok(err instanceof RuntimeConnectionError, `expected a RuntimeConnectionError, got ${String(err)}`);
    return err;
  }

  it('serves https on the certificate name, and a pinned client runs a session and reviews its changes', async () => {
    assert.equal(server.url, `https://localhost:${server.port}`);
    assert.equal(server.fingerprint256, cert.fingerprint256);
    const client = runtimeClient(target({ trust: { pin: cert.fingerprint256 } }));
    const agent = await client.beta.agents.create({ name: 'remote', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] } as Anthropic.Beta.AgentCreateParams);
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    const stream = await client.beta.sessions.events.stream(session.id);
    await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'write notes' }] }] });
    await collect(stream, idleWith('end_turn'));

    const changes = SessionChanges.parse(await client.get(`/v1/sessions/${session.id}/changes`));
    assert.deepEqual(changes.files.map((f) => [f.path, f.status, f.additions]), [['notes.txt', 'added', 1]]);
    assert.match(changes.patch, /\+from afar/);
    const current = await client.get(`/v1/sessions/${session.id}/changes/content`, { query: { path: 'notes.txt', side: 'current' }, __binaryResponse: true } as never) as unknown as Response;
    assert.equal(await current.text(), 'from afar\n');
    const readme = await client.get(`/v1/sessions/${session.id}/changes/content`, { query: { path: 'README.md', side: 'baseline' }, __binaryResponse: true } as never) as unknown as Response;
    assert.equal(await readme.text(), '# sample\n');

    // Bad input: a path outside the repository, a side that is not one, a file the baseline lacks.
    await assert.rejects(client.get(`/v1/sessions/${session.id}/changes/content`, { query: { path: '../etc/passwd', side: 'current' } }), (e: InstanceType<typeof Anthropic.APIError>) => e.status === 400 && /relative to the repository/.test(e.message));
    await assert.rejects(client.get(`/v1/sessions/${session.id}/changes/content`, { query: { path: 'notes.txt', side: 'theirs' } }), (e: InstanceType<typeof Anthropic.APIError>) => e.status === 400 && /side/.test(e.message));
    await assert.rejects(client.get(`/v1/sessions/${session.id}/changes/content`, { query: { path: 'notes.txt', side: 'baseline' } }), (e: InstanceType<typeof Anthropic.APIError>) => e.status === 404 && /does not exist on the baseline side/.test(e.message));
    await assert.rejects(client.get('/v1/sessions/sesn_nope/changes'), (e: InstanceType<typeof Anthropic.APIError>) => e.status === 404);
  });

  it('trusts the self-signed certificate given as a CA file', async () => {
    const client = runtimeClient(target({ trust: { ca: readFileSync(cert.cert, 'utf8') } }));
    const page = await client.beta.sessions.list();
    assert.deepEqual(page.data, []);
  });

  it('refuses an untrusted certificate, a wrong pin and a wrong token, each with what to do', async () => {
    const untrusted = await failure(runtimeClient(target()).beta.sessions.list());
    assert.equal(untrusted.kind, 'certificate');
    assert.match(untrusted.message, /does not trust \(DEPTH_ZERO_SELF_SIGNED_CERT\).*--ca .*--pin/);

    const other = opensslCert(dir, 'other');
    const pinned = await failure(runtimeClient(target({ trust: { pin: other.fingerprint256 } })).beta.sessions.list());
    assert.equal(pinned.kind, 'certificate');
    assert.ok(pinned.message.includes(`fingerprint ${cert.fingerprint256}, not the pinned ${other.fingerprint256}`), pinned.message);

    const token = await failure(runtimeClient(target({ token: 'hgr_wrong', trust: { pin: cert.fingerprint256 } })).beta.sessions.list());
    assert.equal(token.kind, 'token');
    assert.match(token.message, /refused the token \(401\).*api-token/);

    assert.throws(() => runtimeClient(target({ trust: { pin: 'abc' } })), /not a SHA-256 certificate fingerprint/);
    assert.throws(() => runtimeClient({ url: 'http://10.0.0.1:4000', token: 'x' }), /in the clear.*--tls-cert/);
  });

  it('refuses to listen beyond loopback without TLS, and to start on an expired certificate', async () => {
    await assert.rejects(startApiServer({ runtime: t.runtime, host: '0.0.0.0' }), /in the clear/);
    const expired = expiredCert(dir);
    await assert.rejects(loadServerTls(expired.cert, expired.key), (e: Error) => e instanceof TlsSetupError && /expired on/.test(e.message));
    await assert.rejects(loadServerTls(cert.cert, expired.key), (e: Error) => e instanceof TlsSetupError && /not the private key/.test(e.message));
  });

  it('an expired certificate (served anyway) is refused by a client that trusts it and by one that pins it', async () => {
    const expired = expiredCert(dir);
    const tls: ServerTls = { cert: readFileSync(expired.cert, 'utf8'), key: readFileSync(expired.key, 'utf8'), fingerprint256: expired.fingerprint256, names: ['localhost', '127.0.0.1'], validTo: new Date(0) };
    const stale = await startApiServer({ runtime: t.runtime, tls });
    try {
      const byCa = await failure(runtimeClient({ url: stale.url, token: stale.token, maxRetries: 0, trust: { ca: tls.cert } }).beta.sessions.list(), stale.url);
      assert.match(byCa.message, /expired certificate; renew it/);
      const byPin = await failure(runtimeClient({ url: stale.url, token: stale.token, maxRetries: 0, trust: { pin: expired.fingerprint256 } }).beta.sessions.list(), stale.url);
      assert.match(byPin.message, /pinned certificate expired on/);
    } finally {
      await stale.close();
    }
  });

  it('answers only the Host names of its certificate', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/v1/sessions', headers: { host: `evil.example:${server.port}`, 'x-api-key': server.token }, ca: readFileSync(cert.cert), servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });
});
