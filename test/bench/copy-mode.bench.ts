// Copy mode (the fallback for engines that cannot mount a host-path overlay) against a plain tar copy into a fresh
// container, measured in the same run on a generated repository of 10k files: the whole provision (container, copy,
// the agent's clone and the host-side baseline), and its steps alone on a fresh container each: the copy
// (seedWorkspace) and the git side (seedCopyGit).
// Run: npx tsx test/bench/copy-mode.bench.ts [--runs 3] [--files 10000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { connectDocker, type Container, type Docker } from '../../src/sandbox/docker/client';
import { createAndStart, removeContainer } from '../../src/sandbox/docker/container';
import { seedCopyGit } from '../../src/sandbox/docker/copy-baseline';
import { seedWorkspace } from '../../src/sandbox/docker/copy-mode';
import { labels } from '../../src/sandbox/docker/names';
import { DEFAULT_IMAGE } from '../../src/sandbox/docker/plan';
import { buildToolServer } from '../../src/sandbox/docker/toolserver-build';
import { removeVolume } from '../../src/sandbox/docker/volume';
import { SandboxEnvironment } from '../../src/wire/environment';
import { generateRepo, listFiles, tarCopyReady } from './docker-fixtures';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 3);
const FILES = arg('--files', 10_000);
const environment = SandboxEnvironment.parse({ type: 'cloud' });
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-copy-bench-'));
const who = { uid: 1000, gid: 1000, user: 'agent' };
let seq = 0;

async function settle(): Promise<void> {
  execFileSync('sync');
  await new Promise((r) => setTimeout(r, 300));
}

/** Times `run` RUNS times; `cleanup` (untimed) undoes each run. */
async function timed(run: () => Promise<() => Promise<void>>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const cleanup = await run();
    samples.push(performance.now() - start);
    await cleanup();
    await settle();
  }
  return samples;
}

/** A started container on a fresh plain volume, as copy mode makes (untimed by the callers that time only a step). */
async function freshContainer(docker: Docker): Promise<{ container: Container; cleanup: () => Promise<void> }> {
  const id = `copystep${process.pid}x${seq++}`;
  const container = await createAndStart(docker, { name: `hangar-bench-${id}`, image: DEFAULT_IMAGE, user: 'agent', env: [], labels: labels(tmpRoot, id, id), volume: `hangar-bench-${id}`, limits: environment.hangar.limits, networkMode: 'none' });
  return {
    container,
    cleanup: async () => {
      await removeContainer(docker, container.id);
      await removeVolume(docker, `hangar-bench-${id}`);
    },
  };
}

/** Times one step on a fresh container: `prepare` (untimed) runs first and hands `run` what it made. */
async function step<T>(docker: Docker, prepare: (c: Container) => Promise<T>, run: (c: Container, prepared: T) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { container, cleanup } = await freshContainer(docker);
    const prepared = await prepare(container);
    const start = performance.now();
    await run(container, prepared);
    samples.push(performance.now() - start);
    await cleanup();
    await settle();
  }
  return samples;
}

try {
  const docker = await connectDocker();
  const toolServerPath = (await buildToolServer(path.join(tmpRoot, 'toolserver'))).file;
  const repo = generateRepo(tmpRoot, FILES);
  const files = listFiles(repo);
  const cases: [string, number[]][] = [];
  cases.push(['plain tar copy into a fresh container (baseline)', await timed(() => tarCopyReady(docker, tmpRoot, repo, files, environment.hangar.limits))]);
  const provider = new DockerSandboxProvider({ toolServerPath, storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'store-')), files: 'copy' });
  cases.push([
    'copy mode: ready sandbox (container, copy, agent clone, baseline)',
    await timed(async () => {
      const sb = await provider.provision({ sessionId: `bench-${process.pid}-${seq++}`, repoPath: repo, environment });
      return () => provider.destroy(sb.sessionId);
    }),
  ]);
  await provider.reap(new Set());
  await provider.close();
  cases.push(['step: copy the files (seedWorkspace)', await step(docker, async () => undefined, (c) => seedWorkspace(c, repo, who))]);
  cases.push([
    'step: agent clone + baseline (seedCopyGit)',
    await step(
      docker,
      (c) => seedWorkspace(c, repo, who),
      (c, copied) => seedCopyGit(c, repo, who, fs.mkdtempSync(path.join(tmpRoot, 'diff-')), copied),
    ),
  ]);
  const base = summarize(cases[0]?.[1] ?? []).p50;
  const rows: Row[] = cases.map(([name, samples]) => {
    const s = summarize(samples);
    return { files: FILES, case: name, runs: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, '× tar (p50)': s.p50 / base };
  });
  printTable(`Copy mode vs a plain tar copy (${os.cpus().length} CPU, ${process.platform}, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)})`, rows);
  console.log(`\nresults: ${await writeResults('copy-mode', { rows })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
