// Concurrency benchmark: 1, 5 and 20 sessions running at once in one runtime (one event loop, as in `hangar serve`
// and the extension host), each a 10-tool script, on the local sandbox and on Docker, with a zero-latency model and
// one answering in ~1 s. Reported per case: steady tool-turn latency (one model request start to the next: the
// model's answer, the harness's appends, the tool run; the first turn, which waits for the sandbox, excluded),
// the turn's parts (model answer, tool run, harness until the next request), event-loop delay and utilization while
// the sessions run (busy ms per model request: the work that serialises), the main thread's and the whole process's
// CPU time per model request (busy time also counts the loop waiting for a core, which on a shared machine is most
// of it), the tool part by tool, and the time from the user message to the first tool result (sandbox provisioning
// included); each also as a ratio against the lone session of the same run. Host processes run in launcher
// processes (src/tools/spawn-off-loop.ts), whose CPU the process figure leaves out. The steady CPU figures start
// when every session has its first tool result (provisioning is behind, in the time to it): the runtime's CPU per
// model request counts the launchers and their commands and leaves out the scripted model's thread, whose own CPU is
// beside it (on these 2 cores the stand-in competes with the runtime; the real API's work is done elsewhere). Runs
// of the different counts take turns (1, 20, 1, 1, ...), so a neighbour's burst of load does not land on one count
// only. Beside each loop delay: the same loop's delay while idle, measured just before the sessions start (what the
// machine's load alone costs a timer: on a shared 2-core machine at load 15-20 that is tens of ms), and the share of
// the wall time the loop's thread actually ran (its CPU time over wall): delay far above that share's work is the
// loop waiting for a core. Beside the turn's ratio, its CPU floor: with zero think time, N sessions on C cores cannot
// turn faster than N × (steady runtime + model CPU per turn) / C (a lone turn at least), so the floor's ratio is the
// best this runtime's CPU per turn allows the machine, and the distance from it is what waiting (not work) costs. On
// Docker the containers' processes are not the runtime's descendants: their CPU, and so the floor, is left out.
// The floor counts every core as ours; beside it, over the same steady window, the cores the runtime and the model
// actually used and the machine's busy cores (/proc/stat): a turn above the floor while the machine is busy and the
// runtime used less than the cores is the machine's other work taking them, not waiting; idle cores meanwhile mean
// waiting. On a shared Linux machine with autogroup (/proc/sys/kernel/sched_autogroup_enabled) the scheduler shares the
// cores between sessions (setsid), not processes: the bench's process tree, however many sessions and threads it
// runs, gets one session's share (0.25-0.65 cores of 2 measured at load 12-20). To compare with the floor there, run
// it in a session of its own with a higher share (as root: setsid sh -c 'echo -15 > /proc/self/autogroup && exec npx
// tsx test/bench/concurrency.bench.ts ...').
// The scripted model runs in a worker thread: its work is the API's, not the harness's, and must not load the loop
// being measured. Docker runs as `hangar serve` does, with its warm pool (default 1, serve's --warm-pool default; 0 for
// none) and the pool's growth after a burst (default 20, serve's --warm-pool-max), refilled before each case as it is
// between a serve's bursts. Each Docker case has a runtime of its own: its first burst takes what the pool holds and
// starts the rest; then (counts above 1) the same count again, a second burst, once the refill after the first is done
// (the provider says when), which claims the containers the pool grew to (the bench counts them: a container the pool
// made keeps the pool's session label under the session's name). Both bursts' time to the first tool result, against
// the lone session's, is the last table. Their steady turns differ too: a first burst's sessions get their containers
// in waves (start-gate.ts) and so run fewer at a time, a second burst's all run at once.
// Run: npx tsx test/bench/concurrency.bench.ts [--sandbox local|docker|both] [--counts 1,5,20] [--model zero|realistic|both] [--warm-pool N] [--warm-pool-max N]
// [--profile DIR]: a CPU profile of the main loop for each measured case, over its steady phase only (from every session's
// first tool result to the last idle, the window of the steady CPU figures; provisioning is left out)
// (DIR/<sandbox>-<model delay>ms-<count>-run<n>.cpuprofile; open in Chrome DevTools or VS Code).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Runtime } from '../../src/runtime';
import { createAnthropicModel } from '../../src/model/anthropic';
import { DEFAULT_MODEL } from '../../src/model/types';
import { reply, startScriptedModel, type RecordedRequest, type Reply } from '../../src/model/scripted';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { DockerSandboxProvider } from '../../src/sandbox/docker';
import { containerName, LABEL_ROOT, LABEL_SESSION, POOL_SESSION, poolContainerName, rootKey } from '../../src/sandbox/docker/names';
import type { SandboxProvider } from '../../src/sandbox/types';
import { MemoryVault } from '../../src/vault/memory';
import type { SessionEvent } from '../../src/wire';
import { makeRepo } from '../support/runtime';
import { printTable, summarize, writeResults, type Row, type Summary } from './lib';

