// Copy mode (the fallback for engines that cannot mount a host-path overlay) against a plain tar copy into a fresh
// container, measured in the same run on a generated repository of 10k files: the whole provision (container, copy,
// the agent's clone and the host-side baseline), the sandbox's first checkpoint right after it (which waits for the
// stat cache the provision leaves building), and the provision's steps alone on a fresh container each: the copy
// (seedWorkspace) and what the provision does after it (seedCopyGit, the clone built and sent with the files first). Cases are interleaved, in a rotating order, so load that comes and
// goes (other work on the machine) falls on all of them; '× tar (paired)' is the median of each run's ratio to the
// tar copy of the same round.
// Run: npx tsx test/bench/copy-mode.bench.ts [--runs 3] [--files 10000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { connectDocker, type Container, type Docker } from '../../src/sandbox/docker/client';
import { createAndStart, removeContainer } from '../../src/sandbox/docker/container';
import { prepareCopy, seedCopyGit } from '../../src/sandbox/docker/copy-seed';
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

/** One timing of `run`; `cleanup` (untimed) undoes it. */
async function timed(run: () => Promise<() => Promise<void>>): Promise<number> {
  const start = performance.now();
  const cleanup = await run();
  const ms = performance.now() - start;
  await cleanup();
  await settle();
  return ms;
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

/** One timing of a step on a fresh container: `prepare` (untimed) runs first and hands `run` what it made. */
async function step<T>(docker: Docker, prepare: (c: Container) => Promise<T>, run: (c: Container, prepared: T) => Promise<unknown>): Promise<number> {
  const { container, cleanup } = await freshContainer(docker);
  const prepared = await prepare(container);
  const start = performance.now();
  await run(container, prepared);
  const ms = performance.now() - start;
  await cleanup();
  await settle();
  return ms;
}

try {
  const docker = await connectDocker();
  const toolServerPath = (await buildToolServer(path.join(tmpRoot, 'toolserver'))).file;
  const repo = generateRepo(tmpRoot, FILES);
  const provider = new DockerSandboxProvider({ toolServerPath, storageRoot: fs.mkdtempSync(path.join(tmpRoot, 'store-')), files: 'copy' });
  const TAR = 'plain tar copy into a fresh container (baseline)';
  const READY = 'copy mode: ready sandbox (container, copy, agent clone, baseline)';
  const FIRST = 'copy mode: first checkpoint right after the provision';
  const AFTER = 'step: after the copy: baseline recorded, clone in place (seedCopyGit)';
  const samples = new Map<string, number[]>();
  const note = (name: string, ms: number): void => {
    samples.set(name, [...(samples.get(name) ?? []), ms]);
  };
  const loadBefore = os.loadavg()[0]?.toFixed(1);
  const rounds: (() => Promise<void>)[] = [
    // Listing the files is part of a plain tar copy of a repository (`git ls-files | tar -T -`), as copy mode's own listing is.
    async () => note(TAR, await timed(() => tarCopyReady(docker, tmpRoot, repo, listFiles(repo), environment.hangar.limits))),
    async () => {
      let first = 0;
      const ready = await timed(async () => {
        const sb = await provider.provision({ sessionId: `bench-${process.pid}-${seq++}`, repoPath: repo, environment });
        return async () => {
          const start = performance.now();
          await sb.checkpoint();
          first = performance.now() - start;
          await provider.destroy(sb.sessionId);
        };
      });
      note(READY, ready);
      note(FIRST, first);
    },
    async () => note('step: copy the files (seedWorkspace)', await step(docker, async () => undefined, (c) => seedWorkspace(c, repo, who))),
    async () =>
      note(
        AFTER,
        await step(
          docker,
          // As the provision does: the host side prepared and the clone sent with the files, untimed.
          async (c) => {
            const prepared = prepareCopy(repo, fs.mkdtempSync(path.join(tmpRoot, 'diff-')));
            await prepared.clone;
            return { prepared, copied: await seedWorkspace(c, repo, who, undefined, prepared.clone, prepared.listing ?? undefined) };
          },
          (c, { prepared, copied }) => seedCopyGit(c, repo, who, prepared.differ, copied, prepared.clone),
        ),
      ),
  ];
  for (let i = 0; i < RUNS; i++) for (let k = 0; k < rounds.length; k++) await (rounds[(i + k) % rounds.length] as () => Promise<void>)();
  await provider.reap(new Set());
  await provider.close();
  const tar = samples.get(TAR) ?? [];
  const base = summarize(tar).p50;
  const rows: Row[] = [...samples].map(([name, ms]) => {
    const s = summarize(ms);
    const paired = summarize(ms.map((m, i) => m / (tar[i] as number))).p50;
    return { files: FILES, case: name, runs: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, '× tar (p50)': s.p50 / base, '× tar (paired)': paired };
  });
  printTable(`Copy mode vs a plain tar copy (${os.cpus().length} CPU, ${process.platform}, Node ${process.version}, load ${loadBefore} at the start, ${os.loadavg()[0]?.toFixed(1)} at the end)`, rows);
  console.log(`\nresults: ${await writeResults('copy-mode', { rows })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
