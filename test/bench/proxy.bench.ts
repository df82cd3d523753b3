// Egress proxy benchmark: what going through the proxy costs a sandbox's HTTPS request, on loopback, against a
// direct connection: a blind CONNECT tunnel (allowed host without credentials) and an intercepted one (the proxy
// terminates TLS, injects the credential, scrubs the response). Also the throughput of a 32 MB download each way and
// the cost of issuing a leaf certificate for a host not seen before. Run: npx tsx test/bench/proxy.bench.ts
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, EgressProxy, type EgressPolicy } from '../../src/vault/proxy';
import { makeTestPki } from '../integration/vault/support/pki';
import { allowLoopbackTestNames, testLookup } from '../integration/vault/support/proxy-fixture';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const ITERATIONS = 200;
const BIG = 32 * 1024 * 1024;
const TOKEN = 'bench-token-0123456789abcdef';

async function main(): Promise<void> {
  const pki = makeTestPki(['plain.hangar.test', 'cred.hangar.test']);
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  const upstream = https.createServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG });
      for (let i = 0; i < BIG / chunk.length; i++) res.write(chunk);
      return res.end();
    }
    res.end(req.headers.authorization === `Bearer ${TOKEN}` ? 'authorised' : 'anonymous');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as net.AddressInfo).port;
  const ca = await CertificateAuthority.loadOrCreate(path.join(mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-')), 'egress'));
  const policy: EgressPolicy = {
    sessionId: 'bench',
    networking: { type: 'unrestricted' },
    mcpHosts: [],
    logFile: null,
    credentials: [{ id: 'vcrd_bench', hosts: ['cred.hangar.test'], secret: TOKEN, injection: { kind: 'header', name: 'Authorization', value: `Bearer ${TOKEN}` } }],
  };
  const proxy = new EgressProxy({ ca, policyFor: async () => policy, lookup: testLookup, allowPrivate: allowLoopbackTestNames, upstreamCa: [pki.caPem] });
  const listen = await proxy.listen('127.0.0.1');
  proxy.bind('bench', '127.0.0.1');
  const trust = [pki.caPem, ca.certPem];

  /** One HTTPS GET on a new connection, directly or through a CONNECT tunnel of the proxy; resolves with the body size. */
  const get = (host: string, p: string, viaProxy: boolean) =>
    new Promise<number>((resolve, reject) => {
      const send = (socket?: net.Socket) => {
        const req = https.request(
          { host: '127.0.0.1', port, path: p, headers: { host: `${host}:${port}` }, ca: trust, servername: host, ...(socket ? { createConnection: () => tls.connect({ socket, servername: host, ca: trust }) } : { agent: false }) },
          (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => (n += c.length));
            res.on('end', () => resolve(n));
          },
        );
        req.on('error', reject);
        req.end();
      };
      if (!viaProxy) return send();
      const c = http.request({ host: '127.0.0.1', port: listen.port, method: 'CONNECT', path: `${host}:${port}` });
      c.on('connect', (res, socket) => (res.statusCode === 200 ? send(socket) : reject(new Error(`CONNECT ${res.statusCode}`))));
      c.on('error', reject);
      c.end();
    });

  if ((await get('cred.hangar.test', '/api', true)) !== 'authorised'.length) throw new Error('the intercepted request was not authorised: the bench would measure the wrong path');
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  const cases: [string, string, boolean][] = [
    ['direct', 'plain.hangar.test', false],
    ['proxy tunnel', 'plain.hangar.test', true],
    ['proxy intercepted + injected', 'cred.hangar.test', true],
  ];
  for (const [name, host, via] of cases) {
    const s = summarize(await measure(() => get(host, '/api', via), { iterations: ITERATIONS, warmup: 10 }));
    const big = summarize(await measure(() => get(host, '/big', via), { iterations: 5, warmup: 1 }));
    const mbps = BIG / 1024 / 1024 / (big.p50 / 1000);
    rows.push({ case: name, 'request p50 ms': s.p50, 'request p95 ms': s.p95, '32 MB p50 ms': big.p50, 'MB/s': mbps });
    results[name] = { request: s, download: big, mbps };
  }
  const leaf = summarize(await measure((i) => ca.contextFor(`host-${i}-${Date.now()}.example`), { iterations: 50, warmup: 1 }));
  rows.push({ case: 'leaf certificate for a new host', 'request p50 ms': leaf.p50, 'request p95 ms': leaf.p95 });
  results.leaf = leaf;
  printTable(`egress proxy on loopback (HTTPS GET, new connection each; ${ITERATIONS} requests)`, rows);
  console.log(`results: ${await writeResults('proxy', results)}`);
  await proxy.close();
  await new Promise<void>((r) => upstream.close(() => r()));
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