const TOOLS = 10;
const REALISTIC_DELAY_MS = 1000;
const IDLE_PROBE_MS = 1000;

/** The 10 tool calls every session makes, then a closing text: a mix of shell, reads, writes and searches. */
const CALLS: [string, Record<string, unknown>][] = [
  ['bash', { command: 'ls' }],
  ['read', { file_path: 'README.md' }],
  ['write', { file_path: 'notes.txt', content: 'first\n' }],
  ['bash', { command: 'cat notes.txt' }],
  ['edit', { file_path: 'notes.txt', old_string: 'first', new_string: 'second' }],
  ['glob', { pattern: '**/*.js' }],
  ['grep', { pattern: 'console' }],
  ['read', { file_path: 'src/app.js' }],
  ['bash', { command: 'echo done > out.txt' }],
  ['read', { file_path: 'notes.txt' }],
];

function step(i: number): Reply {
  const call = CALLS[i];
  return call ? reply.tool(call[0], call[1]) : reply.text('all done');
}

/** Stateless per session: the reply follows from how many assistant turns the request already holds. */
function responder(request: RecordedRequest): Reply {
  return step(request.body.messages.filter((m) => m.role === 'assistant').length);
}

if (!isMainThread) {
  const { delayMs } = workerData as { delayMs: number };
  const model = await startScriptedModel({ script: responder, defaultDelayMs: delayMs });
  parentPort!.postMessage(model.url);
  parentPort!.on('message', (message: 'cpu' | 'close') => {
    if (message === 'cpu') parentPort!.postMessage(threadCpuMs('thread-self'));
    else void model.close().then(() => process.exit(0));
  });
}

interface ModelWorker {
  url: string;
  /** CPU time of the model's thread so far: the stand-in's work, which the process's CPU time includes. */
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

async function startModelWorker(delayMs: number): Promise<ModelWorker> {
  // tsx's loader does not reach a worker on Node 20; the worker loads this file through tsx's API instead.
  const loader = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(loader, { eval: true, workerData: { delayMs } });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url,
    cpuMs: () =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('cpu');
      }),
    close: () =>
      new Promise((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      }),
  };
}

interface SessionTimes {
  /** performance.now() of each span.model_request_start, in order. */
  requests: number[];
  toolUses: number[];
  toolResults: number[];
  firstToolResult: number | null;
  idle: Promise<void>;
}

interface CaseResult {
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
   * started in that time: the main thread's CPU, the scripted model's thread's (the stand-in's work, not the
   * runtime's), and the runtime's (the process without the model's thread, plus its descendants: launchers, shells,
   * their commands).
   */
  steady: { loopCpuPerTurnMs: number; modelCpuPerTurnMs: number; runtimeCpuPerTurnMs: number; coresUsed: number; machineBusyCores: number };
  utilization: number;
  /** CPU time of the main thread over the whole case. */
  cpuMs: number;
  wallMs: number;
}

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
function threadCpuMs(thread: string): number {
  // utime and stime are the 14th and 15th fields of the line.
  const fields = statFields(`/proc/${thread}/stat`);
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : NaN;
}

const mainThreadCpuMs = (): number => threadCpuMs(`self/task/${process.pid}`);

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

interface CpuReading {
  at: number;
  machine: { idle: number; total: number } | null;
  main: number;
  process: number;
  descendants: number;
  model: Promise<number>;
}

/** At the start the descendants are read first and at the end last, so the measured window leaves out their walk. */
function readCpu(model: ModelWorker, at: 'start' | 'end'): CpuReading {
  const descendants = at === 'start' ? descendantsCpuMs() : NaN;
  const { user, system } = process.cpuUsage();
  const main = mainThreadCpuMs();
  return { at: performance.now(), machine: machineTicks(), main, process: (user + system) / 1000, descendants: at === 'start' ? descendants : descendantsCpuMs(), model: model.cpuMs() };
}

