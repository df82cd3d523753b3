// Runs the extension-host integration tests (test/e2e/extension) inside a real VS Code: the VS Code server from the
// `code-server` npm package (installed by scripts/setup/vscode.sh into .cache/code-server) with this repository as
// the extension under development, opened in headless Debian chromium via playwright-core. The tests entry runs
// mocha in the extension host against the real `vscode` API and writes its results to a file this driver waits for.
// Exits non-zero when a test fails — and when VS Code, chromium or playwright-core is missing (a missing tool is a
// failure, never a skip).
// Usage: node test/e2e/run-extension-tests.mjs [--grep <pattern>] [--keep]
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const codeServer = path.resolve(process.env.HANGAR_CODE_SERVER_DIR ?? path.join(root, '.cache/code-server'), 'node_modules/code-server');
const serverMain = path.join(codeServer, 'lib/vscode/out/server-main.js');
const chromiumPath = process.env.HANGAR_CHROMIUM ?? '/usr/bin/chromium';
const args = process.argv.slice(2);
const grep = args.includes('--grep') ? args[args.indexOf('--grep') + 1] : '';
const keep = args.includes('--keep');
const TIMEOUT_MS = Number(process.env.HANGAR_E2E_TIMEOUT_MS ?? 600_000);
const log = (m) => console.log(`[extension-tests] ${m}`);

function fail(message) {
  console.error(`[extension-tests] FAILED: ${message}`);
  process.exit(1);
}

if (!existsSync(serverMain)) fail(`VS Code server not found at ${serverMain}; run scripts/setup/vscode.sh (or set HANGAR_CODE_SERVER_DIR)`);
if (!existsSync(chromiumPath)) fail(`chromium not found at ${chromiumPath}; run scripts/setup/vscode.sh (or set HANGAR_CHROMIUM)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  fail("playwright-core is not installed; run 'npm ci'");
}

const started = Date.now();
execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
for (const bundle of ['dist/extension.cjs', 'dist/webview.js']) if (!existsSync(path.join(root, bundle))) fail(`${bundle} was not built`);
const testsEntry = path.join(root, 'out/e2e/extension-tests.cjs');
await esbuild.build({
  entryPoints: [path.join(root, 'test/e2e/extension/index.ts')],
  outfile: testsEntry,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'cpu-features', '*.node'],
  // As for dist/extension.cjs (esbuild.mjs): ESM-only dependencies need import.meta.url in a CJS bundle.
  define: { 'import.meta.url': '__hangarModuleUrl' },
  banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' },
  logLevel: 'error',
});

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hangar-ext-tests-'));
const workspace = path.join(scratch, 'workspace');
const resultsFile = path.join(scratch, 'results.json');
makeWorkspace(workspace);
const port = await freePort();
let output = '';
const server = spawn(process.execPath, [
  serverMain,
  '--host', '127.0.0.1', '--port', String(port),
  '--without-connection-token', '--accept-server-license-terms', '--disable-telemetry',
  `--extensionDevelopmentPath=${root}`, `--extensionTestsPath=${testsEntry}`,
  '--user-data-dir', path.join(scratch, 'user-data'), '--server-data-dir', path.join(scratch, 'server-data'),
], {
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, HANGAR_TEST_RESULTS: resultsFile, HANGAR_TEST_GREP: grep, HANGAR_TEST_WORKSPACE: workspace },
});
const collect = (chunk) => (output = (output + chunk.toString()).slice(-20_000));
server.stdout.on('data', collect);
server.stderr.on('data', collect);
log(`VS Code server pid ${server.pid} on 127.0.0.1:${port}; workspace ${workspace}`);

let browser;
let code = 1;
try {
  await waitForHttp(`http://127.0.0.1:${port}/version`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // Browser-side problems (the workbench, webviews) land here; kept with the scratch dir when a test fails.
  const consoleLog = path.join(scratch, 'browser-console.log');
  page.on('console', (m) => m.type() !== 'debug' && appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(consoleLog, `[pageerror] ${e.message}\n`));
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(testsEntry)]]);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
  log('workbench opened; tests run in the extension host');
  const results = await waitForResults();
  code = printResults(results);
} catch (err) {
  console.error(`[extension-tests] ${err instanceof Error ? err.message : String(err)}\n--- VS Code server output (tail) ---\n${output}`);
  code = 1;
} finally {
  await browser?.close().catch(() => undefined);
  await stopServer();
  if (keep || code !== 0) log(`scratch kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);

function printResults(r) {
  for (const t of r.tests) {
    const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✘' : '-';
    console.log(`  ${mark} ${t.fullTitle}${t.duration ? ` (${t.duration} ms)` : ''}`);
    if (t.error) console.log(`      ${t.error.split('\n').join('\n      ')}`);
  }
  console.log(`\nmocha: ${r.passes} passed, ${r.failures} failed, ${r.pending} skipped`);
  if (r.tests.length === 0) return 1;
  return r.failures > 0 ? 1 : 0;
}

async function waitForResults() {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(resultsFile)) return JSON.parse(readFileSync(resultsFile, 'utf8'));
    if (server.exitCode !== null) throw new Error(`VS Code server exited (${server.exitCode}) before the tests reported`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no test results within ${TIMEOUT_MS / 1000} s`);
}

async function waitForHttp(url) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`VS Code server exited with ${server.exitCode}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`VS Code server did not answer ${url}`);
}

function stopServer() {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    server.once('exit', () => {
      clearTimeout(force);
      done();
    });
    // The server spawns extension hosts and watchers: end its whole process group.
    process.kill(-server.pid, 'SIGTERM');
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

/** A small git repository the tests start agents on. */
function makeWorkspace(dir) {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'README.md'), '# sample\n');
  writeFileSync(path.join(dir, 'src/math.js'), ['export function add(a, b) {', '  return a - b;', '}', '', 'export function mul(a, b) {', '  return a + b;', '}', '', 'export function neg(a) {', '  return a;', '}', ''].join('\n'));
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'init');
}
