// Smoke check of the real VS Code installed by vscode.sh: starts VS Code's server on a free
// port, opens the workbench in headless Debian chromium and requires it to render and list a
// file of the opened folder (which needs a working server connection). Exits non-zero on failure.
// Usage: node scripts/setup/check-vscode.mjs [<code-server package dir>]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(process.argv[2] ?? join(here, '../../.cache/code-server/node_modules/code-server'));
const serverMain = join(packageDir, 'lib/vscode/out/server-main.js');
const chromiumPath = '/usr/bin/chromium';
const screenshotPath = join(tmpdir(), 'hangar-vscode-check.png');
const startupTimeoutMs = 60_000;
const probeFile = 'hangar-probe.txt';

const log = (message) => console.log(`[setup] check-vscode: ${message}`);

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForHttp(url, server, output) {
  const deadline = Date.now() + startupTimeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`VS Code server exited with ${server.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`VS Code server did not answer ${url} within ${startupTimeoutMs / 1000} s:\n${output()}`);
}

function stopServer(server) {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => process.kill(-server.pid, 'SIGKILL'), 5_000);
    server.once('exit', () => {
      clearTimeout(force);
      done();
    });
    // The server spawns extension hosts and file watchers; end the whole process group.
    process.kill(-server.pid, 'SIGTERM');
  });
}

async function main() {
  if (!existsSync(serverMain)) throw new Error(`${serverMain} not found; run scripts/setup/vscode.sh`);
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found; run scripts/setup/vscode.sh`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error("playwright-core is not installed in the repository; run 'npm ci' first");
  }

  const scratch = mkdtempSync(join(tmpdir(), 'hangar-vscode-check-'));
  const folder = join(scratch, 'folder');
  mkdirSync(folder);
  writeFileSync(join(folder, probeFile), 'hello from hangar\n');
  const port = await freePort();
  let serverOutput = '';
  const server = spawn(process.execPath, [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--disable-telemetry',
    '--user-data-dir', join(scratch, 'user-data'),
    '--server-data-dir', join(scratch, 'server-data'),
  ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk) => {
    serverOutput = (serverOutput + chunk.toString()).slice(-8_000);
  };
  server.stdout.on('data', collect);
  server.stderr.on('data', collect);
  log(`server pid ${server.pid} on 127.0.0.1:${port}`);

  let browser;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/version`, server, () => serverOutput);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/?folder=${encodeURIComponent(folder)}`, { timeout: startupTimeoutMs });
    await page.waitForSelector('.monaco-workbench', { timeout: startupTimeoutMs });
    log('workbench rendered');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: probeFile })
      .first().waitFor({ timeout: startupTimeoutMs });
    log(`explorer lists ${probeFile} from the server`);
    await page.screenshot({ path: screenshotPath });
    log(`screenshot: ${screenshotPath}`);
  } catch (error) {
    console.error(`[setup] check-vscode: server output (tail):\n${serverOutput}`);
    throw error;
  } finally {
    await browser?.close();
    await stopServer(server);
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`[setup] check-vscode: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
