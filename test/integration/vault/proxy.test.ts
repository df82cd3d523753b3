import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EgressPolicy } from '../../../src/vault/proxy';
import { curl, raw, startProxy, type ProxyFixture } from './support/proxy-fixture';
import { makeTestPki, type TestPki } from './support/pki';
import { startUpstream, type Upstream } from './support/upstream';

// The egress proxy against real HTTPS upstreams on loopback, driven by curl and raw sockets: policy, credential
// injection, response scrubbing, refusals with a readable reason, and hostile input that must not take it down.

const TOKEN = 'canary-token-7f3a9c1e5b2d4068';
const PLACEHOLDER = 'hangar-placeholder-vcrd_env';

describe('egress proxy (loopback upstreams, curl clients)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let api: Upstream;
  let fx: ProxyFixture;
  let logFile: string;
  const url = (host: string, p: string, port = api.port) => `https://${host}:${port}${p}`;

  before(async () => {
    pki = makeTestPki(['api.hangar.test', 'bearer.hangar.test', 'open.hangar.test', 'refused.hangar.test']);
    api = await startUpstream(pki, TOKEN);
    const policy: EgressPolicy = {
      sessionId: 'sesn_test',
      networking: { type: 'limited', allowed_hosts: ['api.hangar.test', 'bearer.hangar.test', 'open.hangar.test', 'private.hangar.test', 'rebind.hangar.test', 'localhost', '169.254.169.254'], allow_package_managers: false, allow_mcp_servers: false },
      mcpHosts: [],
      credentials: [
        { id: 'vcrd_env', hosts: ['api.hangar.test'], secret: TOKEN, injection: { kind: 'placeholder', placeholder: PLACEHOLDER, headers: true, body: true } },
        { id: 'vcrd_hdr', hosts: ['bearer.hangar.test'], secret: TOKEN, injection: { kind: 'header', name: 'Authorization', value: `Bearer ${TOKEN}` } },
      ],
      logFile: '',
    };
    fx = await startProxy(policy, { upstreamCa: [pki.caPem], headersTimeoutMs: 800 });
    logFile = path.join(fx.dir, 'egress.jsonl');
    policy.logFile = logFile;
    writeFileSync(path.join(fx.dir, 'upstream-ca.pem'), pki.caPem);
  });

  after(async () => {
    await fx?.close();
    await api?.close();
  });

  it('swaps the placeholder for the secret in headers, only on the credential\'s host', async () => {
    const r = await curl(fx, ['-H', `Authorization: Bearer ${PLACEHOLDER}`, url('api.hangar.test', '/api')]);
    assert.equal(r.stdout, 'upstream: authorised\n', r.stderr);
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${TOKEN}`);
  });

  it('sets the header of a header credential although the client sent none (or a wrong one)', async () => {
    const r = await curl(fx, ['-H', 'Authorization: Bearer wrong', url('bearer.hangar.test', '/api')]);
    assert.equal(r.stdout, 'upstream: authorised\n', r.stderr);
  });

  it('swaps the placeholder in a request body when the credential says so', async () => {
    const r = await curl(fx, ['--data-binary', `{"key":"${PLACEHOLDER}"}`, '-H', 'content-type: application/json', url('api.hangar.test', '/api')]);
    assert.equal(r.stdout, 'upstream: authorised\n');
    assert.equal(api.seen.at(-1)?.body, `{"key":"${TOKEN}"}`);
  });

  it('scrubs the secret from responses of an upstream that echoes it back', async () => {
    const r = await curl(fx, ['-i', '-H', `Authorization: Bearer ${PLACEHOLDER}`, url('api.hangar.test', '/echo')]);
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${TOKEN}`);
    assert.ok(!r.stdout.includes(TOKEN), r.stdout);
    assert.match(r.stdout, /x-echo-auth: Bearer \[REDACTED:vcrd_env\]/i);
    assert.match(r.stdout, /"authorization":"Bearer \[REDACTED:vcrd_env\]"/);
  });

  it('does not send the secret to an allowed host it does not belong to (blind tunnel)', async () => {
    const r = await curl(fx, ['--cacert', path.join(fx.dir, 'upstream-ca.pem'), '-H', `Authorization: Bearer ${PLACEHOLDER}`, url('open.hangar.test', '/api')]);
    assert.equal(r.stdout, 'upstream: missing or wrong credentials\n', r.stderr);
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${PLACEHOLDER}`);
  });

  it('refuses a host that is not on the allow-list with a 403 that says how to allow it', async () => {
    const r = await curl(fx, ['-i', url('refused.hangar.test', '/api')]);
    assert.match(r.stdout, /^HTTP\/1\.1 403/);
    assert.match(r.stdout, /refused the connection to refused\.hangar\.test:\d+: the host is not on the environment's allow-list/);
    assert.match(r.stdout, /add "refused\.hangar\.test".*allowed_hosts/);
    const plain = await curl(fx, ['-i', 'http://elsewhere.example/']);
    assert.match(plain.stdout, /^HTTP\/1\.1 403/);
    assert.match(plain.stdout, /elsewhere\.example:80/);
  });

  it('says so when a credential names a host the environment does not allow', async () => {
    const fx2 = await startProxy({
      sessionId: 's4',
      networking: { type: 'limited', allowed_hosts: ['open.hangar.test'], allow_package_managers: false, allow_mcp_servers: false },
      mcpHosts: [],
      logFile: null,
      credentials: [{ id: 'vcrd_blocked', hosts: ['api.hangar.test'], secret: TOKEN, injection: { kind: 'header', name: 'Authorization', value: `Bearer ${TOKEN}` } }],
    });
    try {
      const r = await curl(fx2, ['-i', url('api.hangar.test', '/api')]);
      assert.match(r.stdout, /^HTTP\/1\.1 403[\s\S]*credential vcrd_blocked is meant for this host, but the environment's networking decides/);
    } finally {
      await fx2.close();
    }
  });

  it('refuses private, loopback and link-local destinations even when the name is allowed', async () => {
    for (const target of ['https://private.hangar.test/', 'https://rebind.hangar.test/', 'http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/']) {
      const r = await curl(fx, ['-i', target]);
      assert.match(r.stdout, /^HTTP\/1\.1 403/, target);
      assert.match(r.stdout, /private network address|link-local address|loopback address/, `${target}: ${r.stdout}`);
    }
  });

  it('answers hostile CONNECT targets and malformed requests without falling over', async () => {
    const connect = async (target: string) => (await raw(fx, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`)).text;
    assert.match(await connect('169.254.169.254:80'), /403 Forbidden[\s\S]*link-local address/);
    assert.match(await connect('localhost:22'), /403 Forbidden[\s\S]*loopback address/);
    assert.match(await connect(`127.0.0.1:${fx.address.port}`), /403 Forbidden[\s\S]*loopback/);
    assert.match(await connect('[::1]:22'), /403 Forbidden[\s\S]*loopback/);
    assert.match(await connect('[fe80::1]:22'), /403 Forbidden/);
    assert.match(await connect('0.0.0.0:80'), /403 Forbidden/);
    assert.match(await connect('api.hangar.test'), /^HTTP\/1\.1 400/);
    assert.match(await connect('user@api.hangar.test:443'), /^HTTP\/1\.1 400/);
    assert.match(await connect('api.hangar.test:99999'), /^HTTP\/1\.1 400/);
    assert.match((await raw(fx, 'GARBAGE\r\n\r\n')).text, /^HTTP\/1\.1 400/);
    assert.match((await raw(fx, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]))).text, /^HTTP\/1\.1 400/);
    assert.match((await raw(fx, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).text, /^HTTP\/1\.1 400[\s\S]*not a proxy request/);
    assert.match((await raw(fx, `GET http://api.hangar.test/ HTTP/1.1\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`)).text, /^HTTP\/1\.1 431/);
    assert.match((await raw(fx, `GET http://x/ HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `H${i}: v`).join('\r\n')}\r\n\r\n`)).text, /^HTTP\/1\.1 431/);
  });

  it('closes a slowloris connection that never finishes its headers', async () => {
    const r = await raw(
      fx,
      (s) => {
        s.write('GET http://api.hangar.test/ HTTP/1.1\r\nHost: api.hangar.test\r\n');
        const drip = setInterval(() => (s.writable ? s.write('X-A: b\r\n') : clearInterval(drip)), 100);
        s.on('close', () => clearInterval(drip));
      },
      { waitMs: 10_000 },
    );
    assert.ok(r.closed, 'the proxy closed the connection');
    assert.match(r.text, /^HTTP\/1\.1 408|^$/);
  });

  it('refuses clients that are not a bound sandbox', async () => {
    const r = await raw(fx, 'CONNECT api.hangar.test:443 HTTP/1.1\r\n\r\n', { localAddress: '127.0.0.2' });
    assert.match(r.text, /^HTTP\/1\.1 403[\s\S]*does not come from a Hangar sandbox/);
  });

  it('reports an upstream whose certificate it cannot verify as a 502, never as success', async () => {
    const strict = await startProxy(
      { sessionId: 's2', networking: { type: 'unrestricted' }, mcpHosts: [], logFile: null, credentials: [{ id: 'c', hosts: ['api.hangar.test'], secret: TOKEN, injection: { kind: 'header', name: 'X-Api-Key', value: TOKEN } }] },
      {},
    );
    try {
      const r = await curl(strict, ['-i', url('api.hangar.test', '/api')]);
      assert.match(r.stdout, /^HTTP\/1\.1 502/);
      assert.match(r.stdout, /could not complete the request to https:\/\/api\.hangar\.test:\d+: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
    } finally {
      await strict.close();
    }
  });

  it('refuses to send a credential that would split the request head, and keeps serving', async () => {
    const bad = await startProxy(
      { sessionId: 's3', networking: { type: 'unrestricted' }, mcpHosts: [], logFile: null, credentials: [{ id: 'c', hosts: ['api.hangar.test'], secret: 'x\r\nInjected: yes', injection: { kind: 'header', name: 'X-Api-Key', value: 'x\r\nInjected: yes' } }] },
      { upstreamCa: [pki.caPem] },
    );
    try {
      const before = api.seen.length;
      const r = await curl(bad, ['-i', url('api.hangar.test', '/api')]);
      assert.match(r.stdout, /^HTTP\/1\.1 400[\s\S]*could not send the request to https:\/\/api\.hangar\.test/);
      assert.equal(api.seen.length, before, 'nothing reached the upstream');
      const again = await curl(bad, ['-i', url('api.hangar.test', '/api')]);
      assert.match(again.stdout, /^HTTP\/1\.1 400/);
    } finally {
      await bad.close();
    }
  });

  it('still serves after all of that, and logged every decision without a secret or a path', async () => {
    const r = await curl(fx, ['-H', `Authorization: Bearer ${PLACEHOLDER}`, url('api.hangar.test', '/api?token=xyz')]);
    assert.equal(r.stdout, 'upstream: authorised\n');
    await fx.proxy.log.flush();
    const text = readFileSync(logFile, 'utf8');
    assert.ok(!text.includes(TOKEN));
    assert.ok(!text.includes('token=xyz'));
    const records = text.trim().split('\n').map((l) => JSON.parse(l) as { decision: string; host: string; method: string; mode?: string; credentials?: string[] });
    assert.ok(records.some((x) => x.decision === 'allowed' && x.host === 'api.hangar.test' && x.method === 'GET' && x.credentials?.includes('vcrd_env')));
    assert.ok(records.some((x) => x.decision === 'allowed' && x.host === 'open.hangar.test' && x.mode === 'tunnel'));
    assert.ok(records.some((x) => x.decision === 'refused' && x.host === 'refused.hangar.test'));
    assert.ok(records.some((x) => x.decision === 'refused' && x.host === '169.254.169.254'));
  });
});
