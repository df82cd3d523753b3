// The CLI as a user runs it (a child process of the bundle): start-up of `--version` and `sessions` (on an empty
// storage, and on one holding more sessions than a page) against a bare `node -e 0`, and `events --json` and `events`
// (text) of a 20,000-event session against reading and printing its log file. Each command runs from the shipped
// layout (dist/cli.mjs plus chunks loaded on demand) and from a single-file bundle of the same sources (how the CLI
// shipped before), both built here, so the ratios come from one run. The cases of a table run
// interleaved (one run of each in turn, round after round), so a neighbour's burst of load hits them all alike.
// Each row gives wall time and the child's CPU time, each with its ratio to the baseline of the same run; the load
// average at the start and end of each table is printed with it.
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
import { printTable, summarize, writeResults, type Row } from './lib';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-cli-bench-'));
const EVENTS = 20_000;
/** Sessions in the storage `hangar sessions` lists a page (20) of. */
const STORED = 50;

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

interface Case {
  label: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Wall and CPU time of each case: `warmup` untimed rounds, then `iterations` rounds that run every case once, in turn. */
function interleaved(cases: readonly Case[], opts: { iterations: number; warmup: number }): Timings[] {
  const timings = cases.map((): Timings => ({ wall: [], cpu: [] }));
  for (let round = -opts.warmup; round < opts.iterations; round++) {
    cases.forEach((c, k) => {
      const cpuBefore = childrenCpuMs();
      const start = performance.now();
      run(c.args, c.env);
      if (round < 0) return;
      timings[k]!.wall.push(performance.now() - start);
      timings[k]!.cpu.push(childrenCpuMs() - cpuBefore);
    });
  }
  return timings;
}

/** Rows of interleaved cases, the first being the baseline the others are compared with. */
function table(cases: readonly Case[], opts: { iterations: number; warmup: number }): Row[] {
  const [baseline, ...rest] = interleaved(cases, opts);
  const base = p50s(baseline!);
  return [row(cases[0]!.label, baseline!), ...rest.map((t, k) => row(cases[k + 1]!.label, t, base))];
}

const load = () => os.loadavg()[0]!.toFixed(1);

async function bundles(): Promise<{ split: string; single: string }> {
  // Inside the repository, as `npm run build` does: the CLI finds its sample repository relative to itself.
  const out = path.resolve('.cache', 'bench-cli');
  fs.rmSync(out, { recursive: true, force: true });
  await build({ ...cliBundle(path.join(out, 'split')), logLevel: 'error' });
  await build({ ...nodeEsmBundle('src/cli/index.ts', path.join(out, 'single', 'cli.js')), logLevel: 'error' });
  return { split: path.join(out, 'split', 'cli.mjs'), single: path.join(out, 'single', 'cli.js') };
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

/** A storage (folder `name` of the bench's) holding `count` sessions, each with an empty log; returns it and their ids. */
async function sessionsStorage(name: string, count: number): Promise<{ storage: string; ids: string[] }> {
  const storage = path.join(tmpRoot, name);
  const repo = fs.mkdtempSync(path.join(tmpRoot, 'repo-'));
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: storage }), model: createAnthropicModel({ apiKey: async () => 'k', baseURL: 'http://127.0.0.1:9' }), owner: 'bench' });
  const agent = await rt.agents.create({ name: 'bench', model: DEFAULT_MODEL });
  const env = await rt.environments.ensureDefault();
  const ids: string[] = [];
  for (let k = 0; k < count; k++) ids.push((await rt.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }], title: `task ${k}` })).id);
  await rt.close();
  return { storage, ids };
}

/** A storage holding one session whose log has `count` events; returns the storage and the session's log file. */
async function longSessionStorage(count: number): Promise<{ storage: string; id: string; log: string }> {
  const { storage, ids } = await sessionsStorage('long', 1);
  const log = path.join(storage, 'sessions', ids[0]!, 'events.jsonl');
  fs.writeFileSync(log, longLog(count));
  return { storage, id: ids[0]!, log };
}

async function startBench(cli: { split: string; single: string }): Promise<Row[]> {
  const home = { HANGAR_HOME: fs.mkdtempSync(path.join(tmpRoot, 'home-')) };
  // More sessions than a page: listing reads the page's records and summaries, not every session's.
  const stored = { HANGAR_HOME: (await sessionsStorage('stored', STORED)).storage };
  return table(
    [
      { label: 'baseline: node -e 0', args: ['-e', '0'] },
      { label: '--version, single-file bundle', args: [cli.single, '--version'], env: home },
      { label: '--version, split bundle', args: [cli.split, '--version'], env: home },
      { label: 'sessions (empty storage), single-file bundle', args: [cli.single, 'sessions'], env: home },
      { label: 'sessions (empty storage), split bundle', args: [cli.split, 'sessions'], env: home },
      { label: `sessions (${STORED} stored), split bundle`, args: [cli.split, 'sessions'], env: stored },
    ],
    { iterations: 15, warmup: 2 },
  );
}

async function eventsBench(cli: { split: string; single: string }): Promise<Row[]> {
  const { storage, id, log } = await longSessionStorage(EVENTS);
  const env = { HANGAR_HOME: storage };
  return table(
    [
      { label: `baseline: read and print the log file (${EVENTS.toLocaleString('en-US')} events)`, args: ['-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(log)}))`] },
      { label: 'hangar events --json, single-file bundle', args: [cli.single, 'events', id, '--json'], env },
      { label: 'hangar events --json, split bundle', args: [cli.split, 'events', id, '--json'], env },
      { label: 'hangar events (text), split bundle', args: [cli.split, 'events', id], env },
    ],
    { iterations: 7, warmup: 1 },
  );
}

try {
  const cli = await bundles();
  const startLoad = load();
  const start = await startBench(cli);
  printTable(`CLI start (${os.cpus().length} CPU, ${process.platform}, Node ${process.version}; load ${startLoad} -> ${load()})`, start);
  const eventsLoad = load();
  const events = await eventsBench(cli);
  printTable(`hangar events of one long session (load ${eventsLoad} -> ${load()})`, events);
  console.log(`\nresults: ${await writeResults('cli', { start, events })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
