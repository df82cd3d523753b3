// Storage around the log: scrubbing one tool outcome against the vault (1 and 100 secrets), and sessions.list over
// 10, 1,000 and 10,000 sessions, also right after a session was created or deleted by the listing runtime or by
// another. Baselines from the same run: scrubbing with the secrets already loaded (no vault I/O), and reading the
// session directory plus a page's session.json files (what listing a page must at least do).
// Run: npx tsx test/bench/storage.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeRecord } from '../../src/log/record';
import { DEFAULT_MODEL } from '../../src/model/types';
import type { Runtime } from '../../src/runtime';
import { FileVault } from '../../src/vault/file-vault';
import { OverlayVault } from '../../src/vault/overlay';
import { Scrubber } from '../../src/vault/scrubber';
import { MODEL_API_KEY, type Vault } from '../../src/vault/types';
import type { ToolOutcome } from '../../src/wire/tool-outcome';
import { measure, printTable, summarize, writeResults, type Row } from './lib';
import { offlineRuntime, storedLog, templateRecord } from './stored-sessions';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-storage-bench-'));
const ITERATIONS = 200;

const row = (label: string, samples: number[], baseline?: number): Row => {
  const s = summarize(samples);
  return { case: label, n: s.n, 'p50 ms': s.p50, 'p95 ms': s.p95, ...(baseline === undefined ? {} : { '× baseline': s.p50 / baseline }) };
};

/** The same vault without a version: every refresh reads every value (the scrubber before versions). */
const unversioned = (v: Vault): Vault => ({ get: (k) => v.get(k), set: (k, x) => v.set(k, x), delete: (k) => v.delete(k), keys: () => v.keys() });

async function scrubBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const outcome: ToolOutcome = { is_error: false, content: [{ type: 'text', text: 'total 48\n'.repeat(400) + 'TOKEN=secret-value-0000000007\n' }] };
  for (const secrets of [1, 100]) {
    const file = new FileVault(path.join(tmpRoot, `vault-${secrets}`, 'vault.json'));
    for (let i = 0; i < secrets; i++) await file.set(`vlt_1/vcrd_${i}`, JSON.stringify({ type: 'static_bearer', token: `secret-value-${String(i).padStart(10, '0')}` }));
    const vault = new OverlayVault(file, { [MODEL_API_KEY]: 'sk-ant-env-key-000000000' });
    const loaded = new Scrubber(vault);
    await loaded.refresh();
    const baseline = await measure(() => loaded.outcome(outcome), { iterations: ITERATIONS, warmup: 20 });
    const base = summarize(baseline).p50;
    const reread = new Scrubber(unversioned(vault));
    const before = await measure(async () => (await reread.refresh(), reread.outcome(outcome)), { iterations: ITERATIONS, warmup: 5 });
    const current = new Scrubber(vault);
    const after = await measure(async () => (await current.refresh(), current.outcome(outcome)), { iterations: ITERATIONS, warmup: 5 });
    rows.push(row(`${secrets} secret(s): baseline, secrets loaded (no vault I/O)`, baseline));
    rows.push(row(`${secrets} secret(s): re-read the vault every outcome`, before, base));
    rows.push(row(`${secrets} secret(s): refresh() + outcome()`, after, base));
  }
  return rows;
}

const EVENTS_PER_SESSION = 40;
const CHANGES = 5;

/**
 * Listings of a serving runtime right after a session was created or deleted, by itself or by another runtime on the
 * same storage (as `hangar run` beside `hangar serve`: its own index and catalogue, so to the lister it is another
 * process). Each sample starts from a settled directory whose check the lister has read, as a change usually comes.
 */
async function listAfterChanges(storage: string, repo: string, settle: () => void) {
  const lister = offlineRuntime(storage);
  const other = offlineRuntime(storage);
  const samples = { ownCreate: [] as number[], otherCreate: [] as number[], ownDelete: [] as number[], otherDelete: [] as number[] };
  try {
    const agent = (await lister.agents.create({ name: 'bench-changes', model: DEFAULT_MODEL })).id;
    const env = (await lister.environments.ensureDefault()).id;
    const create = async (rt: Runtime) => (await rt.sessions.create({ agent, environment_id: env, resources: [{ type: 'local_repository', path: repo }] })).id;
    const listAfter = async (change: () => Promise<unknown>, into: number[]) => {
      settle();
      await lister.sessions.list({ limit: 20 });
      await change();
      into.push(...(await measure(() => lister.sessions.list({ limit: 20 }), { iterations: 1 })));
    };
    const mine: string[] = [];
    const theirs: string[] = [];
    for (let r = 0; r < CHANGES; r++) {
      await listAfter(async () => mine.push(await create(lister)), samples.ownCreate);
      await listAfter(async () => theirs.push(await create(other)), samples.otherCreate);
    }
    for (const id of mine) await listAfter(() => lister.deleteSession(id), samples.ownDelete);
    for (const id of theirs) await listAfter(() => other.deleteSession(id), samples.otherDelete);
  } finally {
    await other.close();
    await lister.close();
  }
  return samples;
}


