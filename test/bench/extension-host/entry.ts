import { readFileSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Hangar } from '../../../src/extension/hangar';
import type { SessionEvent } from '../../../src/wire';
import { ensureKey, hangar, workspaceDir } from '../../e2e/extension/support';
import { benchTask, type CasePlan, type CaseSample, type HostBenchPlan, type StallWindow, TOOL_CALLS } from './plan';

// The extension-host side of test/bench/extension-host.bench.ts, loaded by VS Code as the --extensionTestsPath entry:
// run() executes inside the real extension host, beside the activated extension, so the event loop it measures is
// the one the Sessions tree, the status bar, the session panel's host side and the in-process runtime share. It
// reaches the extension through what activate() returns (the Hangar API the e2e tests use) and starts sessions with
// the user's command (hangar.startAgent), on the local sandbox, against the scripted model the driver runs in its
// own process; the 'detached' cases connect the window to the driver's `hangar serve` first, so the host runs the UI
// alone. Sessions are followed through the window's runtime client, either way. Results go to $HANGAR_BENCH_RESULTS as JSON.

const IDLE_PROBE_MS = 1000;
/** With --profile: the loop's stalls are found by a timer of this period firing late (see stallProbe). */
const STALL_PROBE_MS = 5;
const STALL_MS = 20;
/** After the last session is idle: the UI's reaction to the idles (coalesced repaints, the status bar) belongs to the case. */
const SETTLE_MS = 500;

export async function run(): Promise<void> {
  const out = process.env.HANGAR_BENCH_RESULTS;
  const plan = JSON.parse(process.env.HANGAR_BENCH_PLAN ?? 'null') as HostBenchPlan | null;
  if (!out || !plan) throw new Error('HANGAR_BENCH_RESULTS and HANGAR_BENCH_PLAN must be set by test/bench/extension-host.bench.ts');
  try {
    const h = await prepare(plan.modelUrl);
    const samples: CaseSample[] = [];
    for (const runtime of ['in-process', 'detached'] as const) {
      const cases = plan.cases.filter((c) => c.runtime === runtime);
      if (cases.length === 0) continue;
      if (runtime === 'detached') await connectDetached(h, plan);
      const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'bench-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
      if (!agentId) throw new Error('hangar.newAgent returned no id');
      for (const c of cases) samples.push(await runCase(h, agentId, c, plan.profileDir));
    }
    writeFileSync(out, JSON.stringify({ ok: true, samples }));
  } catch (err) {
    writeFileSync(out, JSON.stringify({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  }
}

/** The local sandbox, the scripted model, a key, and the Sessions view in sight. */
async function prepare(modelUrl: string): Promise<Hangar> {
  const h = await hangar();
  await ensureKey();
  const config = vscode.workspace.getConfiguration('hangar');
  await config.update('model.baseUrl', modelUrl, vscode.ConfigurationTarget.Global);
  if (h.host.runtime.options.sandbox.kind !== 'local') {
    const restarted = new Promise<void>((resolve) => {
      const sub = h.host.onDidStart(() => (sub.dispose(), resolve()));
    });
    await config.update('sandbox.provider', 'local', vscode.ConfigurationTarget.Global);
    await restarted;
  }
  await vscode.commands.executeCommand('hangar.sessions.focus');
  return h;
}

/** Points the window at the driver's `hangar serve` (the runtime's URL and token, as the user sets them). */
async function connectDetached(h: Hangar, plan: HostBenchPlan): Promise<void> {
  if (!plan.detached) throw new Error('the plan has detached cases but no detached runtime');
  const url = plan.detached.url;
  const restarted = new Promise<void>((resolve) => {
    const sub = h.host.onDidStart(() => h.host.client.where === url && (sub.dispose(), resolve()));
  });
  await vscode.workspace.getConfiguration('hangar').update('runtime.url', url, vscode.ConfigurationTarget.Global);
  if ((await vscode.commands.executeCommand('hangar.setRuntimeToken', plan.detached.token)) !== true) throw new Error('Hangar: Set Runtime Token did not take the token');
  await restarted;
}

/** Starts `count` sessions at once (the first with its panel open), waits until every one is idle, then removes them. */
async function runCase(h: Hangar, agentId: string, plan: CasePlan, profileDir: string | undefined): Promise<CaseSample> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((r) => setTimeout(r, IDLE_PROBE_MS));
  idle.disable();

  const profiler = profileDir ? new InspectorSession() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.post('Profiler.start');
  }
  const stalls = profiler ? stallProbe() : null;
  const load = os.loadavg()[0]!;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const elu0 = performance.eventLoopUtilization();
  const sched0 = threadSchedule();
  const started = performance.now();
  const task = benchTask(plan.delayMs);
  const ids = await Promise.all(
    Array.from({ length: plan.sessions }, (_, i) =>
      vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task, folder: workspaceDir(), ...(i === 0 ? {} : { open: 'none' }) }),
    ),
  );
  if (ids.some((id) => !id)) throw new Error('hangar.startAgent returned no session id');
  const sessionIds = ids as string[];
  // The steady phase: from when every session has its first tool result (sandboxes provisioned) to the end.
  const steady = monitorEventLoopDelay({ resolution: 5 });
  let provisioned = 0;
  const firstResult = () => ++provisioned === sessionIds.length && steady.enable();
  await Promise.all(sessionIds.map((id) => untilIdle(h, id, firstResult)));
  const wallMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const elu = performance.eventLoopUtilization(elu0);
  const sched = threadSchedule();
  histogram.disable();
  steady.disable();
  if (profiler && profileDir) {
    const { profile } = await profiler.post('Profiler.stop');
    const name = `host-${plan.delayMs}ms-${plan.sessions}-${plan.label}`;
    writeFileSync(path.join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
    writeFileSync(path.join(profileDir, `${name}.stalls.json`), JSON.stringify(stalls!.stop()));
    profiler.disconnect();
  }
  const turns: number[] = [];
  for (const id of sessionIds) turns.push(...steadyTurns(await sessionEvents(h, id)));

  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  for (const id of sessionIds) await vscode.commands.executeCommand('hangar.deleteSession', { sessionId: id, confirmed: true });
  return {
    ...plan,
    load,
    wallMs,
    turns,
    idleDelayP99: idle.percentile(99) / 1e6,
    delay: delays(histogram),
    steadyDelay: delays(steady),
    busyMs: elu.active,
    utilization: elu.utilization,
    loopThread: sched && sched0 ? { cpuMs: (sched.cpuNs - sched0.cpuNs) / 1e6, waitMs: (sched.waitNs - sched0.waitNs) / 1e6 } : null,
  };
}