/** Per-turn CPU of the steady phase: between two readings, over the model requests started in between. */
async function steadyCpu(from: CpuReading, to: CpuReading, turns: number): Promise<CaseResult['steady']> {
  const modelMs = (await to.model) - (await from.model);
  const runtimeMs = to.process - from.process - modelMs + to.descendants - from.descendants;
  const idleShare = from.machine && to.machine ? (to.machine.idle - from.machine.idle) / (to.machine.total - from.machine.total) : NaN;
  return {
    loopCpuPerTurnMs: (to.main - from.main) / turns,
    modelCpuPerTurnMs: modelMs / turns,
    runtimeCpuPerTurnMs: runtimeMs / turns,
    coresUsed: (runtimeMs + modelMs) / (to.at - from.at),
    machineBusyCores: os.cpus().length * (1 - idleShare),
  };
}

/** `count` sessions created together, then all sent their message at once; resolves when every one is idle again. */
async function runCase(rt: Runtime, model: ModelWorker, env: string, agent: string, repo: string, count: number, profileFile?: string): Promise<CaseResult> {
  const sessions = await Promise.all(Array.from({ length: count }, () => rt.sessions.create({ agent, environment_id: env, resources: [{ type: 'local_repository', path: repo }] })));
  // Started when the steady phase starts (below).
  const profiler = profileFile ? new InspectorSession() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  const times: SessionTimes[] = [];
  const unsubscribe: (() => void)[] = [];
  let sentAt = 0;
  // The steady phase starts when the last session gets its first tool result.
  let provisioned = 0;
  let requestsBeforeSteady = 0;
  let steadyFrom: CpuReading | null = null;
  const requestCount = () => times.reduce((sum, t) => sum + t.requests.length, 0);
  for (const s of sessions) {
    let done: () => void = () => undefined;
    const t: SessionTimes = { requests: [], toolUses: [], toolResults: [], firstToolResult: null, idle: new Promise((r) => (done = r)) };
    times.push(t);
    // Subscribed from the end of the log as it is now: only this run's events.
    const from = (await rt.sessions.listEvents(s.id, { limit: 100_000 })).data.length;
    unsubscribe.push(
      await rt.sessions.subscribe(s.id, from, (e: SessionEvent) => {
        const now = performance.now();
        if (e.type === 'span.model_request_start') t.requests.push(now);
        else if (e.type === 'agent.tool_use') t.toolUses.push(now);
        else if (e.type === 'agent.tool_result') {
          t.toolResults.push(now);
          if (t.firstToolResult === null && ++provisioned === count) {
            void profiler?.post('Profiler.start');
            steadyFrom = readCpu(model, 'start');
            requestsBeforeSteady = requestCount();
          }
          t.firstToolResult ??= now - sentAt;
        }
        else if (e.type === 'session.status_idle') done();
      }),
    );
  }
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
  await Promise.all(sessions.map((s) => rt.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }])));
  await Promise.all(times.map((t) => t.idle));
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
  for (const u of unsubscribe) u();
  for (const t of times) if (t.requests.length !== TOOLS + 1) throw new Error(`a session made ${t.requests.length} model requests, expected ${TOOLS + 1}`);
  return {
    sessionIds: sessions.map((s) => s.id),
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

interface Measured {
  sandbox: string;
  /** Docker: the warm pool's size and what a burst may grow it to; null for the local sandbox, which has none. */
  warmPool: number | null;
  warmPoolMax: number | null;
  /** 'first': on a runtime whose pool holds its size; 'second' (Docker): the same count again once the pool refilled after a first burst. */
  burst: 'first' | 'second';
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

interface PoolSizing {
  size: number;
  max: number;
}

interface BenchRuntime {
  rt: Runtime;
  docker: DockerSandboxProvider | null;
  close(): Promise<void>;
}

/** A runtime on the bench's storage; on Docker with the provider `hangar serve` makes (its warm pool, grown by bursts). */
async function openRuntime(sandbox: 'local' | 'docker', storage: string, modelUrl: string, pool: PoolSizing): Promise<BenchRuntime> {
  const docker = sandbox === 'docker' ? new (await import('../../src/sandbox/docker')).DockerSandboxProvider({ storageRoot: storage, warmPool: pool.size, warmPoolMax: pool.max }) : null;
  const provider: SandboxProvider = docker ?? new LocalSandboxProvider({ storageRoot: storage });
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox: provider, model: createAnthropicModel({ apiKey: async () => 'k', baseURL: modelUrl }), owner: 'bench' });
  return {
    rt,
    docker,
    close: async () => {
      await rt.close();
      if (docker) await docker.reap(new Set());
    },
  };
}

