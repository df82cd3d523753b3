import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';
import { agentSuite } from './agents.test';
import { commandSuite } from './commands.test';
import { panelSuite } from './panel.test';
import { reloadSuite } from './reload.test';
import { reviewSuite } from './review.test';
import { secretSuite } from './secrets.test';
import { treeSuite } from './tree.test';

// The tests entry VS Code loads into the extension host (--extensionTestsPath). It runs mocha there, against the
// real `vscode` API, and writes the results to $HANGAR_TEST_RESULTS for test/e2e/run-extension-tests.mjs. The suites
// are bundled into this file, so each registers its tests when called (after mocha set up describe/it).

interface TestResult {
  fullTitle: string;
  state: 'passed' | 'failed' | 'pending';
  duration?: number;
  error?: string;
}

export async function run(): Promise<void> {
  const out = process.env.HANGAR_TEST_RESULTS;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'dot', ...(process.env.HANGAR_TEST_GREP ? { grep: process.env.HANGAR_TEST_GREP } : {}) });
  mocha.suite.emit('pre-require', globalThis, 'extension-tests', mocha);
  for (const register of [commandSuite, secretSuite, agentSuite, treeSuite, panelSuite, reviewSuite, reloadSuite]) register();
  const tests: TestResult[] = [];
  const stats = await new Promise<{ passes: number; failures: number; pending: number }>((resolve) => {
    const runner = mocha.run(() => resolve({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 0, pending: runner.stats?.pending ?? 0 }));
    runner.on('pass', (t) => tests.push({ fullTitle: t.fullTitle(), state: 'passed', duration: t.duration }));
    runner.on('pending', (t) => tests.push({ fullTitle: t.fullTitle(), state: 'pending' }));
    runner.on('fail', (t, err: Error) => tests.push({ fullTitle: t.fullTitle(), state: 'failed', error: err?.stack ?? String(err) }));
  });
  const results = { ...stats, tests };
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  else console.log(JSON.stringify(results, null, 2));
}
