// End-to-end UI tests (test/e2e/ui): a real VS Code (code-server from npm) in headless chromium, driven by Playwright
// like a user. The driver builds the bundles, installs this repository's extension into a fresh extensions dir,
// starts the scripted model server (src/model/scripted) and writes its URL into the user settings as
// hangar.model.baseUrl, opens a sample git workspace, then runs the suites against the page. Screenshots go to
// test-results/screenshots/. Exits non-zero when a test fails — and when VS Code, chromium or playwright-core is
// missing (a missing tool is a failure, never a skip).
// Usage: node test/e2e/run-ui-tests.mjs [--grep <pattern>] [--keep]
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { finishRun, openLoggedPage, buildBundles, bundleEntry, codeServerEntry, freePort, launchBrowser, logger, makeWorkspace, printResults, requireTools, root, scratchTmp, startServer } from './workbench.mjs';

const TAG = 'ui-tests';
const { log } = logger(TAG);
const args = process.argv.slice(2);
const grep = args.includes('--grep') ? args[args.indexOf('--grep') + 1] : undefined;
const keep = args.includes('--keep');
const screenshotDir = path.join(root, 'test-results/screenshots');

const chromium = await requireTools(TAG);
const started = Date.now();
buildBundles(TAG);
const entry = await bundleEntry('test/e2e/ui/index.ts', 'out/e2e/ui-tests.mjs', 'esm');
const suites = await import(pathToFileURL(entry).href);

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hangar-ui-tests-'));
scratchTmp(scratch);
const workspace = path.join(scratch, 'workspace');
const userData = path.join(scratch, 'user-data');
const extensions = path.join(scratch, 'extensions');
makeWorkspace(workspace);
// The extension as VS Code installs it: a `publisher.name-version` folder in the extensions dir, holding the
// package.json and the freshly built dist/ bundles (a link to this checkout).
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
mkdirSync(extensions, { recursive: true });
symlinkSync(root, path.join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`));

const model = await suites.startUiModel();
mkdirSync(path.join(userData, 'User'), { recursive: true });
writeFileSync(
  path.join(userData, 'User/settings.json'),
  JSON.stringify(
    {
      'hangar.model.baseUrl': model.url,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'git.openRepositoryInParentFolders': 'never',
    },
    null,
    2,
  ),
);
// Its own config file, so code-server does not write one into the user's home.
writeFileSync(path.join(scratch, 'config.yaml'), 'auth: none\n');
const port = await freePort();
const server = startServer([
  codeServerEntry,
  '--config', path.join(scratch, 'config.yaml'),
  '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
  '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
  '--extensions-dir', extensions, '--user-data-dir', userData,
  workspace,
]);
log(`VS Code (code-server) pid ${server.proc.pid} on 127.0.0.1:${port}; scripted model ${model.url}; workspace ${workspace}`);

let browser;
let code = 1;
try {
  await server.waitForHttp(`http://127.0.0.1:${port}/healthz`);
  browser = await launchBrowser(chromium);
  // One browser context for every page: a window opened again finds what the closed one kept in the browser.
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const openWorkbench = async () => {
    const opened = await openLoggedPage(context, scratch);
    await opened.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    return opened;
  };
  let page = await openWorkbench();
  log('workbench opened; the UI suites drive it');
  // Only this run's screenshots: other suites keep theirs in the same folder.
  for (const f of existsSync(screenshotDir) ? readdirSync(screenshotDir) : []) if (/^ui-.*\.png$/.test(f)) rmSync(path.join(screenshotDir, f));
  const results = await suites.run({ page, workspace, userData, model, screenshotDir, serverPid: server.proc.pid, reopen: openWorkbench }, grep);
  // A suite may have closed the window and opened another: the failure screenshot is of the one open now.
  page = suites.currentPage();
  code = printResults(results);
  if (code !== 0) await page.screenshot({ path: path.join(screenshotDir, 'ui-failure.png') }).catch(() => undefined);
  log(`screenshots in ${screenshotDir}`);
} catch (err) {
  console.error(`[${TAG}] ${err instanceof Error ? err.message : String(err)}\n--- VS Code server output (tail) ---\n${server.output()}`);
  code = 1;
} finally {
  code = await finishRun({ browser, server, scratch, keep, code, log, closeExtras: () => model.close() });
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
