// The concurrency bench's results: each count's runs summarized, and the tables' rows, as ratios against the same
// run's lone session.
import { summarize, type Row, type Summary } from './lib';
import type { CaseResult } from './concurrency-case';
import { CALLS } from './concurrency-model';

export interface Measured {
  sandbox: string;
  /** Docker: the warm pool's size and what a burst may grow it to; null for the local sandbox, which has none. */
  warmPool: number | null;
  warmPoolMax: number | null;
  /**
   * 'first': on a runtime whose pool holds its size; 'second' (Docker): the same count again once the pool refilled
   * after a first burst; 'cold': the process's first round at the largest count, before every measured one (V8 still
   * compiling the harness's hot paths).
   */
  burst: 'first' | 'second' | 'cold';
  /** Second bursts: warm containers ready as each began (fewest over its runs), and of its sessions, how many claimed one. */
  warmReady: number | null;
  claimedWarm: number | null;
  model: string;
  sessions: number;
  runs: number;
  turn: Summary;
  firstToolResult: Summary;
  parts: { model: Summary; tool: Summary; harness: Summary };
  byTool: Record<string, Summary>;
  loopDelayP50: number;
  loopDelayP99: number;
  loopDelayMax: number;
  idleLoopDelayP99: number;
  busyPerTurnMs: number;
  cpuPerTurnMs: number;
  processCpuPerTurnMs: number;
  steady: CaseResult['steady'];
  utilization: number;
  /** The loop thread's CPU time over the wall time the sessions ran. */
  cpuShare: number;
}

export function summarizeRuns(done: CaseResult[]): Omit<Measured, 'sandbox' | 'warmPool' | 'warmPoolMax' | 'burst' | 'warmReady' | 'claimedWarm' | 'model' | 'sessions'> {
  const mean = (f: (x: CaseResult) => number) => done.reduce((sum, x) => sum + f(x), 0) / done.length;
  return {
    runs: done.length,
    turn: summarize(done.flatMap((x) => x.turns)),
    firstToolResult: summarize(done.flatMap((x) => x.firstToolResult)),
    parts: {
      model: summarize(done.flatMap((x) => x.parts.model)),
      tool: summarize(done.flatMap((x) => x.parts.tool)),
      harness: summarize(done.flatMap((x) => x.parts.harness)),
    },
    byTool: Object.fromEntries([...new Set(CALLS.map((c) => c[0]))].map((name) => [name, summarize(done.flatMap((x) => x.byTool.get(name) ?? []))])),
    loopDelayP50: Math.max(...done.map((x) => x.loopDelay.p50)),
    loopDelayP99: Math.max(...done.map((x) => x.loopDelay.p99)),
    loopDelayMax: Math.max(...done.map((x) => x.loopDelay.max)),
    idleLoopDelayP99: Math.max(...done.map((x) => x.idleLoopDelayP99)),
    busyPerTurnMs: mean((x) => x.busyPerTurnMs),
    cpuPerTurnMs: mean((x) => x.cpuPerTurnMs),
    processCpuPerTurnMs: mean((x) => x.processCpuPerTurnMs),
    steady: {
      loopCpuPerTurnMs: mean((x) => x.steady.loopCpuPerTurnMs),
      processCpuPerTurnMs: mean((x) => x.steady.processCpuPerTurnMs),
      modelCpuPerTurnMs: mean((x) => x.steady.modelCpuPerTurnMs),
      runtimeCpuPerTurnMs: mean((x) => x.steady.runtimeCpuPerTurnMs),
      coresUsed: mean((x) => x.steady.coresUsed),
      machineBusyCores: mean((x) => x.steady.machineBusyCores),
    },
    utilization: mean((x) => x.utilization),
    cpuShare: mean((x) => x.cpuMs / x.wallMs),
  };
}

/**
 * The steady turn the machine's cores allow `m.sessions` closed-loop sessions with no think time: each turn needs the
 * runtime's CPU and the scripted model's (both run on these cores), so the cores complete at most cores / CPU-per-turn
 * turns per ms, and a session waits for the others' turns: count × CPU per turn / cores. Never below a lone turn.
 */
