// Fork (issue #13 §3) on a 10,000-file repository, for a source session with a 10-file change: the time of
// `sessions.fork(id)` until it answers, and until the fork's sandbox holds the source's files (`changes()` of the fork,
// which waits for the background provision and restore: what the fork's first turn waits for). The fork's sandbox is its
// own: local, made from the source's checkpoint store; Docker, claimed from the warm pool, then the checkpoint's
// difference from the snapshot applied in one exec. Baseline in the same run, interleaved: a new session on the same
// runtime until its sandbox is ready (create, then changes()). The pool refills between samples, untimed.
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

interface Samples {
  answer: number[];
  ready: number[];
  create: number[];
}

async function run(c: Case, repo: string): Promise<Samples> {
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
    const samples: Samples = { answer: [], ready: [], create: [] };
    // One untimed round of each: module loading, the source's first checkpoint (its layer's tree), the pool's fill.
    for (let i = -1; i < RUNS; i++) {
      await settle(sandbox);
      let t = performance.now();
      const forked = await rt.sessions.fork(source.id);
      const answerMs = performance.now() - t;
      const files = (await rt.sessions.changes(forked.id)).files.length;
      const readyMs = performance.now() - t;
      if (files !== 10) throw new Error(`the fork holds ${files} changed files, not the source's 10`);
      await rt.deleteSession(forked.id);
      await settle(sandbox);
      t = performance.now();
      const fresh = await rt.sessions.create({ agent, environment_id, resources });
      await rt.sessions.changes(fresh.id);
      const createMs = performance.now() - t;
      await rt.deleteSession(fresh.id);
      if (i >= 0) {
        samples.answer.push(answerMs);
        samples.ready.push(readyMs);
        samples.create.push(createMs);
      }
    }
    return samples;
  } finally {
    await rt.close();
    await sandbox.reap(new Set());
    await model.close();
    rmSync(storage, { recursive: true, force: true });
  }
}

const loadAtStart = os.loadavg()[0]?.toFixed(1);
const repoParent = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-fork-repo-'));
const repo = generateRepo(repoParent, FILES);
const rows: Row[] = [];
try {
  for (const c of CASES) {
    const s = await run(c, repo);
    const [answer, ready, create] = [summarize(s.answer), summarize(s.ready), summarize(s.create)];
    rows.push({
      sandbox: c.label,
      files: FILES,
      samples: answer.n,
      'answer p50 ms': answer.p50,
      'answer p95 ms': answer.p95,
      'ready p50 ms': ready.p50,
      'ready p95 ms': ready.p95,
      'new session ready p50 ms (baseline)': create.p50,
      'answer × baseline': answer.p50 / create.p50,
      'ready × baseline': ready.p50 / create.p50,
    });
  }
} finally {
  rmSync(repoParent, { recursive: true, force: true });
}
printTable(`Fork of a session with a 10-file change, ${FILES}-file repository (load at start ${loadAtStart}, at end ${os.loadavg()[0]?.toFixed(1)})`, rows);
console.log(`results: ${await writeResults('fork', rows)}`);
