// Extension-host benchmark (issue #17, "the UI stays responsive"): 1 and 20 sessions at once in a REAL VS Code, on the
// local sandbox, with the Sessions view visible and the first session's panel open, so the tree, the status bar, the
// panel's host side and the in-process runtime all react to the sessions' events on the one extension-host loop.
// Measured inside the extension host (extension-host/entry.ts, loaded as VS Code's --extensionTestsPath entry): the
// loop's delay p50/p99/max from the start command to the last idle, and its p99/max in the steady phase alone (from
// when every session has its first tool result: sandboxes provisioned), the loop's delay p99 over 1 s just before
// (the machine's share), the loop thread's time on a CPU and waiting for one (Linux), and the steady tool turns; each
// case also as a ratio against the lone session of the same run.
// The scripted model runs in this process (not the host's), zero-latency and answering in ~1 s. VS Code is the server
// of the `code-server` npm package in headless chromium, as test/e2e/run-extension-tests.mjs runs it.
// With --runtime detached (or both), the same cases run with the window connected to a `hangar serve` on this machine
// (hangar.runtime.url): the sessions' harness, sandboxes and log writer in that process, the host running the UI alone.
// Run: npx tsx test/bench/extension-host.bench.ts [--runs 2] [--model zero|realistic|both] [--runtime in-process|detached|both]
//   [--profile DIR] [--keep]
// (--profile: a CPU profile of the host's loop per case, DIR/host-<delay>ms-<sessions>-run<n>.cpuprofile, and the loop's
// stalls over 20 ms beside it, .stalls.json; `npx tsx test/bench/extension-host/stalls.ts DIR` names what ran in them)
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startScriptedModel } from '../../src/model/scripted';
import { buildBundles, bundleEntry, finishRun, freePort, launchBrowser, logger, makeWorkspace, openLoggedPage, requireTools, root, serverMain, startServer } from '../e2e/workbench.mjs';
import { printTable, summarize, writeResults, type Row } from './lib';
import { serveHangar, snapshotCli, stopServe } from '../support/hangar-serve';
import { responder, type BenchRuntime, type CasePlan, type CaseSample, type HostBenchPlan, type HostBenchResult } from './extension-host/plan';

const TAG = 'extension-host-bench';
const REALISTIC_DELAY_MS = 1000;
const COUNTS = [1, 20];
/** Per case, generously: 20 sessions of 11 model requests at ~1 s each, on a loaded 2-core machine. */
const CASE_TIMEOUT_MS = 180_000;

