// Environment packages benchmark: time to a ready Docker sandbox for an environment with 5 packages (apt: jq, tree,
// bc; npm: cowsay, semver), for the first session (the derived image is built: packages installed through the egress
// proxy from the real registries) and for later sessions (the derived image is reused), beside the time for the same
// environment without packages, all in one run on the same provider and networking.
// Run: npx tsx test/bench/packages.bench.ts [--runs 5] [--first-runs 1]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { connectDocker } from '../../src/sandbox/docker/client';
import { pruneDerivedImages } from '../../src/sandbox/docker/derived-image';
import { buildToolServer } from '../../src/sandbox/docker/toolserver-build';
import { CertificateAuthority } from '../../src/vault/proxy/ca';
import { EgressProxy } from '../../src/vault/proxy/server';
import { SandboxEnvironment } from '../../src/wire/environment';
import { BenchEgress } from './bench-egress';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 5);
const FIRST_RUNS = arg('--first-runs', 1);
const networking = { type: 'limited', allowed_hosts: [], allow_package_managers: true };
const plain = SandboxEnvironment.parse({ type: 'cloud', networking });
const withPackages = SandboxEnvironment.parse({ type: 'cloud', networking, packages: { apt: ['jq', 'tree', 'bc'], npm: ['cowsay', 'semver'] } });
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-packages-bench-'));
let seq = 0;
const nextSession = () => `pkgbench-${process.pid}-${seq++}`;

async function timed(runs: number, run: () => Promise<unknown>, before?: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await before?.();
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return samples;
}

const ca = await CertificateAuthority.loadOrCreate(path.join(tmpRoot, 'egress'));
const proxy = new EgressProxy({ ca, policyFor: async (sessionId) => ({ sessionId, networking: plain.networking, mcpHosts: [], credentials: [], logFile: null }) });
const docker = await connectDocker();
const storageRoot = path.join(tmpRoot, 'store');
const provider = new DockerSandboxProvider({ storageRoot, toolServerPath: (await buildToolServer(path.join(tmpRoot, 'toolserver'))).file });
provider.useEgress(new BenchEgress(proxy));
const repo = path.join(tmpRoot, 'repo');
fs.mkdirSync(repo);
fs.writeFileSync(path.join(repo, 'README.md'), '# bench\n');
const ready = async (environment: SandboxEnvironment) => {
  const sb = await provider.provision({ sessionId: nextSession(), repoPath: repo, environment });
  await provider.destroy(sb.sessionId);
};
const dropDerived = () => pruneDerivedImages(docker, path.join(storageRoot, 'docker'), null, { maxCount: 0 });

try {
  await ready(plain); // untimed: the snapshot, the network and the proxy exist from here on
  const first = await timed(FIRST_RUNS, () => ready(withPackages), dropDerived);
  // Baseline and cached runs alternate, so a busy moment on the machine weighs on both alike.
  const baseline: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(...(await timed(1, () => ready(plain))));
    cached.push(...(await timed(1, () => ready(withPackages))));
  }
  const cases = [
    { name: 'no packages (baseline)', samples: baseline },
    { name: '5 packages, first session (derived image built)', samples: first },
    { name: '5 packages, later session (derived image reused)', samples: cached },
  ];
  const base = summarize(cases[0]?.samples ?? []);
  const rows: Row[] = cases.map(({ name, samples }) => {
    const s = summarize(samples);
    return { case: name, runs: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, '× no packages (p50)': s.p50 / base.p50 };
  });
  printTable(`Time to a ready sandbox with environment packages (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, rows);
  console.log(`\nresults: ${await writeResults('packages', { rows })}`);
} finally {
  await dropDerived().catch(() => undefined);
  await provider.reap(new Set());
  await provider.close();
  await proxy.close();
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
