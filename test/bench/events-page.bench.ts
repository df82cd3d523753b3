// The first page of GET /v1/sessions/{id}/events for a 20,000-event session whose log this process does not hold:
// read from the end of the file the page is at (firstEventPage) against opening the whole log and paging it (how
// every first page was served before), with reading and parsing the whole file as the same-run baseline.
// Run: npx tsx test/bench/events-page.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENTS_FILE, SessionLog } from '../../src/log';
import { firstEventPage } from '../../src/runtime/event-page-file';
import { withProcessedAt } from '../../src/runtime/processed-at';
import type { SessionEvent } from '../../src/wire';
import { measure, printTable, summarize, writeResults, type Row } from './lib';
import { storedLog } from './stored-sessions';

const EVENTS = 20_000;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-events-page-bench-'));

const row = (label: string, samples: number[], baseline?: number): Row => {
  const s = summarize(samples);
  return { case: label, n: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, ...(baseline === undefined ? {} : { '× baseline': s.p50 / baseline }) };
};

async function wholeLogPage(dir: string, q: { order: 'asc' | 'desc'; limit: number }) {
  const log = await SessionLog.open<SessionEvent>(dir, { mode: 'reader' });
  try {
    const all = log.events();
    return log.list(q, (e, seq) => withProcessedAt(all, e, seq));
  } finally {
    await log.close();
  }
}

try {
  const dir = path.join(tmpRoot, 'session');
  fs.mkdirSync(dir);
  const file = path.join(dir, EVENTS_FILE);
  fs.writeFileSync(file, storedLog(EVENTS, 'p'));
  const opts = { iterations: 30, warmup: 3 };
  const raw = await measure(() => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown), opts);
  const base = summarize(raw).p50;
  const rows: Row[] = [row(`baseline: read + parse the whole log (${(fs.statSync(file).size / 1e6).toFixed(1)} MB)`, raw)];
  for (const q of [
    { order: 'desc', limit: 20 },
    { order: 'desc', limit: 100 },
    { order: 'asc', limit: 100 },
    { order: 'asc', limit: 1000 },
  ] as const) {
    rows.push(row(`order=${q.order} limit=${q.limit}: open the whole log, then page (before)`, await measure(() => wholeLogPage(dir, q), opts), base));
    rows.push(row(`order=${q.order} limit=${q.limit}: from the end of the file (firstEventPage)`, await measure(() => firstEventPage(file, q), opts), base));
  }
  printTable(`First events page of a ${EVENTS.toLocaleString('en-US')}-event session (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, rows);
  console.log(`\nresults: ${await writeResults('events-page', { rows })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
