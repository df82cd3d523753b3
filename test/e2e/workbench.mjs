// What the VS Code test drivers share (run-extension-tests.mjs, run-ui-tests.mjs): the real VS Code from the
// `code-server` npm package (installed by scripts/setup/vscode.sh into .cache/code-server), headless Debian chromium
// through playwright-core, the bundles, a sample workspace, starting and stopping the server, printing results.
// A missing VS Code, chromium or playwright-core is a failure, never a skip.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { watchWorkerSource } from '../../bundles.mjs';
import { engineAnswers, removeSandboxObjects, sandboxesUnder } from '../support/docker-leftovers.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const codeServerDir = path.resolve(process.env.HANGAR_CODE_SERVER_DIR ?? path.join(root, '.cache/code-server'), 'node_modules/code-server');
/** VS Code's own server (what test-electron would run): takes --extensionDevelopmentPath / --extensionTestsPath. */
export const serverMain = path.join(codeServerDir, 'lib/vscode/out/server-main.js');
/** code-server's entry: VS Code with user settings in --user-data-dir and extensions in --extensions-dir. */
export const codeServerEntry = path.join(codeServerDir, 'out/node/entry.js');
export const chromiumPath = process.env.HANGAR_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function logger(tag) {
  return {
    log: (m) => console.log(`[${tag}] ${m}`),
    fail(message) {
      console.error(`[${tag}] FAILED: ${message}`);
      process.exit(1);
    },
  };
}

/** Checks VS Code, chromium and playwright-core; exits non-zero naming what is missing. Returns playwright's chromium. */
export async function requireTools(tag) {
  const { fail } = logger(tag);
  for (const file of [serverMain, codeServerEntry]) if (!existsSync(file)) fail(`VS Code server not found at ${file}; run scripts/setup/vscode.sh (or set HANGAR_CODE_SERVER_DIR)`);
  if (!existsSync(chromiumPath)) fail(`chromium not found at ${chromiumPath}; run scripts/setup/vscode.sh (or set HANGAR_CHROMIUM)`);
  try {
    const { chromium } = await import('playwright-core');
    return chromium;
  } catch {
    return fail("playwright-core is not installed; run 'npm ci'");
  }
}

/** The extension, webview and tool server bundles, as `npm run build` makes them. */
export function buildBundles(tag) {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  for (const bundle of ['dist/extension.cjs', 'dist/webview.js']) if (!existsSync(path.join(root, bundle))) logger(tag).fail(`${bundle} was not built`);
}

/** Bundles a TypeScript test entry for Node (cjs for the extension host, esm for the driver itself). */
export async function bundleEntry(entry, outfile, format = 'cjs') {
  await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, outfile),
    bundle: true,
    format,
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'cpu-features', '*.node', 'playwright-core'],
    // A suite that reaches a local sandbox's watcher gets the worker built in, as dist/extension.cjs does.
    plugins: [watchWorkerSource],
    // As for dist/extension.cjs (esbuild.mjs): ESM-only dependencies need import.meta.url in a CJS bundle; an ESM
    // bundle needs require() for CommonJS dependencies.
    ...(format === 'cjs'
      ? { define: { 'import.meta.url': '__hangarModuleUrl' }, banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' } }
      : { banner: { js: "import { createRequire as __hangarRequire } from 'node:module'; const require = __hangarRequire(import.meta.url);" } }),
    logLevel: 'error',
  });
  return path.join(root, outfile);
}

/** A small git repository the tests start agents on: src/math.js has three wrong functions. */
export function makeWorkspace(dir) {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'README.md'), '# sample\n');
  writeFileSync(path.join(dir, 'src/math.js'), MATH_JS);
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'init');
}

export const MATH_JS = ['export function add(a, b) {', '  return a - b;', '}', '', 'export function mul(a, b) {', '  return a + b;', '}', '', 'export function neg(a) {', '  return a;', '}', ''].join('\n');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a VS Code server process in its own process group (it spawns extension hosts and watchers, which stop()
 * ends with it). `output()` is the tail of what it printed.
 */
export function startServer(args, env = {}) {
  let output = '';
  const proc = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const collect = (chunk) => (output = (output + chunk.toString()).slice(-20_000));
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  return {
    proc,
    output: () => output,
    exited: () => proc.exitCode !== null || proc.signalCode !== null,
    async waitForHttp(url, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`VS Code server exited with ${proc.exitCode}`);
        if (await fetch(url).then((r) => r.ok, () => false)) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`VS Code server did not answer ${url}`);
    },
    stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((done) => {
        const force = setTimeout(() => {
          try {
            process.kill(-proc.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5_000);
        proc.once('exit', () => {
          clearTimeout(force);
          done();
        });
        process.kill(-proc.pid, 'SIGTERM');
      });
    },
  };
}

