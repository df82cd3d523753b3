import { appendFileSync } from 'node:fs';
import Mocha from 'mocha';

// Runs mocha suites inside a process that was not started by mocha (the VS Code extension host, the UI test driver)
// and collects per-test results for the driver to print. The suites are bundled into one file, so each registers
// its tests when called, after mocha has set up describe/it.

export interface TestResult {
  fullTitle: string;
  state: 'passed' | 'failed' | 'pending';
  duration?: number;
  error?: string;
}

export interface TestResults {
  passes: number;
  failures: number;
  pending: number;
  tests: TestResult[];
}

/** One line of the progress file: a test that began, or a result. */
export type ProgressLine = { started: string } | TestResult;

/**
 * `reporter`: 'dot' where output goes to a log nobody reads (the extension host), 'base' (silent) where the driver prints.
 * `progress`: a file that gets one JSON line per test started and per result as they happen, so a driver that gives up
 * waiting can still say what passed and which test never finished.
 */
export async function runSuites(register: readonly (() => void)[], opts: { timeout: number; grep?: string; file: string; reporter?: 'dot' | 'base'; progress?: string }): Promise<TestResults> {
  const mocha = new Mocha({ ui: 'bdd', timeout: opts.timeout, color: false, reporter: opts.reporter ?? 'dot', ...(opts.grep ? { grep: opts.grep } : {}) });
  mocha.suite.emit('pre-require', globalThis, opts.file, mocha);
  for (const r of register) r();
  const tests: TestResult[] = [];
  const note = (line: ProgressLine) => {
    if (opts.progress) appendFileSync(opts.progress, `${JSON.stringify(line)}\n`);
  };
  const record = (r: TestResult) => {
    tests.push(r);
    note(r);
  };
  const stats = await new Promise<{ passes: number; failures: number; pending: number }>((resolve) => {
    const runner = mocha.run(() => resolve({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 0, pending: runner.stats?.pending ?? 0 }));
    runner.on('test', (t) => note({ started: t.fullTitle() }));
    runner.on('pass', (t) => record({ fullTitle: t.fullTitle(), state: 'passed', duration: t.duration }));
    runner.on('pending', (t) => record({ fullTitle: t.fullTitle(), state: 'pending' }));
    runner.on('fail', (t, err: Error) => record({ fullTitle: t.fullTitle(), state: 'failed', error: err?.stack ?? String(err) }));
  });
  return { ...stats, tests };
}
