// Session panel benchmark: the real webview bundle and stylesheets in headless chromium (the engine VS Code's webviews
// run in), timed inside the page from a host message to the finished layout: a 10,000-event init, 10,000 events
// arriving in batches of 20, opening a tool call, and a list of 200 changed files.
// Run: npx tsx test/bench/webview.bench.ts [--events 10000]   (needs chromium: scripts/setup/vscode.sh)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { fakeSession, PRICING } from '../unit/webview/fixtures';
import { longSession } from './long-session';
import { printTable, summarize, writeResults, type Row } from './lib';

const EVENTS = Number(process.argv[process.argv.indexOf('--events') + 1]) || 10_000;
const BATCH = 20;
const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = process.env.HANGAR_CHROMIUM ?? '/usr/bin/chromium';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-webview-bench-'));
try {
  await esbuild.build({ entryPoints: [path.join(root, 'webview/main.ts')], outfile: path.join(dir, 'webview.js'), bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, logLevel: 'error' });
  await esbuild.build({ entryPoints: [path.join(root, 'node_modules/@vscode/codicons/dist/codicon.css')], outfile: path.join(dir, 'codicon.css'), bundle: true, loader: { '.ttf': 'file' }, assetNames: '[name]', logLevel: 'error' });
  const css = (f: string) => pathToFileURL(f).href;
  writeFileSync(
    path.join(dir, 'panel.html'),
    `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${css(path.join(dir, 'codicon.css'))}"><link rel="stylesheet" href="${css(path.join(root, 'media/panel.css'))}"></head>
<body><div id="root"></div><script>window.acquireVsCodeApi = () => ({ postMessage() {}, getState() { return undefined; }, setState() {} });</script><script src="webview.js"></script></body></html>`,
  );
  const events = longSession(EVENTS);
  const session = fakeSession({ status: 'running' });
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    await page.goto(pathToFileURL(path.join(dir, 'panel.html')).href);
    // Each message is dispatched synchronously and the layout forced, so a sample is the panel's whole work for it.
    await page.evaluate(() => {
      const w = window as unknown as { deliver(m: unknown): number };
      w.deliver = (m) => {
        const start = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: m }));
        void document.body.offsetHeight;
        return performance.now() - start;
      };
    });
    const deliver = (m: unknown) => page.evaluate((msg) => (window as unknown as { deliver(m: unknown): number }).deliver(msg), m);

    const initMs = await deliver({ type: 'init', pricing: PRICING, session, events });
    const initNodes = await page.evaluate(() => document.getElementsByTagName('*').length);

    await deliver({ type: 'init', pricing: PRICING, session, events: events.slice(0, 2) });
    const batches: number[] = [];
    for (let i = 2; i < events.length; i += BATCH) batches.push(await deliver({ type: 'events', events: events.slice(i, i + BATCH) }));
    const streamedNodes = await page.evaluate(() => document.getElementsByTagName('*').length);

    const opens: number[] = [];
    for (let i = 0; i < 20; i++) {
      opens.push(
        await page.evaluate((n) => {
          const lines = document.querySelectorAll<HTMLButtonElement>('.tool-line');
          const line = lines[lines.length - 1 - n]!;
          const start = performance.now();
          line.click();
          void document.body.offsetHeight;
          return performance.now() - start;
        }, i),
      );
    }

    const files = Array.from({ length: 200 }, (_, i) => ({ path: `src/file${i + 1}.ts`, status: i % 7 === 0 ? 'added' : 'modified', additions: i % 13, deletions: i % 5 }));
    const changes: number[] = [];
    for (let i = 0; i < 5; i++) changes.push(await deliver({ type: 'changes', files: i % 2 ? files : files.slice(1) }));

    const row = (what: string, samples: number[], note: string): Row => {
      const s = summarize(samples);
      return { what, n: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, 'max ms': Math.max(...samples), note };
    };
    const rows = [
      row(`init with ${events.length.toLocaleString('en-US')} events`, [initMs], `${initNodes} DOM nodes after`),
      row(`${events.length.toLocaleString('en-US')} events in batches of ${BATCH}`, batches, `${streamedNodes} DOM nodes at the end`),
      row('open a tool call', opens, 'input + output built on open'),
      row('200 changed files', changes, 'changes list replaced'),
    ];
    printTable(`Session panel in headless chromium (${events.length} events)`, rows);
    console.log(`\nresults: ${await writeResults('webview', { rows })}`);
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
