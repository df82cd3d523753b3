// Sandbox benchmark: time to a ready Docker sandbox (cold with a new snapshot, cold with the snapshot reused, from
// the warm pool, and in copy mode) for generated repositories of 1k and 10k files, against a plain tar copy into a
// fresh container measured in the same run; then tool round trips (read, `bash true`) through the tool server,
// through one `docker exec` per call, and through the local provider.
// Run: npx tsx test/bench/sandbox.bench.ts [--runs 5] [--calls 200]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { connectDocker, execCollect, type Container, type Docker } from '../../src/sandbox/docker/client';
import { createAndStart, removeContainer } from '../../src/sandbox/docker/container';
import { labels } from '../../src/sandbox/docker/names';
import { DEFAULT_IMAGE } from '../../src/sandbox/docker/plan';
import { buildToolServer } from '../../src/sandbox/docker/toolserver-build';
import { removeVolume } from '../../src/sandbox/docker/volume';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/types';
import { SandboxEnvironment } from '../../src/wire/environment';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 5);
const CALLS = arg('--calls', 200);
const SIZES = [1000, 10_000];
const environment = SandboxEnvironment.parse({ type: 'cloud' });
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-sandbox-bench-'));
let sessionSeq = 0;
// Bundled once, as a packaged extension ships it: a fresh storage root must not pay for esbuild.
let toolServerPath = '';
const nextSession = () => `bench-${process.pid}-${sessionSeq++}`;

/** A git repository of `n` source-like files (~2 KB each) in 50 × 7 directories. */
function generateRepo(n: number): string {
  const dir = path.join(tmpRoot, `repo-${n}`);
  const body = `${'export const value = 42;\n'.repeat(80)}`;
  for (let i = 0; i < n; i++) {
    const d = path.join(dir, `pkg${i % 50}`, `mod${i % 7}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, `file${i}.ts`), `// file ${i}\n${body}`);
  }
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  // Let every file age past the snapshot's racy window, as a repository does between edits.
  execFileSync('sleep', ['2.2']);
  return dir;
}

function listFiles(dir: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: dir, maxBuffer: 1 << 30 }).toString().split('\0').filter(Boolean);
}

/** The baseline: create+start a hardened container on a fresh volume, then stream the files in as one tar. */
async function tarCopyReady(docker: Docker, repo: string, files: string[]): Promise<() => Promise<void>> {
  const id = `tarbase${sessionSeq++}`;
  const volume = `hangar-bench-${process.pid}-${id}`;
  const container: Container = await createAndStart(docker, {
    name: `hangar-bench-${process.pid}-${id}`,
    image: DEFAULT_IMAGE,
    user: 'agent',
    env: [],
    labels: labels(tmpRoot, id, id),
    volume,
    limits: environment.hangar.limits,
    networkMode: 'none',
  });
  const archive = pack();
  const feed = (async () => {
    const dirs = new Set<string>();
    for (const f of files) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort()) archive.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid: 1000, gid: 1000 });
    for (const f of files) {
      const content = fs.readFileSync(path.join(repo, f));
      await new Promise<void>((resolve, reject) => archive.entry({ name: f, size: content.length, mode: 0o644, uid: 1000, gid: 1000 }, content, (e) => (e ? reject(e) : resolve())));
    }
    archive.finalize();
  })();
  await container.putArchive(Readable.from(archive), { path: '/workspace' });
  await feed;
  return async () => {
    await removeContainer(docker, container.id);
    await removeVolume(docker, volume);
  };
}

interface ReadyCase {
  name: string;
  samples: number[];
}

/** Times `run` only; `before` and `after` (setup, cleanup) are not timed, then the machine settles. */
async function timed(runs: number, run: () => Promise<unknown>, hooks: { before?: () => Promise<unknown>; after?: () => Promise<unknown> } = {}): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await hooks.before?.();
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
    await hooks.after?.();
    await settle();
  }
  return samples;
}

/** Lets the engine finish background work (unmounts, removals) so one run does not slow the next. */
async function settle(): Promise<void> {
  execFileSync('sync');
  await new Promise((r) => setTimeout(r, 300));
}