function cpuFloorMs(m: Measured, lone: Measured, cores: number): number {
  return Math.max(lone.turn.p50, (m.sessions * (m.steady.runtimeCpuPerTurnMs + m.steady.modelCpuPerTurnMs)) / cores);
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/** The same run's lone session: every ratio's baseline. */
function lone(measured: Measured[], m: Measured): Measured {
  return measured.find((b) => b.sandbox === m.sandbox && b.model === m.model && b.sessions === 1 && b.burst === 'first')!;
}

/** Docker's first and second bursts of each count side by side: the time to the first tool result, what a user waits for. */
export function burstRows(measured: Measured[]): Row[] {
  return measured.flatMap((m) => {
    const second = measured.find((s) => s.burst === 'second' && s.sandbox === m.sandbox && s.model === m.model && s.sessions === m.sessions);
    if (m.burst !== 'first' || !second) return [];
    const base = lone(measured, m);
    return [
      {
        model: m.model,
        sessions: m.sessions,
        'warm pool / max': `${m.warmPool}/${m.warmPoolMax}`,
        'lone first tool p50 ms': base.firstToolResult.p50,
        'first burst: first tool p50 ms': m.firstToolResult.p50,
        'first: p95 ms': m.firstToolResult.p95,
        'first: p50 ×1': ratio(m.firstToolResult.p50, base.firstToolResult.p50),
        'second burst: warm ready': second.warmReady!,
        'second: claimed warm': `${second.claimedWarm}/${second.sessions * second.runs}`,
        'second: first tool p50 ms': second.firstToolResult.p50,
        'second: p95 ms': second.firstToolResult.p95,
        'second: p50 ×1': ratio(second.firstToolResult.p50, base.firstToolResult.p50),
        'steady turn p50 ms (first/second)': `${m.turn.p50.toFixed(1)}/${second.turn.p50.toFixed(1)}`,
      },
    ];
  });
}

export function rows(measured: Measured[], cores: number): Row[] {
  return measured.map((m) => {
    const base = lone(measured, m);
    const floor = cpuFloorMs(m, base, cores);
    return {
      sandbox: m.sandbox,
      'warm pool': m.warmPool ?? '-',
      model: m.model,
      sessions: m.sessions,
      burst: m.burst,
      turns: m.turn.n,
      'turn p50 ms': m.turn.p50,
      'turn p95 ms': m.turn.p95,
      'turn p50 ×1': ratio(m.turn.p50, base.turn.p50),
      'turn p95 ×1': ratio(m.turn.p95, base.turn.p95),
      'steady process CPU ms/turn': m.steady.processCpuPerTurnMs,
      'CPU floor turn ms': floor,
      'CPU floor ×1': ratio(floor, base.turn.p50),
      'steady cores used': Number(m.steady.coresUsed.toFixed(2)),
      'machine busy cores': Number(m.steady.machineBusyCores.toFixed(2)),
      'model p50 ms': m.parts.model.p50,
      'tool p50 ms': m.parts.tool.p50,
      'harness p50 ms': m.parts.harness.p50,
      'loop delay p50 ms': m.loopDelayP50,
      'loop delay p99 ms': m.loopDelayP99,
      'loop p99 ×1': ratio(m.loopDelayP99, base.loopDelayP99),
      'idle loop p99 ms': m.idleLoopDelayP99,
      'loop CPU share': m.cpuShare,
      'loop busy ms/turn': m.busyPerTurnMs,
      'loop CPU ms/turn': m.cpuPerTurnMs,
      'process CPU ms/turn': m.processCpuPerTurnMs,
      'steady loop CPU ms/turn': m.steady.loopCpuPerTurnMs,
      'steady runtime CPU ms/turn': m.steady.runtimeCpuPerTurnMs,
      'steady model CPU ms/turn': m.steady.modelCpuPerTurnMs,
      'loop utilization': m.utilization,
      'first tool result p50 ms': m.firstToolResult.p50,
      'first tool result p95 ms': m.firstToolResult.p95,
      'first result p50 ×1': ratio(m.firstToolResult.p50, base.firstToolResult.p50),
    };
  });
}
