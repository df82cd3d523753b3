// Session panel benchmark in jsdom (the DOM the webview unit tests use): the panel's own work without a browser's
// layout, each row against a baseline measured in the same run, so the ratio says how it scales:
//   - 10,000 events: the model fold alone and the whole init (validate, fold, render the newest items) against
//     JSON.parse of the same message (what receiving it costs at the least) and against a 100-event init;
//   - one event appended to a 10,000-event panel against one appended to a 1,000-event panel (both show a full
//     window of the newest 200 items; ~1× means the cost does not grow with the session);
//   - 200 changed files: the panel's changed-files list and the Sessions tree's data for them (the review of every
//     file: both sides read, hunks computed, decisions applied, naturally sorted, each hunk described) against 10.
// test/bench/webview.bench.ts measures the same panel with layout in headless chromium.
// Run: npx tsx test/bench/panel.bench.ts [--events 10000]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostMessage } from '../../src/protocol/panel';
import { naturalSort } from '../../src/format/natural';
import { describeHunk } from '../../src/review/hunks';
import { SessionReview, type ChangeSource } from '../../src/review/session-review';
import type { FileChange } from '../../src/sandbox/types';
import { SessionModel } from '../../webview/model/session-model';
import { mountPanel } from '../unit/webview/dom-env';
import { fakeSession, PRICING } from '../unit/webview/fixtures';
import { longSession } from './long-session';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const EVENTS = Number(process.argv[process.argv.indexOf('--events') + 1]) || 10_000;
const SMALL = 100;
/** Enough events to fill the stream's window of rendered items. */
const WINDOW_FULL = 1_000;
const APPENDS = 200;
const FILES = 200;
const FEW_FILES = 10;

const session = fakeSession({ status: 'running' });
const events = longSession(EVENTS);
const init = (evs: typeof events): HostMessage => ({ type: 'init', pricing: PRICING, session, events: evs });

function row(what: string, samples: number[], baseline?: { name: string; samples: number[] }): Row {
  const s = summarize(samples);
  const r: Row = { what, n: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95 };
  if (baseline) {
    r.baseline = baseline.name;
    r['baseline p50 ms'] = summarize(baseline.samples).p50;
    r['× baseline'] = s.p50 / summarize(baseline.samples).p50;
  }
  return r;
}

/** Init of a fresh panel with `evs`; the sample is receive() alone (mounting a page is not the panel's work). */
async function initSamples(evs: typeof events, iterations: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations + 1; i++) {
    const m = mountPanel();
    const msg = init(evs);
    const start = performance.now();
    m.app.receive(msg);
    if (i > 0) samples.push(performance.now() - start);
    m.close();
  }
  return samples;
}

/** One event at a time into a panel that already holds `base`; the appended events are the next ones of the run. */
function appendSamples(base: number): number[] {
  const m = mountPanel();
  m.app.receive(init(events.slice(0, base)));
  const samples: number[] = [];
  for (const e of events.slice(base, base + APPENDS)) {
    const start = performance.now();
    m.app.receive({ type: 'events', events: [e] });
    samples.push(performance.now() - start);
  }
  m.close();
  return samples;
}

// ---- 10,000 events ----
const wire = JSON.stringify(init(events));
const parse = await measure(() => JSON.parse(wire), { iterations: 10, warmup: 2 });
const fold = await measure(() => {
  const model = new SessionModel(session, PRICING);
  for (const e of events) model.apply(e);
}, { iterations: 10, warmup: 2 });
const initLarge = await initSamples(events, 10);
const initSmall = await initSamples(events.slice(0, SMALL), 20);
// Appends to the large panel start where its init stopped; both panels get the same kinds of events.
const appendLarge = appendSamples(EVENTS - APPENDS);
const appendSmall = appendSamples(WINDOW_FULL);

// ---- 200 changed files ----
const changed = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `src/file${i + 1}.ts`, status: i % 7 === 0 ? ('added' as const) : ('modified' as const), additions: 2 + (i % 13), deletions: i % 5 }));
function listSamples(n: number): number[] {
  const m = mountPanel();
  m.app.receive(init(events.slice(0, SMALL)));
  const samples: number[] = [];
  for (let i = 0; i < 21; i++) {
    // Alternating lists, so every update changes what is shown.
    const files = changed(n + (i % 2));
    const start = performance.now();
    m.app.receive({ type: 'changes', files });
    if (i > 0) samples.push(performance.now() - start);
  }
  m.close();
  return samples;
}

/** A sandbox's changes held in memory: 120-line files, each modified file with two edits far apart. */
function memorySource(n: number): ChangeSource {
  const base = (i: number) => Array.from({ length: 120 }, (_, l) => `export const v${i}_${l} = ${l};`).join('\n') + '\n';
  const current = (i: number) => base(i).replace(`v${i}_10 = 10;`, `v${i}_10 = 11;`).replace(`v${i}_90 = 90;`, `v${i}_90 = 91;\nexport const extra${i} = true;`);
  const files: FileChange[] = changed(n).map((f) => ({ path: f.path, status: f.status, binary: false, additions: f.additions, deletions: f.deletions }));
  const index = new Map(files.map((f, i) => [f.path, i]));
  return {
    changes: async () => ({ patch: '', files }),
    read: async (file, side) => {
      const i = index.get(file)!;
      if (side === 'baseline') return files[i]!.status === 'added' ? null : Buffer.from(base(i));
      return Buffer.from(current(i));
    },
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-panel-bench-'));
async function treeSamples(n: number): Promise<number[]> {
  const review = await SessionReview.open(path.join(dir, `s${n}`), memorySource(n));
  return measure(async () => {
    const files = naturalSort(await review.files(), (f) => f.path);
    for (const f of files) for (const h of f.hunks) describeHunk(h);
  }, { iterations: 20, warmup: 2 });
}
const list = listSamples(FILES);
const listFew = listSamples(FEW_FILES);
const tree = await treeSamples(FILES);
const treeFew = await treeSamples(FEW_FILES);
rmSync(dir, { recursive: true, force: true });

const k = EVENTS.toLocaleString('en-US');
const parseBase = { name: `JSON.parse of the ${k}-event init`, samples: parse };
const rows = [
  row(`JSON.parse of the ${k}-event init`, parse),
  row(`model fold of ${k} events`, fold, parseBase),
  row(`init with ${k} events (validate, fold, render)`, initLarge, parseBase),
  row(`init with ${k} events (validate, fold, render)`, initLarge, { name: `init with ${SMALL} events`, samples: initSmall }),
  row(`append 1 event to a ${k}-event panel`, appendLarge, { name: `append 1 event to a ${WINDOW_FULL.toLocaleString('en-US')}-event panel`, samples: appendSmall }),
  row(`changed-files list, ${FILES} files`, list, { name: `${FEW_FILES} files`, samples: listFew }),
  row(`tree data for ${FILES} changed files`, tree, { name: `${FEW_FILES} files`, samples: treeFew }),
];
printTable(`Session panel in jsdom (${k} events, ${FILES} changed files)`, rows);
console.log(`\nresults: ${await writeResults('panel', { rows })}`);
