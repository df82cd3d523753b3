// The CLI as a user runs it (a child process of the bundle): start-up of `--version` and `sessions` against a bare
// `node -e 0`, and `events --json` of a 20,000-event session against reading and printing its log file. Each command
// runs from the shipped layout (dist/cli.js plus chunks loaded on demand) and from a single-file bundle of the same
// sources (how the CLI shipped before), both built here, so the ratios come from one run.
// Each row gives wall time and the child's CPU time, each with its ratio to the baseline of the same run.
// Run: npx tsx test/bench/cli.bench.ts
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { cliBundle, nodeEsmBundle } from '../../bundles.mjs';
import { Runtime } from '../../src/runtime';
import { createAnthropicModel } from '../../src/model/anthropic';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import { encodeRecord } from '../../src/log/record';
import { MemoryVault } from '../../src/vault/memory';
import { DEFAULT_MODEL } from '../../src/model/types';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-cli-bench-'));
const EVENTS = 20_000;

// Wall time on a shared machine mostly measures the neighbours; the child's CPU time (user + system, from this
// process's /proc counters of waited-for children) is what the command itself costs.
interface Timings {
  wall: number[];
  cpu: number[];
}

const row = (label: string, t: Timings, baseline?: { wall: number; cpu: number }): Row => {
  const wall = summarize(t.wall);
  const cpu = summarize(t.cpu);
  return {
    case: label,
    n: wall.n,
    'p50 ms': wall.p50,
    'p95 ms': wall.p95,
    ...(baseline === undefined ? {} : { '× baseline': wall.p50 / baseline.wall }),
    'CPU p50 ms': cpu.p50,
    'CPU p95 ms': cpu.p95,
    ...(baseline === undefined ? {} : { 'CPU × baseline': cpu.p50 / baseline.cpu }),
  };
};

const p50s = (t: Timings) => ({ wall: summarize(t.wall).p50, cpu: summarize(t.cpu).p50 });

// Linux clock ticks (USER_HZ) are 100 a second on every architecture Node runs on.
const TICK_MS = 10;

/** CPU time (user + system) of this process's children that have been waited for, from /proc (cutime + cstime). */
function childrenCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** Runs one child process to its end, its output thrown away (a pipe reader would time the reader too). */
function run(args: string[], env: NodeJS.ProcessEnv = {}): void {
  const sink = fs.openSync('/dev/null', 'w');
  try {
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', sink, 'pipe'], env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stderr)}`);
  } finally {
    fs.closeSync(sink);
  }
}

/** Wall and CPU time of each of `iterations` runs of one child process (after `warmup` untimed ones). */
async function timed(args: string[], env: NodeJS.ProcessEnv, opts: { iterations: number; warmup: number }): Promise<Timings> {
  const cpu: number[] = [];
  const wall = await measure(async (i) => {
    const before = childrenCpuMs();
    run(args, env);
    if (i >= 0) cpu.push(childrenCpuMs() - before);
  }, opts);
  return { wall, cpu };
}

async function bundles(): Promise<{ split: string; single: string }> {
  // Inside the repository, as `npm run build` does: the CLI finds its sample repository relative to itself.
  const out = path.resolve('.cache', 'bench-cli');
  fs.rmSync(out, { recursive: true, force: true });
  await build({ ...cliBundle(path.join(out, 'split')), logLevel: 'error' });
  await build({ ...nodeEsmBundle('src/cli/index.ts', path.join(out, 'single', 'cli.js')), logLevel: 'error' });
  return { split: path.join(out, 'split', 'cli.js'), single: path.join(out, 'single', 'cli.js') };
}

function longLog(count: number): string {
  const parts: string[] = [];
  const at = (k: number) => new Date(Date.UTC(2026, 0, 1) + k * 100).toISOString();
  for (let k = 0; k < count; k++) {
    const id = `sevt_l${k}`;
    const e =
      k % 4 === 0
        ? { id, type: 'agent.message', processed_at: at(k), content: [{ type: 'text', text: `Step ${k}: the assertion compares the wrong field; fixing it in src/app.js.` }] }
        : k % 4 === 1
          ? { id, type: 'agent.tool_use', processed_at: at(k), name: 'bash', input: { command: `npm test -- --grep step${k}` } }
          : k % 4 === 2
            ? { id, type: 'agent.tool_result', processed_at: at(k), tool_use_id: `sevt_l${k - 1}`, is_error: false, content: [{ type: 'text', text: 'ok 1 - passes\n'.repeat(8) }] }
            : { id, type: 'span.model_request_end', processed_at: at(k), model_request_start_id: 'x', is_error: false, model_usage: { input_tokens: 1200, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 4000 } };
    parts.push(encodeRecord(k, JSON.stringify(e)));
  }
  return parts.join('');
}

/** A storage holding one session whose log has `count` events; returns the storage and the session's log file. */
async function longSessionStorage(count: number): Promise<{ storage: string; id: string; log: string }> {
  const storage = path.join(tmpRoot, 'long');
  const repo = fs.mkdtempSync(path.join(tmpRoot, 'repo-'));
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: storage }), model: createAnthropicModel({ apiKey: async () => 'k', baseURL: 'http://127.0.0.1:9' }), owner: 'bench' });
  const agent = await rt.agents.create({ name: 'bench', model: DEFAULT_MODEL });
  const env = await rt.environments.ensureDefault();
  const session = await rt.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }] });
  await rt.close();
  const log = path.join(storage, 'sessions', session.id, 'events.jsonl');
  fs.writeFileSync(log, longLog(count));
  return { storage, id: session.id, log };
}

async function startBench(cli: { split: string; single: string }): Promise<Row[]> {
  const home = fs.mkdtempSync(path.join(tmpRoot, 'home-'));
  const opts = { iterations: 15, warmup: 2 };
  const baseline = await timed(['-e', '0'], {}, opts);
  const base = p50s(baseline);
  const rows = [row('baseline: node -e 0', baseline)];
  for (const [label, args] of [
    ['--version', ['--version']],
    ['sessions (empty storage)', ['sessions']],
  ] as const) {
    rows.push(row(`${label}, single-file bundle`, await timed([cli.single, ...args], { HANGAR_HOME: home }, opts), base));
    rows.push(row(`${label}, split bundle`, await timed([cli.split, ...args], { HANGAR_HOME: home }, opts), base));
  }
  return rows;
}

async function eventsBench(cli: { split: string; single: string }): Promise<Row[]> {
  const { storage, id, log } = await longSessionStorage(EVENTS);
  const opts = { iterations: 7, warmup: 1 };
  const raw = await timed(['-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(log)}))`], {}, opts);
  const base = p50s(raw);
  return [
    row(`baseline: read and print the log file (${EVENTS.toLocaleString('en-US')} events)`, raw),
    row('hangar events --json, single-file bundle', await timed([cli.single, 'events', id, '--json'], { HANGAR_HOME: storage }, opts), base),
    row('hangar events --json, split bundle', await timed([cli.split, 'events', id, '--json'], { HANGAR_HOME: storage }, opts), base),
    row('hangar events (text), split bundle', await timed([cli.split, 'events', id], { HANGAR_HOME: storage }, opts), base),
  ];
}

try {
  const cli = await bundles();
  const start = await startBench(cli);
  printTable(`CLI start (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, start);
  const events = await eventsBench(cli);
  printTable('hangar events of one long session', events);
  console.log(`\nresults: ${await writeResults('cli', { start, events })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
