// Runs the extension-host integration tests (test/e2e/extension) inside a real VS Code: VS Code's server from the
// `code-server` npm package with this repository as the extension under development, opened in headless chromium.
// The tests entry runs mocha in the extension host against the real `vscode` API and writes its results to a file
// this driver waits for. Exits non-zero when a test fails — and when VS Code, chromium or playwright-core is missing.
// Usage: node test/e2e/run-extension-tests.mjs [--grep <pattern>] [--keep]
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finishRun, openLoggedPage, buildBundles, bundleEntry, freePort, launchBrowser, logger, makeWorkspace, printResults, requireTools, root, serverMain, startServer } from './workbench.mjs';

const TAG = 'extension-tests';
const { log } = logger(TAG);
const args = process.argv.slice(2);
const grep = args.includes('--grep') ? args[args.indexOf('--grep') + 1] : '';
const keep = args.includes('--keep');
const TIMEOUT_MS = Number(process.env.HANGAR_E2E_TIMEOUT_MS ?? 600_000);

const chromium = await requireTools(TAG);
const started = Date.now();
buildBundles(TAG);
const testsEntry = await bundleEntry('test/e2e/extension/index.ts', 'out/e2e/extension-tests.cjs');

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hangar-ext-tests-'));
const workspace = path.join(scratch, 'workspace');
const resultsFile = path.join(scratch, 'results.json');
makeWorkspace(workspace);
const port = await freePort();
const server = startServer(
  [
    serverMain,
    '--host', '127.0.0.1', '--port', String(port),
    '--without-connection-token', '--accept-server-license-terms', '--disable-telemetry',
    `--extensionDevelopmentPath=${root}`, `--extensionTestsPath=${testsEntry}`,
    '--user-data-dir', path.join(scratch, 'user-data'), '--server-data-dir', path.join(scratch, 'server-data'),
  ],
  { HANGAR_TEST_RESULTS: resultsFile, HANGAR_TEST_GREP: grep, HANGAR_TEST_WORKSPACE: workspace },
);
log(`VS Code server pid ${server.proc.pid} on 127.0.0.1:${port}; workspace ${workspace}`);

let browser;
let code = 1;
try {
  await server.waitForHttp(`http://127.0.0.1:${port}/version`);
  browser = await launchBrowser(chromium);
  const page = await openLoggedPage(browser, scratch, { width: 1400, height: 900 });
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(testsEntry)]]);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
  log('workbench opened; tests run in the extension host');
  code = printResults(await waitForResults());
} catch (err) {
  console.error(`[${TAG}] ${err instanceof Error ? err.message : String(err)}\n--- VS Code server output (tail) ---\n${server.output()}`);
  code = 1;
} finally {
  await finishRun({ browser, server, scratch, keep, code, log });
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);

async function waitForResults() {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(resultsFile)) return JSON.parse(readFileSync(resultsFile, 'utf8'));
    if (server.exited()) throw new Error(`VS Code server exited (${server.proc.exitCode}) before the tests reported`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no test results within ${TIMEOUT_MS / 1000} s`);
}
