// CPU readings for the concurrency bench, from /proc (Linux): one thread's, this process's descendants', the
// machine's; and the steady phase's CPU per model request from two readings.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { CaseResult } from './concurrency-case';

// Linux clock ticks (USER_HZ) are 100 a second on every architecture Node runs on.
const TICK_MS = 10;

/** The fields of a /proc stat line after the parenthesised command (the 3rd field of the line is the first here). */
function statFields(file: string): string[] | null {
  try {
    const stat = readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU time (user + system) of one thread (`thread-self`, or `self/task/<tid>`), from /proc; NaN where /proc has no task stats. */
export function threadCpuMs(thread: string): number {
  // utime and stime are the 14th and 15th fields of the line.
  const fields = statFields(`/proc/${thread}/stat`);
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : NaN;
}

export const mainThreadCpuMs = (): number => threadCpuMs(`self/task/${process.pid}`);

/** The processes `pid`'s threads started, from /proc (Linux 3.5+); null when it has gone or /proc has no such file. */
function childrenOf(pid: number): number[] | null {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return null;
  }
}

/**
 * CPU time of every live descendant of this process (the launchers and the sessions' shells), with what their own
 * exited children used (cutime and cstime: ripgrep, git, a command's processes); NaN without /proc. Descendants
 * that exit between two readings are left out, so it is a lower bound. It walks the tree only (not every process
 * on the machine): it runs on the loop being measured.
 */
function descendantsCpuMs(): number {
  const pending = childrenOf(process.pid);
  if (!pending) return NaN;
  let total = 0;
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const fields = statFields(`/proc/${pid}/stat`);
    if (fields) total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * TICK_MS;
    pending.push(...(childrenOf(pid) ?? []));
  }
  return total;
}

/** The machine's CPU time so far (all cores, in ticks): idle (iowait included) and total; null without /proc. */
function machineTicks(): { idle: number; total: number } | null {
  try {
    // cpu user nice system idle iowait irq softirq steal (guest time is in user already).
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: fields[3]! + fields[4]!, total: fields.reduce((sum, n) => sum + n, 0) };
  } catch {
    return null;
  }
}

export interface CpuReading {
  at: number;
  machine: { idle: number; total: number } | null;
  main: number;
  process: number;
  descendants: number;
  model: Promise<number>;
}

/** At the start the descendants are read first and at the end last, so the measured window leaves out their walk. */
export function readCpu(model: { cpuMs(): Promise<number> }, at: 'start' | 'end'): CpuReading {
  const descendants = at === 'start' ? descendantsCpuMs() : NaN;
  const { user, system } = process.cpuUsage();
  const main = mainThreadCpuMs();
  return { at: performance.now(), machine: machineTicks(), main, process: (user + system) / 1000, descendants: at === 'start' ? descendants : descendantsCpuMs(), model: model.cpuMs() };
}

/** Per-turn CPU of the steady phase: between two readings, over the model requests started in between. */
export async function steadyCpu(from: CpuReading, to: CpuReading, turns: number): Promise<CaseResult['steady']> {
  const modelMs = (await to.model) - (await from.model);
  const runtimeMs = to.process - from.process - modelMs + to.descendants - from.descendants;
  const idleShare = from.machine && to.machine ? (to.machine.idle - from.machine.idle) / (to.machine.total - from.machine.total) : NaN;
  return {
    loopCpuPerTurnMs: (to.main - from.main) / turns,
    processCpuPerTurnMs: (to.process - from.process) / turns,
    modelCpuPerTurnMs: modelMs / turns,
    runtimeCpuPerTurnMs: runtimeMs / turns,
    coresUsed: (runtimeMs + modelMs) / (to.at - from.at),
    machineBusyCores: os.cpus().length * (1 - idleShare),
  };
}