const { log, fail } = logger(TAG);
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(option('--runs') ?? 2);
const modelChoice = option('--model') ?? 'both';
const runtimeChoice = option('--runtime') ?? 'in-process';
const profileDir = option('--profile') ? path.resolve(option('--profile')!) : undefined;
const keep = args.includes('--keep');
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive integer, not ${option('--runs')}`);
if (!['zero', 'realistic', 'both'].includes(modelChoice)) fail(`--model must be zero, realistic or both, not ${modelChoice}`);
if (!['in-process', 'detached', 'both'].includes(runtimeChoice)) fail(`--runtime must be in-process, detached or both, not ${runtimeChoice}`);
const runtimes: BenchRuntime[] = runtimeChoice === 'both' ? ['in-process', 'detached'] : [runtimeChoice as BenchRuntime];
const delays = modelChoice === 'zero' ? [0] : modelChoice === 'realistic' ? [REALISTIC_DELAY_MS] : [0, REALISTIC_DELAY_MS];
if (profileDir) mkdirSync(profileDir, { recursive: true });

/** Per runtime, a warm-up lone session (not reported), then each run's counts, in turns (reversed every other run). */
function planCases(): CasePlan[] {
  const cases: CasePlan[] = [];
  for (const runtime of runtimes) {
    cases.push({ runtime, sessions: 1, delayMs: 0, label: 'warmup' });
    for (const delayMs of delays)
      for (let r = 1; r <= runs; r++) for (const sessions of r % 2 ? COUNTS : [...COUNTS].reverse()) cases.push({ runtime, sessions, delayMs, label: `run${r}` });
  }
  return cases;
}

const chromium = await requireTools(TAG);
buildBundles(TAG);
const entry = await bundleEntry('test/bench/extension-host/entry.ts', 'out/bench/extension-host-bench.cjs');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'hangar-ext-host-bench-'));
const workspace = path.join(scratch, 'workspace');
const resultsFile = path.join(scratch, 'results.json');
makeWorkspace(workspace);
const model = await startScriptedModel({ script: responder });
const cases = planCases();
// The detached runtime: `hangar serve` on a home of the bench's, with the same scripted model and the local sandbox.
const served = runtimes.includes('detached') ? await serveHangar(snapshotCli(root, path.join(scratch, 'cli-snapshot')), path.join(scratch, 'serve-home'), model.url) : undefined;
const plan: HostBenchPlan = { modelUrl: model.url, cases, ...(profileDir ? { profileDir } : {}), ...(served ? { detached: { url: served.url, token: served.token } } : {}) };

const port = await freePort();
const server = startServer(
  [
    serverMain,
    '--host', '127.0.0.1', '--port', String(port),
    '--without-connection-token', '--accept-server-license-terms', '--disable-telemetry',
    `--extensionDevelopmentPath=${root}`, `--extensionTestsPath=${entry}`,
    '--user-data-dir', path.join(scratch, 'user-data'), '--server-data-dir', path.join(scratch, 'server-data'),
  ],
  { HANGAR_BENCH_RESULTS: resultsFile, HANGAR_BENCH_PLAN: JSON.stringify(plan) },
);
let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let code = 1;
try {
  await server.waitForHttp(`http://127.0.0.1:${port}/version`);
  browser = await launchBrowser(chromium);
  const page = await openLoggedPage(await browser.newContext({ viewport: { width: 1400, height: 900 } }), scratch);
  const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(entry)]]);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
  log(`workbench opened; ${cases.length} cases run in the extension host`);
  const result = await waitForResults(cases.length * CASE_TIMEOUT_MS);
  if (!result.ok) throw new Error(`the extension host's run failed:\n${result.error}`);
  await report(result.samples.filter((s) => s.label !== 'warmup'));
  code = 0;
} catch (err) {
  console.error(`[${TAG}] ${err instanceof Error ? err.message : String(err)}\n--- VS Code server output (tail) ---\n${server.output()}`);
} finally {
  await stopServe(served);
  await finishRun({ browser, server, scratch, keep, code, log });
  await model.close();
}
process.exit(code);

async function waitForResults(timeoutMs: number): Promise<HostBenchResult> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(resultsFile)) return JSON.parse(readFileSync(resultsFile, 'utf8')) as HostBenchResult;
    if (server.exited()) throw new Error(`the VS Code server exited (${server.proc.exitCode}) before the bench reported`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no results within ${timeoutMs / 1000} s`);
}

/** One row per case, with its ratios against the lone session of the same run and model; then the write-out. */
async function report(samples: CaseSample[]): Promise<void> {
  const rows: Row[] = samples.map((s) => {
    const lone = samples.find((l) => l.sessions === 1 && l.runtime === s.runtime && l.label === s.label && l.delayMs === s.delayMs);
    const turn = summarize(s.turns);
    const loneTurn = lone ? summarize(lone.turns) : undefined;
    return {
      runtime: s.runtime,
      model: s.delayMs === 0 ? 'zero' : `${s.delayMs} ms`,
      sessions: s.sessions,
      run: s.label,
      load: s.load,
      'idle delay p99 ms': s.idleDelayP99,
      'delay p50 ms': s.delay.p50,
      'delay p99 ms': s.delay.p99,
      'delay max ms': s.delay.max,
      'delay p99 x lone': lone ? s.delay.p99 / lone.delay.p99 : NaN,
      'steady delay p99 ms': s.steadyDelay.p99,
      'steady delay max ms': s.steadyDelay.max,
      'turn p50 ms': turn.p50,
      'turn p95 ms': turn.p95,
      'turn p50 x lone': loneTurn ? turn.p50 / loneTurn.p50 : NaN,
      'loop busy %': s.utilization * 100,
      'loop thread CPU s': s.loopThread ? s.loopThread.cpuMs / 1000 : NaN,
      'loop thread waiting for a CPU s': s.loopThread ? s.loopThread.waitMs / 1000 : NaN,
      'wall s': s.wallMs / 1000,
    };
  });
  printTable('Extension host: event-loop delay and steady tool turns, local sandbox (ratios against the lone session of the same run and runtime)', rows);
  log(`results: ${await writeResults('extension-host', { samples, rows })}`);
}
