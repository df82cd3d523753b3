// One-shot `hangar run` as a user runs it (a child process of the bundled CLI, the scripted model behind
// ANTHROPIC_BASE_URL, 10 bash tool calls then an answer), on Docker and on the local sandbox in the same run: wall
// time, time from spawn to the first tool result, how long that first tool waited for its sandbox (tool_use to
// tool_result), time from the session's final idle to the process' exit, and (Docker) how long after the exit the
// session's container is gone: its removal is handed to a detached process, so the exit never waits for it. Each
// provider keeps one storage across
// runs, as a user's HANGAR_HOME does (the repository snapshot is reused). Docker runs twice: with no warm container
// (HANGAR_WARM_POOL=0), and with the one the previous run's keeper left ready (the default; each timed run starts once
// it is announced). A zero-latency model shows what Hangar itself costs; a model answering in 1 s is what users see.
// Run: npx tsx test/bench/oneshot.bench.ts [--runs 7]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeEsmBundle, toolServerBundle } from '../../bundles.mjs';
import { reply, startScriptedModel, type Reply } from '../../src/model/scripted';
import { pidAlive } from '../../src/log/file-lock';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { connectDocker } from '../../src/sandbox/docker/client';
import { LABEL_SESSION } from '../../src/sandbox/docker/names';
import { SharedRecord, warmDir } from '../../src/sandbox/docker/shared-pool';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 7);
const TOOLS = 10;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-oneshot-bench-'));

interface Sample {
  wall: number;
  toFirstTool: number;
  firstToolWait: number;
  idleToExit: number;
  /** From the exit until the session's container is gone (Docker; 0 for local). */
  exitToGone: number;
}

async function bundle(): Promise<string> {
  const cli = path.resolve('.cache', 'bench-oneshot', 'cli.js');
  await build({ ...nodeEsmBundle('src/cli/index.ts', cli), logLevel: 'error' });
  await build({ ...toolServerBundle(path.join(path.dirname(cli), 'toolserver.cjs')), logLevel: 'error' });
  return cli;
}

function makeRepo(): string {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'repo-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  fs.writeFileSync(path.join(dir, 'src', 'app.js'), 'console.log("hi");\n');
  return dir;
}

function script(): Reply[] {
  return [...Array.from({ length: TOOLS }, (_, i) => reply.tool('bash', { command: `echo step ${i} >> notes.txt` })), reply.text('done')];
}

interface LoggedEvent {
  type: string;
  processed_at: string | null;
}

