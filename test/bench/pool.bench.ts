// Warm pool and container starts (issue #17), in one runtime as `hangar serve` and the extension host run sessions,
// each a one-tool script; measured: the time from the user message to the session's first tool result.
// - One after another: the local sandbox (the baseline, same run), Docker with no pool, Docker with a pool of one
//   (the refill after each session serves the next; the pause between sessions lets it finish, untimed).
// - Two bursts of --sessions sessions at once (default 20), each reported on its own: the local sandbox (baseline),
//   Docker starting every container at once (how the provider did before the start gate), Docker with the gate (4
//   starts at once, sessions first), the gate with a pool of 8 warmed beforehand, and the gate with `hangar serve`'s
//   pool (1, growing to the burst: --warm-pool-max 20), whose second burst finds the first one's size ready.
// A zero-latency model shows what the sandbox costs; one answering in ~1 s what users see: the container start
// overlaps the first model request either way ("brain before hands", session-runner.ts).
// Run: npx tsx test/bench/pool.bench.ts [--runs 5] [--sessions 20] [--part sequential|burst|both] [--model zero|realistic|both]
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
const BURST = arg('--sessions', 20);
const part = process.argv.includes('--part') ? process.argv[process.argv.indexOf('--part') + 1] : 'both';
/** Untimed pause after each sequential session, besides waiting for the pool's refill: its container's release. */
const PAUSE_MS = 1000;

interface Case {
  label: string;
  docker?: { warmPool: number; warmPoolMax?: number; parallelStarts: number };
}

const LOCAL: Case = { label: 'local (baseline)' };

function provider(c: Case, storageRoot: string): SandboxProvider {
  return c.docker ? new DockerSandboxProvider({ storageRoot, ...c.docker }) : new LocalSandboxProvider({ storageRoot });
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

/** A runtime on fresh storage with `c`'s sandbox; `rounds` gets (run one session, the provider) and returns the samples. */
async function withRuntime<T>(c: Case, delayMs: number, rounds: (one: () => Promise<number>, sandbox: SandboxProvider) => Promise<T>): Promise<T> {
  const model = await startScriptedModel({
    script: (req: RecordedRequest) => (req.body.messages.some((m) => m.role === 'assistant') ? reply.text('done') : reply.tool('bash', { command: 'echo hi >> notes.txt' })),
    defaultDelayMs: delayMs,
  });
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-pool-'));
  const repo = makeRepo();
  const sandbox = provider(c, storage);
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox, model: createAnthropicModel({ apiKey: async () => 'k', baseURL: model.url }), owner: 'bench' });
  try {
    const env = (await rt.environments.ensureDefault()).id;
    const agent = (await rt.agents.create({ name: 'bench', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
    const one = () => firstToolResult(rt, env, agent, repo);
    // Untimed first session: the snapshot, the tool server build, module loading (and the pool's first fill).
    await one();
    return await rounds(one, sandbox);
  } finally {
    await rt.close();
    await sandbox.reap(new Set());
    await model.close();
    rmSync(storage, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}

/** Waits for the pool's refill (Docker) and the previous containers' release: nothing of it is timed. */
async function quiet(sandbox: SandboxProvider): Promise<void> {
  if (sandbox instanceof DockerSandboxProvider) await sandbox.poolSettled();
  await new Promise((r) => setTimeout(r, PAUSE_MS));
}

function sequential(c: Case, delayMs: number): Promise<number[]> {
  return withRuntime(c, delayMs, async (one, sandbox) => {
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await quiet(sandbox);
      samples.push(await one());
    }
    return samples;
  });
}

/** Two bursts of BURST sessions at once: every session's time is a sample, the bursts' apart. */
function burst(c: Case, delayMs: number): Promise<[number[], number[]]> {
  return withRuntime(c, delayMs, async (one, sandbox) => {
    const round = async () => {
      await quiet(sandbox);
      return Promise.all(Array.from({ length: BURST }, one));
    };
    const first = await round();
    return [first, await round()];
  });
}

function rowsFor(label: string, results: [Case, number[]][], extra: Row): Row[] {
  const base = summarize(results[0]?.[1] ?? []);
  return results.map(([c, samples]) => {
    const s = summarize(samples);
    return { model: label, ...extra, sandbox: c.label, samples: s.n, 'first tool result p50 ms': s.p50, 'p95 ms': s.p95, '× local p50': s.p50 / base.p50, '× local p95': s.p95 / base.p95 };
  });
}

const modelArg = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1] : 'both';
const MODELS = (
  [
    ['zero latency', 0],
    ['~1 s per answer', 1000],
  ] as const
).filter(([, delay]) => modelArg === 'both' || (modelArg === 'zero') === (delay === 0));
const load = () => os.loadavg()[0]?.toFixed(1);
const results: Record<string, Row[]> = {};

if (part === 'sequential' || part === 'both') {
  const cases: Case[] = [LOCAL, { label: 'docker, no pool', docker: { warmPool: 0, parallelStarts: 4 } }, { label: 'docker, pool of 1', docker: { warmPool: 1, parallelStarts: 4 } }];
  const table: Row[] = [];
  for (const [label, delay] of MODELS) {
    const measured: [Case, number[]][] = [];
    for (const c of cases) measured.push([c, await sequential(c, delay)]);
    table.push(...rowsFor(label, measured, {}));
  }
  printTable(`Sessions one after another in one runtime: user message to first tool result (${os.cpus().length} CPU, load ${load()})`, table);
  results.sequential = table;
}

if (part === 'burst' || part === 'both') {
  const cases: Case[] = [
    LOCAL,
    { label: 'docker, all starts at once, no pool', docker: { warmPool: 0, parallelStarts: Infinity } },
    { label: 'docker, 4 starts at once, no pool', docker: { warmPool: 0, parallelStarts: 4 } },
    { label: 'docker, 4 starts at once, pool of 8', docker: { warmPool: 8, parallelStarts: 4 } },
    { label: 'docker, 4 starts at once, pool of 1 growing to 20', docker: { warmPool: 1, warmPoolMax: 20, parallelStarts: 4 } },
  ];
  const table: Row[] = [];
  for (const [label, delay] of MODELS) {
    const measured: [Case, [number[], number[]]][] = [];
    for (const c of cases) measured.push([c, await burst(c, delay)]);
    for (const round of [0, 1] as const) table.push(...rowsFor(label, measured.map(([c, bursts]) => [c, bursts[round]]), { burst: round + 1, 'at once': BURST }));
  }
  printTable(`${BURST} sessions at once in one runtime, twice: user message to each session's first tool result (${os.cpus().length} CPU, load ${load()})`, table);
  results.burst = table;
}

console.log(`\nresults: ${await writeResults('pool', { runs: RUNS, burst: BURST, ...results })}`);
