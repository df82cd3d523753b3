// One case of the concurrency bench: `count` sessions started at once, timed from their turns, with the loop's delay
// and utilization and the CPU of the steady phase. The sessions are Hangar's (runCase: a runtime's, timed from their
// events) or the no-harness baseline's (concurrency-no-harness.ts); both are measured by the same frame (measureCase).
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Runtime } from '../../src/runtime';
import type { SessionEvent } from '../../src/wire';
import { mainThreadCpuMs, readCpu, steadyCpu, type CpuReading } from './concurrency-cpu';
import { CALLS, TOOLS, type ModelWorker } from './concurrency-model';

const IDLE_PROBE_MS = 1000;

/** One session's turns as they pass: performance.now() of each model request start, tool_use and tool_result. */
export interface SessionTimes {
  requests: number[];
  toolUses: number[];
  toolResults: number[];
  firstToolResult: number | null;
}

/** Where a case's sessions report their turns; the last session's first tool result starts the steady phase. */
export interface Marks {
  request(session: number): void;
  toolUse(session: number): void;
  toolResult(session: number): void;
}

/** A case's sessions, made ready (created, subscribed) before the measured frame; `run` starts them all at once and resolves when every one is over. */
export interface CaseDriver {
  run(): Promise<void>;
  close(): Promise<void>;
}

export interface CaseResult {
  sessionIds: string[];
  turns: number[];
  firstToolResult: number[];
  /** A steady turn's parts: model request start → tool_use (model), → tool_result (tool), → next request (harness). */
  parts: { model: number[]; tool: number[]; harness: number[] };
  /** The tool part of each steady turn, by tool name. */
  byTool: Map<string, number[]>;
  loopDelay: { p50: number; p99: number; max: number };
  /** The loop's delay p99 over IDLE_PROBE_MS just before the sessions start, with nothing to run: the machine's share. */
  idleLoopDelayP99: number;
  /** Main-loop busy time (event-loop utilization × wall) over the sessions' model requests: work that serialises. */
  busyPerTurnMs: number;
  /** CPU time of the main thread alone over the sessions' model requests: unlike busy time, not inflated when other processes take the cores. */
  cpuPerTurnMs: number;
  /** CPU time of the whole process (every thread: libuv's pool, the watch workers, the model worker) per model request. */
  processCpuPerTurnMs: number;
  /**
   * From the moment every session has its first tool result (sandboxes provisioned) to the end, per model request
   * started in that time: the main thread's CPU, the whole process's (process.cpuUsage: every thread, the model's
   * included), the scripted model's thread's (the stand-in's work, not the runtime's), and the runtime's (the process
   * without the model's thread, plus its descendants: launchers, shells, their commands).
   */
  steady: { loopCpuPerTurnMs: number; processCpuPerTurnMs: number; modelCpuPerTurnMs: number; runtimeCpuPerTurnMs: number; coresUsed: number; machineBusyCores: number };
  utilization: number;
  /** CPU time of the main thread over the whole case. */
  cpuMs: number;
  wallMs: number;
}

/**
 * Measures `count` sessions that `prepare` makes ready and reports to the marks it is given: an idle probe of the
 * loop, then the sessions started at once and timed until every one is over.
 */
