// Runs the extension-host integration tests (test/e2e/extension) inside a real VS Code. The tests entry runs mocha
// in the extension host against the real `vscode` API and writes its results to a file this driver waits for. Two
// ways to get VS Code, over the same entry:
// - electron: `@vscode/test-electron` downloads desktop VS Code into .vscode-test/ and runs it (under xvfb-run when
//   there is no display). The standard way; chosen when VS Code is cached or its download server answers.
// - code-server: VS Code's server from the `code-server` npm package (scripts/setup/vscode.sh), opened in headless
//   chromium. For machines that can reach only the npm registry.
// HANGAR_VSCODE_RUNNER=electron|code-server forces one. Exits non-zero when a test fails, and when the chosen
// runner's tools are missing.
// Usage: node test/e2e/run-extension-tests.mjs [--grep <pattern>] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finishRun, openLoggedPage, buildBundles, bundleEntry, freePort, launchBrowser, logger, makeWorkspace, printResults, removeSandboxes, requireTools, root, sandboxesLeft, scratchTmp, serverMain, startServer } from './workbench.mjs';

const TAG = 'extension-tests';
const { log } = logger(TAG);
const args = process.argv.slice(2);
const grep = args.includes('--grep') ? args[args.indexOf('--grep') + 1] : '';
const keep = args.includes('--keep');
const TIMEOUT_MS = Number(process.env.HANGAR_E2E_TIMEOUT_MS ?? 600_000);

// The VS Code the code-server path runs (scripts/setup/vscode.sh), so both paths test the same version.
const VSCODE_VERSION = '1.100.3';
const VSCODE_CACHE = path.join(root, '.vscode-test');
const runner = await chooseRunner();
log(`runner: ${runner}`);
const chromium = runner === 'code-server' ? await requireTools(TAG) : undefined;
const started = Date.now();
buildBundles(TAG);
const testsEntry = await bundleEntry('test/e2e/extension/index.ts', 'out/e2e/extension-tests.cjs');

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hangar-ext-tests-'));
scratchTmp(scratch);
const workspace = path.join(scratch, 'workspace');
const resultsFile = path.join(scratch, 'results.json');
const testEnv = { HANGAR_TEST_RESULTS: resultsFile, HANGAR_TEST_GREP: grep, HANGAR_TEST_WORKSPACE: workspace };
makeWorkspace(workspace);
const code = runner === 'electron' ? await runElectron() : await runCodeServer();
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);

async function chooseRunner() {
  const forced = process.env.HANGAR_VSCODE_RUNNER;
  if (forced === 'electron' || forced === 'code-server') return forced;
  if (forced) logger(TAG).fail(`HANGAR_VSCODE_RUNNER must be 'electron' or 'code-server', not '${forced}'`);
  const cached = existsSync(VSCODE_CACHE) && readdirSync(VSCODE_CACHE).some((d) => d.startsWith('vscode-') && d.endsWith(VSCODE_VERSION));
  if (cached) return 'electron';
  try {
    const res = await fetch('https://update.code.visualstudio.com/api/releases/stable', { signal: AbortSignal.timeout(5_000) });
    return res.ok ? 'electron' : 'code-server';
  } catch {
    return 'code-server';
  }
}

async function runElectron() {
  const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  let exe;
  try {
    exe = await downloadAndUnzipVSCode({ version: VSCODE_VERSION, cachePath: VSCODE_CACHE });
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    return logger(TAG).fail(`cannot get VS Code ${VSCODE_VERSION} through @vscode/test-electron (${err instanceof Error ? err.message : String(err)}); without that download, run with HANGAR_VSCODE_RUNNER=code-server after scripts/setup/vscode.sh`);
  }
  const args = [
    workspace,
    `--extensionDevelopmentPath=${root}`, `--extensionTestsPath=${testsEntry}`,
    '--user-data-dir', path.join(scratch, 'user-data'), '--extensions-dir', path.join(scratch, 'extensions'),
    '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu', '--no-sandbox',
  ];
  const headless = process.platform === 'linux' && !process.env.DISPLAY;
  if (headless && spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) logger(TAG).fail('no display and no xvfb-run; install xvfb or set HANGAR_VSCODE_RUNNER=code-server');
  const [cmd, argv] = headless ? ['xvfb-run', ['-a', exe, ...args]] : [exe, args];
  log(`VS Code ${VSCODE_VERSION} (electron) from ${exe}; workspace ${workspace}`);
  const proc = spawn(cmd, argv, { stdio: 'inherit', env: { ...process.env, ...testEnv } });
  const exit = await new Promise((resolve) => proc.once('exit', (c, signal) => resolve(c ?? signal)));
  let result = 1;
  try {
    result = printResults(existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : partialResults(`VS Code exited (${exit}) without test results`));
  } catch (err) {
    console.error(`[${TAG}] ${err instanceof Error ? err.message : String(err)}`);
  }
  removeSandboxes(scratch);
  if (sandboxesLeft(scratch, log)) result = 1;
  if (keep || result !== 0) log(`scratch kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
  return result;
}

async function runCodeServer() {
  const port = await freePort();
  const server = startServer(
    [
      serverMain,
      '--host', '127.0.0.1', '--port', String(port),
      '--without-connection-token', '--accept-server-license-terms', '--disable-telemetry',
      `--extensionDevelopmentPath=${root}`, `--extensionTestsPath=${testsEntry}`,
      '--user-data-dir', path.join(scratch, 'user-data'), '--server-data-dir', path.join(scratch, 'server-data'),
    ],
    testEnv,
  );
  log(`VS Code server pid ${server.proc.pid} on 127.0.0.1:${port}; workspace ${workspace}`);
  let browser;
  let result = 1;
  try {
    await server.waitForHttp(`http://127.0.0.1:${port}/version`);
    browser = await launchBrowser(chromium);
    const page = await openLoggedPage(await browser.newContext({ viewport: { width: 1400, height: 900 } }), scratch);
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(testsEntry)]]);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    log('workbench opened; tests run in the extension host');
    result = printResults(await waitForResults(server));
  } catch (err) {
    console.error(`[${TAG}] ${err instanceof Error ? err.message : String(err)}\n--- VS Code server output (tail) ---\n${server.output()}`);
    result = 1;
  } finally {
    result = await finishRun({ browser, server, scratch, keep, code: result, log });
  }
  return result;
}

async function waitForResults(server) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(resultsFile)) return JSON.parse(readFileSync(resultsFile, 'utf8'));
    if (server.exited()) return partialResults(`the VS Code server exited (${server.proc.exitCode}) before the tests reported`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return partialResults(`no test results within ${TIMEOUT_MS / 1000} s`);
}

// The results so far, from the progress file the tests append to: what finished keeps its verdict, and the test that
// was running when the run ended early is the failure, so a hung or crashed run names its culprit.
function partialResults(cause) {
  const progress = `${resultsFile}.progress`;
  const lines = existsSync(progress) ? readFileSync(progress, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const tests = lines.filter((l) => !('started' in l));
  const finished = new Set(tests.map((t) => t.fullTitle));
  const running = lines.filter((l) => 'started' in l && !finished.has(l.started)).map((l) => l.started);
  const why = `did not finish: ${cause}`;
  for (const title of running.length > 0 ? running : ['(the run, before its first test)']) tests.push({ fullTitle: title, state: 'failed', error: why });
  const count = (state) => tests.filter((t) => t.state === state).length;
  return { passes: count('passed'), failures: count('failed'), pending: count('pending'), tests };
}
