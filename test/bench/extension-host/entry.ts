import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Hangar } from '../../../src/extension/hangar';
import type { SessionEvent } from '../../../src/wire';
import { ensureKey, hangar, workspaceDir } from '../../e2e/extension/support';
import { benchTask, type CasePlan, type CaseSample, type HostBenchPlan, TOOL_CALLS } from './plan';

// The extension-host side of test/bench/extension-host.bench.ts, loaded by VS Code as the --extensionTestsPath entry:
// run() executes inside the real extension host, beside the activated extension, so the event loop it measures is
// the one the Sessions tree, the status bar, the session panel's host side and the in-process runtime share. It
// reaches the extension through what activate() returns (the Hangar API the e2e tests use) and starts sessions with
// the user's command (hangar.startAgent), on the local sandbox, against the scripted model the driver runs in its
// own process. Results go to $HANGAR_BENCH_RESULTS as JSON.

const IDLE_PROBE_MS = 1000;
/** After the last session is idle: the UI's reaction to the idles (coalesced repaints, the status bar) belongs to the case. */
const SETTLE_MS = 500;

export async function run(): Promise<void> {
  const out = process.env.HANGAR_BENCH_RESULTS;
  const plan = JSON.parse(process.env.HANGAR_BENCH_PLAN ?? 'null') as HostBenchPlan | null;
  if (!out || !plan) throw new Error('HANGAR_BENCH_RESULTS and HANGAR_BENCH_PLAN must be set by test/bench/extension-host.bench.ts');
  try {
    const h = await prepare(plan.modelUrl);
    const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'bench-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
    if (!agentId) throw new Error('hangar.newAgent returned no id');
    const samples: CaseSample[] = [];
    for (const c of plan.cases) samples.push(await runCase(h, agentId, c, plan.profileDir));
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
  const load = os.loadavg()[0]!;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const elu0 = performance.eventLoopUtilization();
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
  histogram.disable();
  steady.disable();
  if (profiler && profileDir) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(path.join(profileDir, `host-${plan.delayMs}ms-${plan.sessions}-${plan.label}.cpuprofile`), JSON.stringify(profile));
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
  };
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
    const seen = (e: SessionEvent) => {
      if (e.type === 'agent.tool_result' && ++results === 1) firstResult();
      else if (e.type === 'session.status_idle') resolve();
    };
    void h.host.runtime.sessions.subscribe(id, 0, seen).then((u) => (off = u));
  });
  off();
}

async function sessionEvents(h: Hangar, id: string): Promise<SessionEvent[]> {
  return (await h.host.runtime.sessions.listEvents(id, { limit: 100_000 })).data;
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