async function readyBenchmarks(docker: Docker, n: number): Promise<Row[]> {
  const repo = generateRepo(n);
  const files = listFiles(repo);
  const cases: ReadyCase[] = [];
  const add = (name: string, samples: number[]) => cases.push({ name, samples });
  const store = () => fs.mkdtempSync(path.join(tmpRoot, 'store-'));

  let cleanup: (() => Promise<void>) | null = null;
  add(
    'plain tar copy into a fresh container (baseline)',
    await timed(RUNS, async () => (cleanup = await tarCopyReady(docker, repo, files)), { after: async () => cleanup?.() }),
  );

  // A fresh storage root per run: nothing cached, the snapshot is built from the repository.
  let first: DockerSandboxProvider | null = null;
  add(
    'cold, new snapshot (first session on this repository state)',
    await timed(RUNS, () => (first as DockerSandboxProvider).provision({ sessionId: nextSession(), repoPath: repo, environment }), {
      before: async () => (first = new DockerSandboxProvider({ toolServerPath, storageRoot: store() })),
      after: async () => first && closeAndReap(first),
    }),
  );

  const cached = new DockerSandboxProvider({ toolServerPath, storageRoot: store() });
  // An untimed first session builds the snapshot the timed ones reuse.
  await cached.destroy((await cached.provision({ sessionId: nextSession(), repoPath: repo, environment })).sessionId);
  let last: Sandbox | null = null;
  add(
    'cold, snapshot reused (repository unchanged)',
    await timed(RUNS, async () => (last = await cached.provision({ sessionId: nextSession(), repoPath: repo, environment })), {
      after: async () => last && cached.destroy(last.sessionId),
    }),
  );
  await closeAndReap(cached);

  const pooled = new DockerSandboxProvider({ toolServerPath, storageRoot: store(), warmPool: 1 });
  add(
    'from the warm pool',
    await timed(RUNS, async () => (last = await pooled.provision({ sessionId: nextSession(), repoPath: repo, environment })), {
      before: () => pooled.prewarm({ repoPath: repo, environment }),
      after: async () => last && pooled.destroy(last.sessionId),
    }),
  );
  await closeAndReap(pooled);

  const copy = new DockerSandboxProvider({ toolServerPath, storageRoot: store(), files: 'copy' });
  add(
    'copy mode (fallback: tar into a volume + baseline commit)',
    await timed(Math.min(RUNS, 3), async () => (last = await copy.provision({ sessionId: nextSession(), repoPath: repo, environment })), {
      after: async () => last && copy.destroy(last.sessionId),
    }),
  );
  await closeAndReap(copy);

  const baseline = summarize(cases[0]?.samples ?? []);
  return cases.map(({ name, samples }) => {
    const s = summarize(samples);
    return { files: n, case: name, runs: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, 'speed-up vs tar (p50)': baseline.p50 / s.p50 };
  });
}

async function closeAndReap(p: DockerSandboxProvider): Promise<void> {
  await p.reap(new Set());
  await p.close();
}

async function roundTrip(label: string, transport: string, fn: () => Promise<unknown>): Promise<Row & { p50: number }> {
  const s = summarize(await measure(fn, { iterations: CALLS, warmup: 10 }));
  return { tool: label, via: transport, calls: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, p50: s.p50 };
}

async function roundTripBenchmarks(docker: Docker): Promise<Row[]> {
  const repo = path.join(tmpRoot, 'repo-1000');
  const file = listFiles(repo)[0] as string;
  const server = new DockerSandboxProvider({ toolServerPath, storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'store-')) });
  const execOnly = new DockerSandboxProvider({ toolServerPath, storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'store-')), tools: 'exec' });
  const local = new LocalSandboxProvider({ storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'local-')) });
  const providers: SandboxProvider[] = [server, execOnly, local];
  try {
    const viaServer = await server.provision({ sessionId: nextSession(), repoPath: repo, environment });
    const viaExec = await execOnly.provision({ sessionId: nextSession(), repoPath: repo, environment });
    const viaLocal = await local.provision({ sessionId: nextSession(), repoPath: repo, environment });
    const container = docker.getContainer((viaExec as Sandbox & { containerId: string }).containerId);
    const rows = [
      await roundTrip('read', 'tool server', () => viaServer.execute('read', { file_path: file })),
      // The exec fallback answers only bash; a read through exec is what it would cost: one exec of cat.
      await roundTrip('read', 'docker exec', () => execCollect(container, { cmd: ['cat', '-n', `/workspace/${file}`], user: 'agent' })),
      await roundTrip('read', 'local provider', () => viaLocal.execute('read', { file_path: file })),
      await roundTrip('bash true', 'tool server', () => viaServer.execute('bash', { command: 'true' })),
      await roundTrip('bash true', 'docker exec', () => viaExec.execute('bash', { command: 'true' })),
      await roundTrip('bash true', 'local provider', () => viaLocal.execute('bash', { command: 'true' })),
    ];
    return rows.map(({ p50, ...row }) => {
      const server = rows.find((r) => r.tool === row.tool && r.via === 'tool server') as { p50: number };
      return { ...row, '× tool server (p50)': p50 / server.p50 };
    });
  } finally {
    for (const p of providers) {
      await p.reap(new Set());
      await p.close();
    }
  }
}

try {
  const docker = await connectDocker();
  toolServerPath = (await buildToolServer(path.join(tmpRoot, 'toolserver'))).file;
  const ready: Row[] = [];
  for (const n of SIZES) ready.push(...(await readyBenchmarks(docker, n)));
  printTable(`Time to a ready sandbox (${os.cpus().length} CPU, ${process.platform}, Node ${process.version}, ${RUNS} runs)`, ready);
  const trips = await roundTripBenchmarks(docker);
  printTable(`Tool round trip (${CALLS} calls each)`, trips);
  console.log(`\nresults: ${await writeResults('sandbox', { ready, roundTrips: trips })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
