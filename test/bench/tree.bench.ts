// The VS Code Sessions tree's refresh (SessionsModel.list: the rows of up to 200 sessions) over 10 and 1,000 stored
// sessions whose logs are long (LOG_EVENTS events each), against the same run's baseline: sessions.list of the same
// page, what any refresh must at least do. Also the refresh as it was before the rows came from the stored summaries
// alone: every listed session followed event by event, which reads its whole log.
// The model runs outside VS Code: `vscode` resolves to a stand-in with the two classes it uses (EventEmitter,
// Disposable). Run: npx tsx test/bench/tree.bench.ts
import fs from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Runtime } from '../../src/runtime';
import type { RuntimeHost } from '../../src/extension/runtime-host';
import { measure, printTable, summarize, writeResults, type Row } from './lib';
import { offlineRuntime, storedLog, templateRecord } from './stored-sessions';

const VSCODE_STUB = `
export class EventEmitter {
  listeners = new Set();
  event = (l) => (this.listeners.add(l), { dispose: () => this.listeners.delete(l) });
  fire(x) { for (const l of [...this.listeners]) l(x); }
  dispose() { this.listeners.clear(); }
}
export class Disposable {
  constructor(f) { this.f = f; }
  dispose() { this.f?.(); }
}`;
const HOOKS = `
export async function resolve(spec, ctx, next) {
  if (spec === 'vscode') return { url: 'data:text/javascript,' + encodeURIComponent(${JSON.stringify(VSCODE_STUB)}), shortCircuit: true };
  return next(spec, ctx);
}`;
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
const { SessionsModel } = await import('../../src/extension/sessions-model');

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-tree-bench-'));
const LOG_EVENTS = 1000;


/** What SessionsModel uses of the extension's RuntimeHost. */
function hostOf(runtime: Runtime, storage: string): RuntimeHost {
  const host: Pick<RuntimeHost, 'runtime' | 'storageRoot' | 'sessionDir' | 'onDidStart'> = {
    runtime,
    storageRoot: storage,
    sessionDir: (id) => path.join(storage, 'sessions', id),
    onDidStart: () => ({ dispose: () => undefined }),
  };
  return host as RuntimeHost;
}

async function store(count: number): Promise<string> {
  const storage = path.join(tmpRoot, `store-${count}`);
  const repo = fs.mkdtempSync(path.join(tmpRoot, 'repo-'));
  const record = await templateRecord(storage, repo);
  const sessions = path.join(storage, 'sessions');
  const log = storedLog(LOG_EVENTS, 't');
  for (let i = 0; i < count; i++) {
    const id = `sesn_tree${String(i).padStart(6, '0')}`;
    const created = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    fs.mkdirSync(path.join(sessions, id));
    fs.writeFileSync(path.join(sessions, id, 'session.json'), JSON.stringify({ ...record, id, created_at: created, updated_at: created }));
    fs.writeFileSync(path.join(sessions, id, 'events.jsonl'), log);
  }
  // Sessions driven by Hangar have their summaries stored on idle; the first listing of every page stores them here.
  const warm = offlineRuntime(storage);
  for (let page: string | undefined; ; ) {
    const res = await warm.sessions.list({ limit: 200, page });
    if (!res.next_page) break;
    page = res.next_page;
  }
  await warm.close();
  return storage;
}

/** Runs `fn` in a fresh runtime (the extension host's first refresh after a start) and closes it. */
async function fresh(storage: string, fn: (rt: Runtime) => Promise<unknown>): Promise<number> {
  const rt = offlineRuntime(storage);
  try {
    const [ms] = await measure(() => fn(rt), { iterations: 1 });
    return ms!;
  } finally {
    await rt.close();
  }
}

async function treeBench(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of [10, 1000]) {
    const storage = await store(count);
    const page: number[] = [];
    const first: number[] = [];
    const later: number[] = [];
    const before: number[] = [];
    // The cases alternate, so a busy machine weighs on each alike.
    for (let r = 0; r < 5; r++) {
      page.push(await fresh(storage, (rt) => rt.sessions.list({ limit: 200, order: 'desc' })));
      first.push(
        await fresh(storage, async (rt) => {
          const model = new SessionsModel(hostOf(rt, storage));
          await model.list();
          model.dispose();
        }),
      );
      const rt = offlineRuntime(storage);
      const model = new SessionsModel(hostOf(rt, storage));
      await model.list();
      later.push(...(await measure(() => model.list(), { iterations: 3 })));
      model.dispose();
      await rt.close();
      // Before: each listed session followed from its end, which opens a reader of its whole log.
      before.push(
        await fresh(storage, async (rt) => {
          const listed = await rt.sessions.list({ limit: 200, order: 'desc' });
          const offs = await Promise.all(listed.data.map(async (s) => rt.sessions.subscribe(s.id, await rt.sessions.eventCount(s.id), () => undefined)));
          offs.forEach((off) => off());
        }),
      );
    }
    const base = summarize(page).p50;
    const shown = Math.min(count, 200);
    const row = (label: string, samples: number[]): Row => {
      const s = summarize(samples);
      return { case: `${count} sessions (${shown} shown): ${label}`, n: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, '× baseline': s.p50 / base };
    };
    rows.push(row('baseline, sessions.list of the page', page));
    rows.push(row('tree refresh, first of a process', first));
    rows.push(row('tree refresh, later', later));
    rows.push(row('page + every listed log followed (the refresh before)', before));
    fs.rmSync(storage, { recursive: true, force: true });
  }
  return rows;
}

try {
  const tree = await treeBench();
  printTable(`Sessions tree refresh, ${LOG_EVENTS} events per session (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, tree);
  console.log(`\nresults: ${await writeResults('tree', { tree })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