/**
 * The loop's stalls over STALL_MS: when a timer of STALL_PROBE_MS fires that late, the loop was held (by one task, or by
 * one turn's many) from its previous firing to now. Times are the monotonic clock's microseconds, as the CPU profile's
 * are, so extension-host/stalls.ts can name the code the profile sampled in each stall. Each stall also says how long
 * the loop's thread ran on a CPU and how long it waited for one (Linux's schedstat of this thread): a stall it spent
 * waiting is the machine's, not the host's code.
 */
function stallProbe(): { stop(): StallWindow[] } {
  const stalls: StallWindow[] = [];
  let last = process.hrtime.bigint();
  let lastSched = threadSchedule();
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const sched = threadSchedule();
    if (Number(now - last) / 1e6 > STALL_PROBE_MS + STALL_MS) {
      const ran = sched && lastSched ? { cpuMs: (sched.cpuNs - lastSched.cpuNs) / 1e6, waitMs: (sched.waitNs - lastSched.waitNs) / 1e6 } : {};
      stalls.push({ startUs: Number(last / 1000n), endUs: Number(now / 1000n), ...ran });
    }
    last = now;
    lastSched = sched;
  }, STALL_PROBE_MS);
  return { stop: () => (clearInterval(timer), stalls) };
}

/** This thread's time on a CPU and waiting in the run queue so far, in ns (/proc/thread-self/schedstat); null off Linux. */
function threadSchedule(): { cpuNs: number; waitNs: number } | null {
  try {
    const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { cpuNs: Number(cpu), waitNs: Number(wait) };
  } catch {
    return null;
  }
}

function delays(h: IntervalHistogram): CaseSample['delay'] {
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

/**
 * Resolves at the session's first idle (the log is read from its start, so an idle already there counts); calls
 * `firstResult` at its first tool result.
 */
async function untilIdle(h: Hangar, id: string, firstResult: () => void): Promise<void> {
  let off: () => void = () => undefined;
  let results = 0;
  await new Promise<void>((resolve) => {
    const onEvent = (e: SessionEvent) => {
      if (e.type === 'agent.tool_result' && ++results === 1) firstResult();
      else if (e.type === 'session.status_idle') resolve();
    };
    void h.host.client.follow(id, [], { onEvent }).then((u) => (off = u));
  });
  off();
}

async function sessionEvents(h: Hangar, id: string): Promise<SessionEvent[]> {
  return h.host.client.sessionEvents(id, ['span.model_request_start']);
}

/**
 * Steady tool turns: one model request's start to the next (the model's answer, the harness's appends, the tool), from
 * the log's processed_at; the first turn, which waits for the sandbox, is left out.
 */
function steadyTurns(events: readonly SessionEvent[]): number[] {
  const starts = events.filter((e) => e.type === 'span.model_request_start').map((e) => Date.parse(e.processed_at ?? ''));
  if (starts.length !== TOOL_CALLS.length + 1) throw new Error(`a session made ${starts.length} model requests, expected ${TOOL_CALLS.length + 1}`);
  return starts.slice(2).map((at, i) => at - starts[i + 1]!);
}