export function launchBrowser(chromium) {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A workbench page whose browser-side console and errors land in <scratch>/browser-console.log (kept on failure).
 * `context` is a browser context (browser.newContext): the pages of one context share the browser's storage, where
 * VS Code in the browser keeps SecretStorage, as the tabs of a user's browser do.
 */
export async function openLoggedPage(context, scratch) {
  const page = await context.newPage();
  const consoleLog = path.join(scratch, 'browser-console.log');
  page.on('console', (m) => m.type() !== 'debug' && appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(consoleLog, `[pageerror] ${e.message}\n`));
  return page;
}

/**
 * Removes the Docker sandboxes (containers, volumes) that the VS Code instances of a test run left behind. The
 * extension keeps containers across window reloads on purpose; a finished test run has no window to come back.
 * Storage roots are the extension's storage folders under the scratch dir; the label is rootKey(storage root).
 */
export function removeSandboxes(scratch) {
  const roots = [];
  const walk = (dir, depth) => {
    if (depth > 8 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const full = path.join(dir, e.name);
      if (e.name === 'hangar-dev.hangar') roots.push(full);
      else walk(full, depth + 1);
    }
  };
  walk(scratch, 0);
  for (const root of roots) {
    // The Docker provider keeps its state in <storage>/docker and labels everything with the hash of that path.
    const key = createHash('sha256').update(path.resolve(root, 'docker')).digest('hex').slice(0, 8);
    const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
    // The extension's own cleanup may be removing some of them at this moment: Docker then answers "removal … is
    // already in progress" (or "No such …") for those, and they go anyway.
    const remove = (...args) => {
      try {
        docker(...args);
      } catch (err) {
        const lines = String(err.stderr ?? '').split('\n').filter(Boolean);
        if (lines.length === 0 || !lines.every((l) => /is already in progress|No such (container|volume)/.test(l))) throw err;
      }
    };
    const containers = docker('ps', '-aq', '--filter', `label=dev.hangar.root=${key}`);
    if (containers.length > 0) remove('rm', '-f', ...containers);
    const volumes = docker('volume', 'ls', '-q', '--filter', `label=dev.hangar.root=${key}`);
    if (volumes.length > 0) remove('volume', 'rm', '-f', ...volumes);
  }
}

/** The end of a driver run: close the browser, server and extras, remove the run's sandboxes, keep scratch on failure. */
export async function finishRun({ browser, server, scratch, keep, code, log, closeExtras = async () => undefined }) {
  await browser?.close().catch(() => undefined);
  await server.stop();
  await closeExtras();
  removeSandboxes(scratch);
  const result = sandboxesLeft(scratch, log) ? 1 : code;
  if (keep || result !== 0) log(`scratch kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
  return result;
}

/**
 * Puts the temp dirs of this driver's processes (VS Code, its extension host, what the tests start) under the scratch
 * dir, so that the sandboxes they make are known as this run's (sandboxesLeft).
 */
export function scratchTmp(scratch) {
  const dir = path.join(scratch, 'tmp');
  mkdirSync(dir);
  process.env.TMPDIR = dir;
}

/**
 * After removeSandboxes: a sandbox still under the scratch dir was made by a test on storage of its own (a detached
 * runtime's home) and not removed with its session. Says each, removes them, and returns whether there were any.
 */
export function sandboxesLeft(scratch, log) {
  if (!engineAnswers()) return false;
  const left = sandboxesUnder(scratch);
  if (left.length === 0) return false;
  removeSandboxObjects(left);
  log(`the tests left ${left.length} Hangar sandbox object(s) in the Docker engine (now removed):\n${left.map((l) => `  ${l.kind} ${l.what}`).join('\n')}`);
  return true;
}

/** Prints mocha results (see test/e2e/mocha-run.ts); returns the exit code (no tests at all is a failure). */
export function printResults(r) {
  for (const t of r.tests) {
    const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✘' : '-';
    console.log(`  ${mark} ${t.fullTitle}${t.duration ? ` (${t.duration} ms)` : ''}`);
    if (t.error) console.log(`      ${t.error.split('\n').join('\n      ')}`);
  }
  console.log(`\nmocha: ${r.passes} passed, ${r.failures} failed, ${r.pending} skipped`);
  if (r.tests.length === 0) return 1;
  return r.failures > 0 ? 1 : 0;
}
