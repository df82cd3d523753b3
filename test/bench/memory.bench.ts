// Memory stores (issue #11 §2): what one durable memory write costs beside the floor of one atomic, fsynced file
// replace of the same bytes, in stores of 10 and 1,000 memories (each write reads the store's memories under its
// lock to check paths, so the second row shows what that costs), and a session's sync after a tool call that changed
// one file of a mounted store of 100 memories against the same sync when nothing changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../src/log/fsutil';
import { LOCAL_API_ACTOR, MemoryStores } from '../../src/runtime/memory-stores';
import { SessionMemory } from '../../src/runtime/session-memory';
import type { SessionRecord } from '../../src/runtime/session-record';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const RUNS = Number(process.env.HANGAR_BENCH_RUNS ?? 40);
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-memory-'));
const body = (i: number) => `note ${i}\n${'x'.repeat(2000)}`;

async function filled(stores: MemoryStores, name: string, n: number): Promise<{ storeId: string; memoryId: string }> {
  const store = await stores.create({ name });
  let memoryId = '';
  for (let i = 0; i < n; i++) memoryId = (await stores.createMemory(store.id, { path: `/topic${i % 20}/note${i}.md`, content: body(i) }, LOCAL_API_ACTOR)).id;
  return { storeId: store.id, memoryId };
}

async function main(): Promise<void> {
  const stores = new MemoryStores(path.join(tmpRoot, 'storage'));
  const rows: Row[] = [];
  const file = path.join(tmpRoot, 'floor.txt');
  const floor = summarize(await measure((i) => writeFileAtomic(file, body(i)), { iterations: RUNS, warmup: 3 }));
  rows.push({ step: 'writeFileAtomic of 2 KB (the floor: one fsynced replace)', p50_ms: floor.p50, p95_ms: floor.p95, ratio: '1.00' });
  for (const n of [10, 1000]) {
    const { storeId, memoryId } = await filled(stores, `store-${n}`, n);
    const s = summarize(await measure((i) => stores.updateMemory(storeId, memoryId, { content: body(n + i) }, LOCAL_API_ACTOR), { iterations: RUNS, warmup: 3 }));
    rows.push({ step: `memory update, 2 KB, store of ${n} memories`, p50_ms: s.p50, p95_ms: s.p95, ratio: (s.p50 / floor.p50).toFixed(2) });
  }

  // A session's sync after a tool call, on the session folder of a store of 100 memories.
  const sessionsDir = path.join(tmpRoot, 'sessions');
  const { storeId } = await filled(stores, 'mounted', 100);
  const memory = new SessionMemory(stores, sessionsDir, new LocalSandboxProvider({ storageRoot: path.join(tmpRoot, 'sandboxes') }));
  const record = { id: 'sesn_bench', resources: await memory.plan([{ type: 'memory_store', memory_store_id: storeId }]) } as unknown as SessionRecord;
  await memory.place(record);
  const folder = path.join(sessionsDir, record.id, 'memory', storeId);
  const idle = summarize(await measure(() => memory.afterTool(record), { iterations: RUNS, warmup: 3 }));
  rows.push({ step: 'sync after a tool call that changed nothing (100 memories)', p50_ms: idle.p50, p95_ms: idle.p95, ratio: '1.00' });
  const changed = summarize(
    await measure(async (i) => {
      fs.writeFileSync(path.join(folder, 'topic0', 'note0.md'), body(10_000 + i));
      await memory.afterTool(record);
    }, { iterations: RUNS, warmup: 3 }),
  );
  rows.push({ step: 'sync after a tool call that changed one memory (100 memories)', p50_ms: changed.p50, p95_ms: changed.p95, ratio: (changed.p50 / idle.p50).toFixed(2) });

  printTable(`Memory stores (${os.cpus().length} CPU, ${RUNS} runs; ratio: p50 against the first row of its group)`, rows);
  console.log(`\nresults: ${await writeResults('memory', { rows })}`);
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

void main();
