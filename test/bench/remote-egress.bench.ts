// Egress benchmark: an HTTP request from a sandbox through Hangar's egress proxy to a server on this host, on the local
// engine (the sandbox network; the proxy listens on its gateway) against a remote engine (the second dockerd of
// scripts/setup/docker-remote.sh over TLS, and over ssh via scripts/setup/docker-ssh.sh), whose sandbox has no network
// and reaches the proxy through the relay tunnelled over the engine connection (tunnel.ts), in one run. Each request
// is timed by curl inside the sandbox (connection to the proxy included: curl opens one per request).
// Run: npx tsx test/bench/remote-egress.bench.ts [--requests 50]
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { buildToolServer } from '../../src/sandbox/docker/toolserver-build';
import { CertificateAuthority } from '../../src/vault/proxy/ca';
import { EgressProxy } from '../../src/vault/proxy/server';
import { SandboxEnvironment } from '../../src/wire/environment';
import { BenchEgress } from './bench-egress';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const REQUESTS = arg('--requests', 50);
const HOST = 'bench.hangar.test';
const TLS_ENGINE = process.env.HANGAR_DOCKER2_HOST ?? 'tcp://127.0.0.1:23760';
const SSH_ENGINE = process.env.HANGAR_DOCKER2_SSH ?? 'ssh://hangar-docker-ssh';
process.env.DOCKER_TLS_VERIFY = '1';
process.env.DOCKER_CERT_PATH = process.env.HANGAR_DOCKER2_CERTS ?? '/var/lib/hangar-docker2/client';
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-egress-bench-'));
const environment = SandboxEnvironment.parse({ type: 'cloud', networking: { type: 'limited', allowed_hosts: [HOST] } });

async function main(): Promise<void> {
  const server = http.createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const proxy = new EgressProxy({
    ca: await CertificateAuthority.loadOrCreate(path.join(tmpRoot, 'ca')),
    lookup: async (host) => (host === HOST ? [{ address: '127.0.0.1', family: 4 }] : []),
    allowPrivate: (host) => host === HOST,
    policyFor: async (sessionId) => ({ sessionId, networking: environment.networking, mcpHosts: [], credentials: [], logFile: null }),
  });
  const toolServerPath = (await buildToolServer(path.join(tmpRoot, 'toolserver'))).file;
  const rows: Array<Row & { p50: number }> = [];
  const engines = [
    ['local engine (sandbox network, baseline)', 'unix:///var/run/docker.sock'],
    ['remote engine, TLS (tunnel)', TLS_ENGINE],
    ['remote engine, ssh (tunnel)', SSH_ENGINE],
  ] as const;
  try {
    for (const [name, engine] of engines) {
      const provider = new DockerSandboxProvider({ storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'store-')), engine, toolServerPath });
      provider.useEgress(new BenchEgress(proxy));
      try {
        const sb = await provider.provision({ sessionId: `ebench-${process.pid}-${rows.length}`, environment });
        const script = `for i in $(seq ${REQUESTS + 5}); do curl -sS -o /dev/null -w '%{time_total}\\n' http://${HOST}:${port}/; done`;
        const out = await sb.execute('bash', { command: script, timeout_ms: 600_000 });
        const text = out.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
        const samples = text.split('\n').map(Number).filter((n) => n > 0).slice(5).map((s) => s * 1000);
        if (samples.length < REQUESTS) throw new Error(`${name}: ${samples.length} of ${REQUESTS} requests answered:\n${text.slice(0, 2000)}`);
        const r = summarize(samples);
        rows.push({ engine: name, requests: r.n, 'p50 ms': r.p50, 'p95 ms': r.p95, p50: r.p50 });
        await provider.destroy(sb.sessionId);
      } finally {
        await provider.close();
      }
    }
  } finally {
    await proxy.close();
    server.close();
  }
  const base = rows[0]!.p50;
  const table = rows.map(({ p50, ...row }) => ({ ...row, '× local (p50)': p50 / base }));
  printTable(`HTTP request through the egress proxy from a sandbox (${os.cpus().length} CPU, Node ${process.version}, ${REQUESTS} requests, 5 warm-up)`, table);
  console.log(`\nresults: ${await writeResults('remote-egress', table)}`);
}

try {
  await main();
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