export async function measureCase(model: ModelWorker, count: number, prepare: (marks: Marks) => Promise<CaseDriver>, profileFile?: string): Promise<Omit<CaseResult, 'sessionIds'>> {
  // Started when the steady phase starts (below).
  const profiler = profileFile ? new InspectorSession() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  const times: SessionTimes[] = Array.from({ length: count }, () => ({ requests: [], toolUses: [], toolResults: [], firstToolResult: null }));
  let sentAt = 0;
  // The steady phase starts when the last session gets its first tool result.
  let provisioned = 0;
  let requestsBeforeSteady = 0;
  let steadyFrom: CpuReading | null = null;
  const requestCount = () => times.reduce((sum, t) => sum + t.requests.length, 0);
  const driver = await prepare({
    request: (i) => times[i]!.requests.push(performance.now()),
    toolUse: (i) => times[i]!.toolUses.push(performance.now()),
    toolResult: (i) => {
      const now = performance.now();
      const t = times[i]!;
      t.toolResults.push(now);
      if (t.firstToolResult === null && ++provisioned === count) {
        void profiler?.post('Profiler.start');
        steadyFrom = readCpu(model, 'start');
        requestsBeforeSteady = requestCount();
      }
      t.firstToolResult ??= now - sentAt;
    },
  });
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, IDLE_PROBE_MS));
  idle.disable();
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMs();
  const process0 = process.cpuUsage();
  sentAt = performance.now();
  await driver.run();
  const wallMs = performance.now() - sentAt;
  const elu = performance.eventLoopUtilization(elu0);
  const cpuMs = mainThreadCpuMs() - cpu0;
  const processCpu = process.cpuUsage(process0);
  const steadyTo = readCpu(model, 'end');
  histogram.disable();
  if (profiler && profileFile) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    profiler.disconnect();
  }
  await driver.close();
  for (const t of times) if (t.requests.length !== TOOLS + 1) throw new Error(`a session made ${t.requests.length} model requests, expected ${TOOLS + 1}`);
  return {
    // Steady turns: the first one waits for the sandbox, which the time to the first tool result reports.
    turns: times.flatMap((t) => t.requests.slice(2).map((at, i) => at - t.requests[i + 1]!)),
    firstToolResult: times.map((t) => t.firstToolResult!),
    parts: {
      model: times.flatMap((t) => t.toolUses.slice(1).map((at, i) => at - t.requests[i + 1]!)),
      tool: times.flatMap((t) => t.toolResults.slice(1).map((at, i) => at - t.toolUses[i + 1]!)),
      harness: times.flatMap((t) => t.requests.slice(2).map((at, i) => at - t.toolResults[i + 1]!)),
    },
    byTool: times.reduce((by, t) => {
      for (let i = 1; i < TOOLS; i++) {
        const name = CALLS[i]![0];
        by.set(name, [...(by.get(name) ?? []), t.toolResults[i]! - t.toolUses[i]!]);
      }
      return by;
    }, new Map<string, number[]>()),
    loopDelay: { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 },
    idleLoopDelayP99: idle.percentile(99) / 1e6,
    busyPerTurnMs: elu.active / (count * (TOOLS + 1)),
    cpuPerTurnMs: cpuMs / (count * (TOOLS + 1)),
    processCpuPerTurnMs: (processCpu.user + processCpu.system) / 1000 / (count * (TOOLS + 1)),
    steady: await steadyCpu(steadyFrom!, steadyTo, requestCount() - requestsBeforeSteady),
    utilization: elu.utilization,
    cpuMs,
    wallMs,
  };
}

/** `count` sessions created together on a runtime, then all sent their message at once; resolves when every one is idle again. */
export async function runCase(rt: Runtime, model: ModelWorker, env: string, agent: string, repo: string, count: number, profileFile?: string): Promise<CaseResult> {
  const sessions = await Promise.all(Array.from({ length: count }, () => rt.sessions.create({ agent, environment_id: env, resources: [{ type: 'local_repository', path: repo }] })));
  const result = await measureCase(
    model,
    count,
    async (marks) => {
      const idle: Promise<void>[] = [];
      const unsubscribe: (() => void)[] = [];
      for (const [i, s] of sessions.entries()) {
        let done: () => void = () => undefined;
        idle.push(new Promise((r) => (done = r)));
        // Subscribed from the end of the log as it is now: only this run's events.
        const from = (await rt.sessions.listEvents(s.id, { limit: 100_000 })).data.length;
        unsubscribe.push(
          await rt.sessions.subscribe(s.id, from, (e: SessionEvent) => {
            if (e.type === 'span.model_request_start') marks.request(i);
            else if (e.type === 'agent.tool_use') marks.toolUse(i);
            else if (e.type === 'agent.tool_result') marks.toolResult(i);
            else if (e.type === 'session.status_idle') done();
          }),
        );
      }
      return {
        run: async () => {
          await Promise.all(sessions.map((s) => rt.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }])));
          await Promise.all(idle);
        },
        close: async () => unsubscribe.forEach((u) => u()),
      };
    },
    profileFile,
  );
  return { sessionIds: sessions.map((s) => s.id), ...result };
}
