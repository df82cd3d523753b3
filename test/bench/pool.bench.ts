// Warm pool (issue #17): sessions started one after another in one runtime, as `hangar serve` and the extension host
// run them, each a one-tool script; the time from the user message to the first tool result, on the local sandbox
// (the baseline, same run), on Docker with no pool, and on Docker with a pool of one (the previous session's refill
// serves the next). A zero-latency model shows what the sandbox costs; one answering in ~1 s what users see: the
// container start overlaps the first model request either way ("brain before hands", session-runner.ts). Until a
// pooled container can take a session's binds (every runtime session binds its outputs dir), the pool neither fills
// nor serves here: the third row is the gap to close, not a gain.
// Run: npx tsx test/bench/pool.bench.ts [--runs 5]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAnthropicModel } from '../../src/model/anthropic';
import { reply, startScriptedModel, type RecordedRequest } from '../../src/model/scripted';
import { DEFAULT_MODEL } from '../../src/model/types';
import { Runtime } from '../../src/runtime';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { SandboxProvider } from '../../src/sandbox/types';
import { MemoryVault } from '../../src/vault/memory';
import type { SessionEvent } from '../../src/wire';
import { makeRepo } from '../support/runtime';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 5);
/** Untimed pause after each session: its release, and the pool's refill, finish before the next one starts. */
const PAUSE_MS = 4000;

type Case = 'local (baseline)' | 'docker, no pool' | 'docker, pool of 1';

function provider(c: Case, storageRoot: string): SandboxProvider {
  if (c === 'local (baseline)') return new LocalSandboxProvider({ storageRoot });
  return new DockerSandboxProvider({ storageRoot, warmPool: c === 'docker, pool of 1' ? 1 : 0 });
}

/** One session: the message sent, then the time until its first tool result; resolves when it is idle again. */
async function firstToolResult(rt: Runtime, env: string, agent: string, repo: string): Promise<number> {
  const s = await rt.sessions.create({ agent, environment_id: env, resources: [{ type: 'local_repository', path: repo }] });
  let sentAt = 0;
  let first: number | null = null;
  let idle: () => void = () => undefined;
  const done = new Promise<void>((r) => (idle = r));
  const unsubscribe = await rt.sessions.subscribe(s.id, 0, (e: SessionEvent) => {
    if (e.type === 'agent.tool_result') first ??= performance.now() - sentAt;
    else if (e.type === 'session.status_idle' && first !== null) idle();
  });
  sentAt = performance.now();
  await rt.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
  await done;
  unsubscribe();
  // Deleted (its container with it), so every session starts with the same containers around.
  await rt.deleteSession(s.id);
  return first ?? Number.NaN;
}

async function measure(c: Case, delayMs: number): Promise<number[]> {
  const model = await startScriptedModel({
    script: (req: RecordedRequest) => (req.body.messages.some((m) => m.role === 'assistant') ? reply.text('done') : reply.tool('bash', { command: 'echo hi >> notes.txt' })),
    defaultDelayMs: delayMs,
  });
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-pool-'));
  const repo = makeRepo();
  const sandbox = provider(c, storage);
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox, model: createAnthropicModel({ apiKey: async () => 'k', baseURL: model.url }), owner: 'bench' });
  const samples: number[] = [];
  try {
    const env = (await rt.environments.ensureDefault()).id;
    const agent = (await rt.agents.create({ name: 'bench', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
    // Untimed first session: the snapshot, the tool server build, module loading (and the pool's first fill).
    for (let i = -1; i < RUNS; i++) {
      const t = await firstToolResult(rt, env, agent, repo);
      if (i >= 0) samples.push(t);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  } finally {
    await rt.close();
    await sandbox.reap(new Set());
    await model.close();
    rmSync(storage, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
  return samples;
}

const table: Row[] = [];
for (const [label, delay] of [
  ['zero latency', 0],
  ['~1 s per answer', 1000],
] as const) {
  const results: [Case, number[]][] = [];
  for (const c of ['local (baseline)', 'docker, no pool', 'docker, pool of 1'] as const) results.push([c, await measure(c, delay)]);
  const base = summarize(results[0]?.[1] ?? []).p50;
  for (const [c, samples] of results) {
    const s = summarize(samples);
    table.push({ model: label, sandbox: c, sessions: s.n, 'first tool result p50 ms': s.p50, 'p95 ms': s.p95, '× local (p50)': s.p50 / base });
  }
}
printTable(`Sessions one after another in one runtime: user message to first tool result (${os.cpus().length} CPU, load ${os.loadavg()[0]?.toFixed(1)})`, table);
console.log(`\nresults: ${await writeResults('pool', { runs: RUNS, table })}`);