function events(home: string, id: string): LoggedEvent[] {
  const text = fs.readFileSync(path.join(home, 'sessions', id, 'events.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { e: LoggedEvent }).e);
}

const at = (e: LoggedEvent | undefined): number => {
  if (!e?.processed_at) throw new Error('event missing from the log');
  return Date.parse(e.processed_at);
};

type Series = 'local' | 'docker' | 'docker-warm';

/** The warm containers the keepers of earlier runs announced under `home`. */
function announced(home: string): SharedRecord[] {
  const dir = warmDir(path.join(home, 'docker'));
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  return names.flatMap((f) => {
    const parsed = SharedRecord.safeParse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    return parsed.success ? [parsed.data] : [];
  });
}

async function warmAnnounced(home: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (announced(home).length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no warm container was announced after the run');
}

const docker = connectDocker();

/** Milliseconds from `exitedAt` (performance.now()) until no container of the session is left. */
async function containerGone(sessionId: string, exitedAt: number): Promise<number> {
  const engine = await docker;
  for (;;) {
    const left = await engine.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${sessionId}`] } });
    if (left.length === 0) return performance.now() - exitedAt;
    if (performance.now() - exitedAt > 60_000) throw new Error(`the container of ${sessionId} is still there a minute after its run exited`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function oneRun(cli: string, home: string, repo: string, series: Series, modelUrl: string): Promise<Sample> {
  const provider = series === 'local' ? 'local' : 'docker';
  const start = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'run', '--provider', provider, '--repo', repo, 'append ten lines'], {
    env: { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_WARM_POOL: series === 'docker-warm' ? '1' : '0', ANTHROPIC_API_KEY: 'bench-key', ANTHROPIC_BASE_URL: modelUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wall = performance.now() - t0;
  const exitAt = start + wall;
  if (code !== 0) throw new Error(`hangar run (${provider}) exited ${code}: ${stderr}`);
  if (!stdout.includes(`+step ${TOOLS - 1}`)) throw new Error(`hangar run (${provider}) printed no complete diff:\n${stdout}`);
  const id = /session (sesn_\w+)/.exec(stdout)?.[1];
  if (!id) throw new Error(`no session id in:\n${stdout}`);
  const log = events(home, id);
  const firstUse = log.find((e) => e.type === 'agent.tool_use');
  const firstResult = log.find((e) => e.type === 'agent.tool_result');
  const idle = log.filter((e) => e.type === 'session.status_idle').at(-1);
  return { wall, toFirstTool: at(firstResult) - start, firstToolWait: at(firstResult) - at(firstUse), idleToExit: exitAt - at(idle), exitToGone: provider === 'docker' ? await containerGone(id, t0 + wall) : 0 };
}

async function series(cli: string, provider: Series, delayMs: number, runs: number): Promise<Sample[]> {
  const home = fs.mkdtempSync(path.join(tmpRoot, `home-${provider}-`));
  const repo = makeRepo();
  const model = await startScriptedModel({ defaultDelayMs: delayMs });
  const samples: Sample[] = [];
  try {
    // One untimed run makes the storage and the repository's snapshot, as any run after a user's first does.
    for (let i = -1; i < runs; i++) {
      model.push(...script());
      const s = await oneRun(cli, home, repo, provider, model.url);
      if (i >= 0) samples.push(s);
      // Background teardown of the previous run must not be timed as part of the next one.
      await new Promise((r) => setTimeout(r, 500));
      if (provider === 'docker-warm') await warmAnnounced(home);
    }
  } finally {
    await model.close();
    if (provider !== 'local') {
      // The keepers would wait out their idle time: stopped, each removes its container.
      const keepers = announced(home).map((r) => r.keeper);
      for (const pid of keepers) if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
      while (keepers.some(pidAlive)) await new Promise((r) => setTimeout(r, 100));
      const p = new DockerSandboxProvider({ storageRoot: home });
      await p.reap(new Set());
      await p.close();
    }
  }
  return samples;
}

function rows(label: string, docker: Sample[], warm: Sample[], local: Sample[]): Row[] {
  const out: Row[] = [];
  const base = { wall: summarize(local.map((s) => s.wall)).p50, idleToExit: summarize(local.map((s) => s.idleToExit)).p50 };
  for (const [provider, samples] of [
    ['local (baseline)', local],
    ['docker, no warm container', docker],
    ['docker, warm container', warm],
  ] as const) {
    const wall = summarize(samples.map((s) => s.wall));
    const first = summarize(samples.map((s) => s.toFirstTool));
    const wait = summarize(samples.map((s) => s.firstToolWait));
    const exit = summarize(samples.map((s) => s.idleToExit));
    const gone = summarize(samples.map((s) => s.exitToGone));
    out.push({
      model: label,
      sandbox: provider,
      runs: wall.n,
      'wall p50': wall.p50,
      'wall p95': wall.p95,
      '× local wall': wall.p50 / base.wall,
      'to 1st tool p50': first.p50,
      'to 1st tool p95': first.p95,
      '1st tool wait p50': wait.p50,
      'idle→exit p50': exit.p50,
      'idle→exit p95': exit.p95,
      '× local idle→exit': exit.p50 / base.idleToExit,
      'exit→container gone p50': gone.p50,
    });
  }
  return out;
}

try {
  const cli = await bundle();
  const table: Row[] = [];
  for (const [label, delay, runs] of [
    ['zero latency', 0, RUNS],
    ['1 s per answer', 1000, Math.min(RUNS, 3)],
  ] as const) {
    const local = await series(cli, 'local', delay, runs);
    const docker = await series(cli, 'docker', delay, runs);
    const warm = await series(cli, 'docker-warm', delay, runs);
    table.push(...rows(label, docker, warm, local));
  }
  printTable(`One-shot hangar run, ${TOOLS} tool calls, ms (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, table);
  console.log(`\nresults: ${await writeResults('oneshot', { table })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
