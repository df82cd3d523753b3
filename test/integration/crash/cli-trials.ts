import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeEsmBundle } from '../../../bundles.mjs';
import { reply, startScriptedModel, type RecordedRequest, type ScriptedModel } from '../../../src/model/scripted';
import { makeRepo } from '../../support/runtime';

// The crash-trial harness: the bundled CLI driven as a user drives it. Each trial starts `hangar run`, SIGKILLs it
// at a random moment (often during startup and session creation), sometimes kills the following `hangar resume`
// too, then checks what a user would: `hangar sessions` still lists everything and nothing is damaged, the session
// resumes, `hangar events` shows every acknowledged event once and every tool_use with exactly one result, and
// `hangar serve` still starts. The model thinks (the default model is adaptive) and the scripted server is strict,
// so every request after a kill must pass signed thinking back unmodified and answer every tool_use, or it gets the
// API's 400. Randomness is seeded; a failure names the seed and the trial to replay (HANGAR_CRASH_SEED). Used with a
// small count by test/integration/crash and a large one by npm run bench.

const STEPS = 3;

export interface TrialOptions {
  trials: number;
  seed: number;
  /** Kill moments are drawn from [0, 2.5 s) half the time, else from [0, maxKillMs). */
  maxKillMs?: number;
  log?: (line: string) => void;
}

export interface TrialStats {
  trials: number;
  killedRuns: number;
  killedResumes: number;
  sessionsCreated: number;
  repairedToolCalls: number;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Event {
  id: string;
  type: string;
  tool_use_id?: string;
  stop_reason?: { type: string };
  content?: unknown;
}

/** mulberry32: small, seedable, good enough to pick kill moments. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function responder(req: RecordedRequest) {
  const done = JSON.stringify(req.body.messages).split('"tool_result"').length - 1;
  if (done >= STEPS) return reply.text('all steps done');
  return done % 2 === 0 ? reply.tool('bash', { command: `echo step${done} >> steps.txt; sleep 0.05` }) : reply.tool('write', { file_path: `out/${done}.txt`, content: `step ${done}\n` });
}

export interface Cli {
  /** Runs `hangar args…` on this storage; killAfterMs SIGKILLs it; onLine sees each stdout line. */
  hangar: (args: string[], killAfterMs?: number, onLine?: (line: string, kill: () => void) => void) => Promise<Run>;
  home: string;
  repo: string;
  /** The strict scripted model behind the CLI: what it was asked and what it refused. */
  model: ScriptedModel;
  close: () => Promise<void>;
}

/** The bundled CLI on a fresh storage, the scripted model behind ANTHROPIC_BASE_URL, the local sandbox. */
export async function startCli(): Promise<Cli> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hangar-cli-crash-'));
  const cli = path.resolve('.cache', 'crash-cli', 'cli.js');
  await build({ ...nodeEsmBundle('src/cli/index.ts', cli), logLevel: 'error' });
  const model = await startScriptedModel({ script: responder });
  const home = path.join(work, 'home');
  const repo = makeRepo({ 'README.md': '# crash\n' });
  const env = { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: model.url };
  const hangar: Cli['hangar'] = (args, killAfterMs, onLine) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const kill = () => child.kill('SIGKILL');
      const timer = killAfterMs === undefined ? null : setTimeout(kill, killAfterMs);
      // A hung command is a failure, not a wait forever.
      const guard = setTimeout(kill, 60_000);
      child.stdout.on('data', (c: Buffer) => {
        const before = stdout.length;
        stdout += c.toString();
        if (onLine) for (const line of stdout.slice(stdout.lastIndexOf('\n', before) + 1).split('\n').slice(0, -1)) onLine(line, kill);
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        clearTimeout(guard);
        resolve({ code, signal, stdout, stderr });
      });
    });
  const close = async () => {
    await model.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  };
  return { hangar, home, repo, model, close };
}

/** `hangar serve` gets as far as printing its address. */
export async function serveStarts(hangar: Cli['hangar']): Promise<void> {
  const r = await hangar(['--json', 'serve', '--port', '0'], undefined, (line, kill) => {
    if (line.includes('"url"')) kill();
  });
  assert.ok(r.stdout.includes('"url"'), `hangar serve starts (stderr: ${r.stderr})`);
}

