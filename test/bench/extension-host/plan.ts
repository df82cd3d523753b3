import { reply, type RecordedRequest, type Reply } from '../../../src/model/scripted';
import { tenToolCalls } from '../ten-tools';

// What test/bench/extension-host.bench.ts (the driver) and extension-host/entry.ts (inside VS Code's extension host)
// share: the cases to run, what one case measured, and the scripted model's 10-tool script.

/** The 10 tool calls every session makes on the sample workspace (test/e2e/workbench.mjs), then a closing text. */
export const TOOL_CALLS: readonly [string, Record<string, unknown>][] = tenToolCalls({ grep: 'return', source: 'src/math.js' });

/** The task a case's sessions get: it carries the model's answer delay, so one model serves every case. */
export function benchTask(delayMs: number): string {
  return `Benchmark the extension host (model delay=${delayMs} ms).`;
}

/** Stateless per session: the reply follows from the assistant turns the request holds, its delay from the task. */
export function responder(request: RecordedRequest): Reply {
  const delay = /model delay=(\d+) ms/.exec(JSON.stringify(request.body.messages[0] ?? ''));
  const call = TOOL_CALLS[request.body.messages.filter((m) => m.role === 'assistant').length];
  const answer = call ? reply.tool(call[0], call[1]) : reply.text('all done');
  return { ...answer, delay_ms: Number(delay?.[1] ?? 0) };
}

/** Where the sessions run: in the extension host (the default), or in a `hangar serve` the window is connected to. */
export type BenchRuntime = 'in-process' | 'detached';

export interface CasePlan {
  runtime: BenchRuntime;
  sessions: number;
  delayMs: number;
  /** Which pass of the plan this case belongs to ('run1', ...). */
  label: string;
}

export interface HostBenchPlan {
  modelUrl: string;
  cases: CasePlan[];
  /** Where the host writes a CPU profile of each case, when asked (--profile). */
  profileDir?: string;
  /** The detached runtime the 'detached' cases connect the window to (hangar.runtime.url and its token). */
  detached?: { url: string; token: string };
}

export interface CaseSample extends CasePlan {
  /** The 1-minute load average when the case started. */
  load: number;
  wallMs: number;
  /** Steady tool turns of every session, ms. */
  turns: number[];
  /** The host loop's delay p99 over 1 s just before the case, nothing running: the machine's share. */
  idleDelayP99: number;
  /** The host loop's delay from the start command to the last idle (and a short settle after it), ms. */
  delay: { p50: number; p99: number; max: number };
  /** The same from when every session has its first tool result (sandboxes provisioned) to the last idle. */
  steadyDelay: { p50: number; p99: number; max: number };
  /** Time the host loop was busy over the case (event-loop utilization's active time), ms. */
  busyMs: number;
  utilization: number;
  /**
   * The loop's thread over the case: its time on a CPU, and its time runnable but waiting for one (Linux's schedstat;
   * null elsewhere). The wait is the machine's share of the loop's delay: other processes (the sessions' git and tools,
   * VS Code's, the model's) held both cores.
   */
  loopThread: { cpuMs: number; waitMs: number } | null;
}

export type HostBenchResult = { ok: true; samples: CaseSample[] } | { ok: false; error: string };

/** A stretch the host's loop did not get to a due timer (--profile), in the monotonic clock's microseconds. */
export interface StallWindow {
  startUs: number;
  endUs: number;
  /** How long the loop's thread ran on a CPU in it, and waited in the run queue for one (Linux only). */
  cpuMs?: number;
  waitMs?: number;
}