async function listBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const repo = fs.mkdtempSync(path.join(tmpRoot, 'repo-'));
  for (const count of [10, 1000, 10_000]) {
    const storage = path.join(tmpRoot, `store-${count}`);
    const record = await templateRecord(storage, repo);
    const sessions = path.join(storage, 'sessions');
    for (let i = 0; i < count; i++) {
      const id = `sesn_bench${String(i).padStart(6, '0')}`;
      const created = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
      fs.mkdirSync(path.join(sessions, id));
      fs.writeFileSync(path.join(sessions, id, 'session.json'), JSON.stringify({ ...record, id, created_at: created, updated_at: created }));
      fs.writeFileSync(path.join(sessions, id, 'events.jsonl'), storedLog(EVENTS_PER_SESSION, `b${i}x`, i * 60_000));
    }
    const readAll = await measure(() => fs.readdirSync(sessions).filter((n) => n.startsWith('sesn_')).map((n) => JSON.parse(fs.readFileSync(path.join(sessions, n, 'session.json'), 'utf8')) as unknown), { iterations: 5, warmup: 1 });
    // What any listing of a page must at least do: find the sessions and read the page's records.
    const pageFloor = await measure(() => fs.readdirSync(sessions).filter((n) => n.startsWith('sesn_')).slice(0, 20).map((n) => JSON.parse(fs.readFileSync(path.join(sessions, n, 'session.json'), 'utf8')) as unknown), { iterations: 20, warmup: 2 });
    const base = summarize(pageFloor).p50;
    // The storage was written by hand, as by a Hangar before the list index: the first listings build it (every record
    // read once) and the summaries of the pages they show. Then the index is deleted, as a user might, and rebuilt.
    const index = path.join(sessions, 'index.tsv');
    const build: number[] = [];
    for (let r = 0; r < 3; r++) {
      fs.rmSync(index, { force: true });
      const fresh = offlineRuntime(storage);
      build.push(...(await measure(() => fresh.sessions.list({ limit: 20 }), { iterations: 1 })));
      await fresh.close();
    }
    // Storage as users list it: written a while ago. A directory changed within the last second is not vouched for
    // (session-index.ts), so its first listings read the directories: measured here by touching it.
    const settle = () => fs.utimesSync(sessions, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    const unchecked: number[] = [];
    for (let r = 0; r < 3; r++) {
      fs.utimesSync(sessions, new Date(), new Date());
      const fresh = offlineRuntime(storage);
      unchecked.push(...(await measure(() => fresh.sessions.list({ limit: 20 }), { iterations: 1 })));
      await fresh.close();
    }
    // One listing of the settled directory writes the check that the next ones trust.
    settle();
    const checking = offlineRuntime(storage);
    await checking.sessions.list({ limit: 20 });
    await checking.close();
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < 5; r++) {
      const fresh = offlineRuntime(storage);
      cold.push(...(await measure(() => fresh.sessions.list({ limit: 20 }), { iterations: 1 })));
      warm.push(...(await measure(() => fresh.sessions.list({ limit: 20 }), { iterations: 4 })));
      await fresh.close();
    }
    // A session on the page got events since its summary was stored (another process appended, or a crash came between
    // the append and the summary): the listing folds only the new records.
    const stale: number[] = [];
    const last = path.join(sessions, `sesn_bench${String(count - 1).padStart(6, '0')}`, 'events.jsonl');
    for (let r = 0; r < 5; r++) {
      const fresh = offlineRuntime(storage);
      const seq = EVENTS_PER_SESSION + r;
      fs.appendFileSync(last, encodeRecord(seq, JSON.stringify({ id: `sevt_late${r}`, type: 'session.status_running', processed_at: new Date().toISOString() })));
      stale.push(...(await measure(() => fresh.sessions.list({ limit: 20 }), { iterations: 1 })));
      await fresh.close();
    }
    rows.push(row(`${count} sessions: read every session.json (the old listing's floor)`, readAll, base));
    rows.push(row(`${count} sessions: baseline, readdir + read 20 session.json`, pageFloor));
    rows.push(row(`${count} sessions: list, index deleted (rebuilt from the records)`, build, base));
    rows.push(row(`${count} sessions: list, first call, directory changed just now (directories read)`, unchecked, base));
    rows.push(row(`${count} sessions: list (limit 20), first call of a process`, cold, base));
    rows.push(row(`${count} sessions: list (limit 20), later calls`, warm, base));
    const after = await listAfterChanges(storage, repo, settle);
    rows.push(row(`${count} sessions: list, first call, a page session's log grew (summary repaired)`, stale, base));
    rows.push(row(`${count} sessions: list 20 right after a change: this runtime created a session`, after.ownCreate, base));
    rows.push(row(`${count} sessions: list 20 right after a change: another runtime created a session`, after.otherCreate, base));
    rows.push(row(`${count} sessions: list 20 right after a change: this runtime deleted a session`, after.ownDelete, base));
    rows.push(row(`${count} sessions: list 20 right after a change: another runtime deleted a session`, after.otherDelete, base));
  }
  return rows;
}

try {
  const scrub = await scrubBench();
  printTable(`Scrubbing one tool outcome (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, scrub);
  const list = await listBench();
  printTable(`sessions.list with ${EVENTS_PER_SESSION} events per session`, list);
  console.log(`\nresults: ${await writeResults('storage', { scrub, list })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