export async function runCliTrials(opts: TrialOptions): Promise<TrialStats> {
  const log = opts.log ?? (() => undefined);
  const random = rng(opts.seed);
  const { hangar, repo, model, close } = await startCli();
  const stats: TrialStats = { trials: 0, killedRuns: 0, killedResumes: 0, sessionsCreated: 0, repairedToolCalls: 0 };

  const listIds = async (): Promise<Set<string>> => {
    const r = await hangar(['--json', 'sessions', '--limit', '100000']);
    assert.equal(r.code, 0, `hangar sessions exits 0 after a kill (stderr: ${r.stderr})`);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; type?: string; problem?: string });
    const damaged = lines.filter((l) => l.type === 'hangar.damaged_session');
    assert.deepEqual(damaged, [], 'no session is damaged by a kill');
    return new Set(lines.map((l) => l.id));
  };

  try {
    let known = await listIds();
    for (let trial = 0; trial < opts.trials; trial++) {
      // Half the kills land in the first 2.5 s: CLI startup and session creation, where storage used to break.
      const killAt = Math.floor(random() * (random() < 0.5 ? 2500 : (opts.maxKillMs ?? 6000)));
      const killResume = random() < 0.3;
      const resumeKillAt = Math.floor(random() * 2500);
      try {
        const acked: string[] = [];
        const run = await hangar(['--json', 'run', '--repo', repo, 'do the steps'], killAt, (line) => {
          const id = (JSON.parse(line) as { id?: string }).id;
          if (id?.startsWith('sevt_')) acked.push(id);
        });
        if (run.signal === 'SIGKILL') stats.killedRuns++;
        const now = await listIds();
        const created = [...now].filter((id) => !known.has(id));
        known = now;
        assert.ok(created.length <= 1, `one run made at most one session (${created.join(', ')})`);
        const id = created[0];
        if (!id) {
          assert.deepEqual(acked, [], 'no event was acknowledged for a session that does not exist');
          continue;
        }
        stats.sessionsCreated++;
        let events = await eventsOf(hangar, id);
        const has = new Set(events.map((e) => e.id));
        for (const a of acked) assert.ok(has.has(a), `acknowledged event ${a} survived the kill`);
        const started = events.some((e) => e.type === 'user.message');
        const again = started ? ['--json', 'resume', id] : ['--json', 'send', id, 'do the steps'];
        if (killResume && (await hangar(again, resumeKillAt)).signal === 'SIGKILL') stats.killedResumes++;
        const finished = await hangar(again);
        assert.ok(finished.signal === null, `the resume finished (stderr: ${finished.stderr})`);
        events = await eventsOf(hangar, id);
        stats.repairedToolCalls += checkLog(events, acked);
        assert.deepEqual(model.rejected.map((r) => r.message), [], 'the strict server accepted every request');
        assert.ok(events.some((e) => e.type === 'agent.thinking'), 'the model thought');
        const last = events.at(-1);
        assert.equal(last?.stop_reason?.type, 'end_turn', 'the resumed turn finished');
      } catch (err) {
        throw new Error(`seed ${opts.seed}, trial ${trial} (run killed at ${killAt} ms${killResume ? `, resume at ${resumeKillAt} ms` : ''}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      } finally {
        stats.trials++;
      }
      log(`trial ${trial}: run killed at ${killAt} ms`);
    }
    assert.ok(model.requests.every((r) => r.body.thinking?.type === 'adaptive'), 'every request asked for thinking');
    await serveStarts(hangar);
    return stats;
  } finally {
    await close();
  }
}

async function eventsOf(hangar: Cli['hangar'], id: string): Promise<Event[]> {
  const r = await hangar(['--json', 'events', id]);
  assert.equal(r.code, 0, `hangar events exits 0 (stderr: ${r.stderr})`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event)
    .filter((e) => typeof e.id === 'string' && e.id.startsWith('sevt_'));
}

/** The log's invariants after recovery; returns how many tool calls were repaired as interrupted. */
function checkLog(events: readonly Event[], acked: readonly string[]): number {
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'no event is duplicated');
  for (const a of acked) assert.ok(ids.includes(a), `acknowledged event ${a} is in the log`);
  const results = new Map<string, number>();
  for (const e of events) if (e.type === 'agent.tool_result' && e.tool_use_id) results.set(e.tool_use_id, (results.get(e.tool_use_id) ?? 0) + 1);
  for (const u of events.filter((e) => e.type === 'agent.tool_use')) assert.equal(results.get(u.id), 1, `tool_use ${u.id} has exactly one result`);
  for (const key of results.keys()) assert.ok(ids.includes(key), `the result for ${key} answers a logged tool_use`);
  const last = events.at(-1);
  assert.equal(last?.type, 'session.status_idle', `the session ends idle (last: ${last?.type})`);
  return events.filter((e) => e.type === 'agent.tool_result' && JSON.stringify(e.content).includes('interrupted')).length;
}