/** This provider's warm containers that no session claimed yet (made under the pool's session label and name). */
async function warmReady(docker: DockerSandboxProvider): Promise<number> {
  const engine = await docker.docker();
  const pooled = await engine.listContainers({ filters: { label: [`${LABEL_ROOT}=${rootKey(docker.root)}`, `${LABEL_SESSION}=${POOL_SESSION}`] } });
  return pooled.filter((c) => c.Names.some((n) => n.startsWith(`/${poolContainerName(docker.root, '')}`))).length;
}

/** How many of the sessions run in a container the pool made (its session label is the pool's, its name the session's). */
async function claimedWarm(docker: DockerSandboxProvider, sessionIds: string[]): Promise<number> {
  const engine = await docker.docker();
  const names = new Set(sessionIds.map((id) => `/${containerName(docker.root, id)}`));
  const pooled = await engine.listContainers({ all: true, filters: { label: [`${LABEL_ROOT}=${rootKey(docker.root)}`, `${LABEL_SESSION}=${POOL_SESSION}`] } });
  return pooled.filter((c) => c.Names.some((n) => names.has(n))).length;
}

function summarizeRuns(done: CaseResult[]): Omit<Measured, 'sandbox' | 'warmPool' | 'warmPoolMax' | 'burst' | 'warmReady' | 'claimedWarm' | 'model' | 'sessions'> {
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
 * Every count, the lone session first, enough runs for ~50 turns. The local sandbox runs them all in one runtime. On
 * Docker each run has a runtime of its own (a pool grown by one count's burst would serve the next count's), warmed up
 * by one session as a serve that has run one before; a count above 1 then runs again as soon as its refill is done
 * (the provider says so), which is what a user's second burst of that size meets.
 */
async function measureSandbox(sandbox: 'local' | 'docker', modelName: string, delayMs: number, counts: number[], pool: PoolSizing, profileDir?: string): Promise<Measured[]> {
  const modelWorker = await startModelWorker(delayMs);
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-conc-'));
  const repo = makeRepo();
  let bench = await openRuntime(sandbox, storage, modelWorker.url, pool);
  const out: Measured[] = [];
  try {
    const env = (await bench.rt.environments.ensureDefault()).id;
    const agent = (await bench.rt.agents.create({ name: 'bench', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
    // Warm-up: one session end to end, so module loading, the snapshot and the tool server build are not measured.
    await runCase(bench.rt, modelWorker, env, agent, repo, 1);
    const runs = new Map(counts.map((count) => [count, Math.max(1, Math.ceil(5 / count))]));
    const results = new Map(counts.map((count): [number, CaseResult[]] => [count, []]));
    const seconds = new Map(counts.map((count): [number, { results: CaseResult[]; ready: number[]; claimed: number }] => [count, { results: [], ready: [], claimed: 0 }]));
    const profileFile = (count: number, r: number, burst: string) => profileDir && path.join(profileDir, `${sandbox}-${delayMs}ms-${count}-${burst}-run${r + 1}.cpuprofile`);
    let fresh = true;
    // The counts take turns, round after round.
    for (let round = 0; round < Math.max(...runs.values()); round++) {
      for (const count of counts) {
        if (round >= runs.get(count)!) continue;
        if (bench.docker && !fresh) {
          await bench.close();
          bench = await openRuntime(sandbox, storage, modelWorker.url, pool);
          await runCase(bench.rt, modelWorker, env, agent, repo, 1);
        }
        fresh = false;
        // The pool refills after a session took or skipped it: every first burst starts with it full.
        await bench.docker?.poolSettled();
        results.get(count)!.push(await runCase(bench.rt, modelWorker, env, agent, repo, count, profileFile(count, round, 'first')));
        if (!bench.docker || count === 1) continue;
        await bench.docker.poolSettled();
        const second = seconds.get(count)!;
        second.ready.push(await warmReady(bench.docker));
        const ran = await runCase(bench.rt, modelWorker, env, agent, repo, count, profileFile(count, round, 'second'));
        second.results.push(ran);
        second.claimed += await claimedWarm(bench.docker, ran.sessionIds);
      }
    }
    const common = { sandbox, warmPool: bench.docker ? pool.size : null, warmPoolMax: bench.docker ? pool.max : null, model: modelName };
    for (const count of counts) {
      out.push({ ...common, burst: 'first', warmReady: null, claimedWarm: null, sessions: count, ...summarizeRuns(results.get(count)!) });
      const second = seconds.get(count)!;
      if (second.results.length > 0) out.push({ ...common, burst: 'second', warmReady: Math.min(...second.ready), claimedWarm: second.claimed, sessions: count, ...summarizeRuns(second.results) });
      for (const m of out.slice(-2)) if (m.sessions === count) console.log(`  ${sandbox} ${modelName} ${count} session(s), ${m.burst} burst: turn p50 ${m.turn.p50.toFixed(1)} ms, first tool result p50 ${m.firstToolResult.p50.toFixed(0)} ms`);
    }
  } finally {
    await bench.close();
    await modelWorker.close();
    rmSync(storage, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
  return out;
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
function burstRows(measured: Measured[]): Row[] {
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

function rows(measured: Measured[], cores: number): Row[] {
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

async function main(): Promise<void> {
  const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const which = arg('--sandbox') ?? 'both';
  const counts = (arg('--counts') ?? '1,5,20').split(',').map(Number);
  if (!counts.every((c) => Number.isInteger(c) && c > 0) || counts[0] !== 1) throw new Error('--counts: positive integers, starting with 1 (the baseline)');
  const sandboxes: ('local' | 'docker')[] | null = which === 'both' ? ['local', 'docker'] : which === 'local' || which === 'docker' ? [which] : null;
  if (!sandboxes) throw new Error(`--sandbox: local, docker or both, not ${which}`);
  const models = (
    [
      ['zero-latency', 0],
      ['~1 s model', REALISTIC_DELAY_MS],
    ] as const
  ).filter(([, delay]) => (arg('--model') ?? 'both') === 'both' || (arg('--model') === 'zero') === (delay === 0));
  const warmPool = Number(arg('--warm-pool') ?? 1);
  if (!Number.isInteger(warmPool) || warmPool < 0) throw new Error(`--warm-pool: a whole number of ready Docker containers (0 for none), not ${arg('--warm-pool')}`);
  const warmPoolMax = Number(arg('--warm-pool-max') ?? 20);
  if (!Number.isInteger(warmPoolMax) || warmPoolMax < 0) throw new Error(`--warm-pool-max: a whole number of Docker containers (at most --warm-pool: never grow), not ${arg('--warm-pool-max')}`);
  const measured: Measured[] = [];
  for (const sandbox of sandboxes) {
    for (const [modelName, delayMs] of models) {
      measured.push(...(await measureSandbox(sandbox, modelName, delayMs, counts, { size: warmPool, max: warmPoolMax }, arg('--profile'))));
    }
  }
  const table = rows(measured, os.cpus().length);
  printTable(
    `Concurrent sessions, ${TOOLS}-tool script each; ratios (×1) against one lone session in the same run; CPU floor: sessions × steady (runtime + model) CPU per turn / ${os.cpus().length} cores, the turn these cores allow (other processes on the machine not counted)`,
    table,
  );
  printTable(
    'Tool part of a steady turn (tool_use to tool_result) by tool, p50 ms',
    measured.map((m) => ({ sandbox: m.sandbox, model: m.model, sessions: m.sessions, burst: m.burst, ...Object.fromEntries(Object.entries(m.byTool).map(([name, sum]) => [name, sum.p50])) })),
  );
  const bursts = burstRows(measured);
  if (bursts.length > 0) {
    printTable('Docker: a burst of sessions on a runtime whose pool holds its size (first), and the same burst again once the pool refilled after it (second); time from the user message to the first tool result, ratios (×1) against the lone session', bursts);
  }
  const file = await writeResults('concurrency', { tools: TOOLS, realistic_delay_ms: REALISTIC_DELAY_MS, cpus: os.cpus().length, cases: measured, table, bursts, targets: { turn_p50_ratio_at_20: 2, loop_delay_p99_ms: 50 } });
  console.log(`wrote ${file}`);
}

if (isMainThread) await main();
