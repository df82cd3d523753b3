// Fork (issue #13 §3) on a 10,000-file repository: the time of `sessions.fork(id)` for a source session with a 10-file
// change, until the fork's sandbox holds the source's files (its own sandbox made, from the warm pool on Docker; the
// source's checkpoint restored into it; the log prefix copied). Baseline in the same run: a new session on the same
// runtime until its sandbox is ready (create, then provision: what the fork does besides the checkpoint and restore).
// Cases: local, Docker with a warm pool of 1 (the pool refills between samples, untimed).
// Run: npx tsx test/bench/fork.bench.ts [--runs 5] [--files 10000]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAnthropicModel } from '../../src/model/anthropic';
import { reply, startScriptedModel } from '../../src/model/scripted';
import { DEFAULT_MODEL } from '../../src/model/types';
import { Runtime } from '../../src/runtime';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { SandboxProvider } from '../../src/sandbox/types';
import { MemoryVault } from '../../src/vault/memory';
import { generateRepo } from './docker-fixtures';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 5);
const FILES = arg('--files', 10_000);
// Ten files of generateRepo's layout (pkg<i % 50>/mod<i % 7>/file<i>.ts).
const CHANGE = 'for i in 0 1 2 3 4 5 6 7 8 9; do echo changed >> "pkg$i/mod$((i % 7))/file$i.ts"; done';

interface Case {
  label: string;
  make: (storageRoot: string) => SandboxProvider;
}

const CASES: Case[] = [
  { label: 'local', make: (storageRoot) => new LocalSandboxProvider({ storageRoot }) },
  { label: 'docker, warm pool of 1', make: (storageRoot) => new DockerSandboxProvider({ storageRoot, warmPool: 1 }) },
];

async function settle(sandbox: SandboxProvider): Promise<void> {
  if (sandbox instanceof DockerSandboxProvider) await sandbox.poolSettled();
  await new Promise((r) => setTimeout(r, 500));
}

async function run(c: Case, repo: string): Promise<{ fork: number[]; create: number[] }> {
  const model = await startScriptedModel({ script: [reply.tool('bash', { command: CHANGE }), reply.text('ten files changed')] });
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-fork-'));
  const sandbox = c.make(storage);
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox, model: createAnthropicModel({ apiKey: async () => 'k', baseURL: model.url }), owner: 'bench' });
  try {
    const environment_id = (await rt.environments.ensureDefault()).id;
    const agent = (await rt.agents.create({ name: 'bench', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
    const resources = [{ type: 'local_repository' as const, path: repo }];
    const source = await rt.sessions.create({ agent, environment_id, resources });
    await rt.sessions.send(source.id, [{ type: 'user.message', content: [{ type: 'text', text: 'change ten files' }] }]);
    for (let s = await rt.sessions.retrieve(source.id); s.status !== 'idle' || (await rt.sessions.eventCount(source.id)) < 4; s = await rt.sessions.retrieve(source.id)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const changed = (await rt.sessions.changes(source.id)).files.length;
    if (changed !== 10) throw new Error(`the source changed ${changed} files, not 10`);
    const fork: number[] = [];
    const create: number[] = [];
    // One untimed round of each: module loading, the source's first checkpoint (its layer's tree), the pool's fill.
    for (let i = -1; i < RUNS; i++) {
      await settle(sandbox);
      let t = performance.now();
      const forked = await rt.sessions.fork(source.id);
      const forkMs = performance.now() - t;
      if ((await rt.sessions.changes(forked.id)).files.length !== 10) throw new Error('the fork does not hold the 10 changed files');
      await rt.deleteSession(forked.id);
      await settle(sandbox);
      t = performance.now();
      const fresh = await rt.sessions.create({ agent, environment_id, resources });
      await rt.sessions.changes(fresh.id);
      const createMs = performance.now() - t;
      await rt.deleteSession(fresh.id);
      if (i >= 0) {
        fork.push(forkMs);
        create.push(createMs);
      }
    }
    return { fork, create };
  } finally {
    await rt.close();
    await sandbox.reap(new Set());
    await model.close();
    rmSync(storage, { recursive: true, force: true });
  }
}

const repoParent = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-fork-repo-'));
const repo = generateRepo(repoParent, FILES);
const rows: Row[] = [];
try {
  for (const c of CASES) {
    const { fork, create } = await run(c, repo);
    const f = summarize(fork);
    const n = summarize(create);
    rows.push({ sandbox: c.label, files: FILES, samples: f.n, 'fork p50 ms': f.p50, 'fork p95 ms': f.p95, 'new session + sandbox p50 ms (baseline)': n.p50, '× baseline p50': f.p50 / n.p50 });
  }
} finally {
  rmSync(repoParent, { recursive: true, force: true });
}
printTable(`Fork of a session with a 10-file change, ${FILES}-file repository (load ${os.loadavg()[0]?.toFixed(1)})`, rows);
console.log(`results: ${await writeResults('fork', rows)}`);
