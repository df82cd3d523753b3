// Remote engine benchmark: sandbox-ready time and tool round trips on the second dockerd (scripts/setup/docker-remote.sh:
// mutual TLS on tcp://127.0.0.1:23760, its own data root; and the same engine over ssh, scripts/setup/docker-ssh.sh:
// ssh://hangar-docker-ssh, `docker system dial-stdio` behind a loopback sshd) against the local engine on its unix
// socket, in one run. The local engine is measured twice: as sessions use it (overlay over a host snapshot, binds) and
// in copy mode, the way files reach a remote engine, so the table separates what the mode costs from what TLS or ssh
// and shipping cost. Every session has an outputs directory and a file resource, which a remote engine gets as shipped
// copies (ship.ts).
// Run: npx tsx test/bench/remote-engine.bench.ts [--runs 5] [--calls 100] [--files 1000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerSandboxProvider, type DockerSandboxProviderOptions } from '../../src/sandbox/docker';
import { buildToolServer } from '../../src/sandbox/docker/toolserver-build';
import type { ProvisionSpec, Sandbox } from '../../src/sandbox/types';
import { SandboxEnvironment } from '../../src/wire/environment';
import { generateRepo, listFiles } from './docker-fixtures';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 5);
const CALLS = arg('--calls', 100);
const FILES = arg('--files', 1000);
const REMOTE = process.env.HANGAR_DOCKER2_HOST ?? 'tcp://127.0.0.1:23760';
const CERTS = process.env.HANGAR_DOCKER2_CERTS ?? '/var/lib/hangar-docker2/client';
const SSH = process.env.HANGAR_DOCKER2_SSH ?? 'ssh://hangar-docker-ssh';
const environment = SandboxEnvironment.parse({ type: 'cloud' });
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-remote-bench-'));
let seq = 0;

// The remote engine's TLS settings the way Docker's CLI takes them; the local engine is named by its socket.
process.env.DOCKER_TLS_VERIFY = '1';
process.env.DOCKER_CERT_PATH = CERTS;

interface Engine {
  name: string;
  options: Partial<DockerSandboxProviderOptions>;
}

const ENGINES: Engine[] = [
  { name: 'local engine, overlay (baseline)', options: { engine: 'unix:///var/run/docker.sock' } },
  { name: 'local engine, copy mode', options: { engine: 'unix:///var/run/docker.sock', files: 'copy' } },
  { name: 'remote engine (TLS, shipped files)', options: { engine: REMOTE } },
  { name: 'remote engine (ssh, shipped files)', options: { engine: SSH } },
];

function spec(repo: string, upload: string): ProvisionSpec {
  const id = `rbench-${process.pid}-${seq++}`;
  const outputsDir = path.join(tmpRoot, 'outputs', id);
  fs.mkdirSync(outputsDir, { recursive: true, mode: 0o777 });
  fs.chmodSync(outputsDir, 0o777);
  return { sessionId: id, repoPath: repo, environment, outputsDir, mounts: [{ source: upload, target: '/mnt/session/uploads/notes.txt' }] };
}

async function main(): Promise<void> {
  const repo = generateRepo(tmpRoot, FILES);
  const file = listFiles(repo)[0] as string;
  const upload = path.join(tmpRoot, 'notes.txt');
  fs.writeFileSync(upload, 'notes\n'.repeat(1000));
  const toolServerPath = (await buildToolServer(path.join(tmpRoot, 'toolserver'))).file;
  const ready: Array<Row & { p50: number }> = [];
  const trips: Array<Row & { p50: number; tool: string }> = [];
  for (const engine of ENGINES) {
    const provider = new DockerSandboxProvider({ storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'store-')), toolServerPath, ...engine.options });
    try {
      // Untimed: the connection, the image's users, the snapshot (overlay) are made once per provider, as in a runtime.
      await provider.destroy((await provider.provision(spec(repo, upload))).sessionId);
      const samples: number[] = [];
      let last: Sandbox | null = null;
      for (let i = 0; i < RUNS; i++) {
        const s = spec(repo, upload);
        const start = performance.now();
        last = await provider.provision(s);
        samples.push(performance.now() - start);
        if (i < RUNS - 1) await provider.destroy(last.sessionId);
        execFileSync('sync');
      }
      const r = summarize(samples);
      ready.push({ engine: engine.name, files: FILES, runs: r.n, 'p50 ms': r.p50, 'p95 ms': r.p95, p50: r.p50 });
      const sb = last as Sandbox;
      for (const [tool, input] of [
        ['read', { file_path: file }],
        ['bash true', { command: 'true' }],
      ] as const) {
        const t = summarize(await measure(() => sb.execute(tool === 'read' ? 'read' : 'bash', input), { iterations: CALLS, warmup: 10 }));
        trips.push({ tool, engine: engine.name, calls: t.n, 'p50 ms': t.p50, 'p95 ms': t.p95, p50: t.p50 });
      }
      const changes = summarize(await measure(() => sb.changes(), { iterations: 10, warmup: 2 }));
      trips.push({ tool: 'changes() (review diff)', engine: engine.name, calls: changes.n, 'p50 ms': changes.p50, 'p95 ms': changes.p95, p50: changes.p50 });
      await provider.destroy(sb.sessionId);
    } finally {
      await provider.reap(new Set());
      await provider.close();
    }
  }
  const vsBaseline = <T extends Row & { p50: number }>(rows: T[], same: (a: T, b: T) => boolean) =>
    rows.map(({ p50, ...row }) => {
      const base = rows.find((r) => same(r, row as T) && r.engine === ENGINES[0]!.name) as T;
      return { ...row, '× local overlay (p50)': p50 / base.p50 };
    });
  const readyRows = vsBaseline(ready, () => true);
  const tripRows = vsBaseline(trips, (a, b) => a.tool === b.tool);
  printTable(`Time to a ready sandbox, ${FILES} files (${os.cpus().length} CPU, Node ${process.version}, ${RUNS} runs)`, readyRows);
  printTable(`Tool round trip (${CALLS} calls each; changes(): 10)`, tripRows);
  console.log(`\nresults: ${await writeResults('remote-engine', { ready: readyRows, roundTrips: tripRows })}`);
}

try {
  await main();
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
