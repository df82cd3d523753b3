import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_API_ACTOR, MemoryStores } from '../../../src/runtime/memory-stores';

// Memory writes killed mid-way (SIGKILL at a random moment) and two processes writing one memory at once: every
// acknowledged write is a version, no version is recorded twice, and the memory is whole and holds the newest version.

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'memory-writer.ts');

interface Writer {
  acked: Array<{ version: string; content: string }>;
  done: Promise<void>;
  kill(): void;
}

function startWriter(storage: string, storeId: string, memoryId: string, tag: string, count: number): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, storage, storeId, memoryId, tag, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: Writer['acked'] = [];
  let buf = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const [version, content] = buf.slice(0, nl).split(' ');
      acked.push({ version: version!, content: content! });
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}: ${err}`)))),
  );
  return { acked, done, kill: () => child.kill('SIGKILL') };
}

const waitFor = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

describe('crash: memory stores', function () {
  this.timeout(120_000);
  let storage: string;
  beforeEach(async () => {
    storage = await mkdtemp(path.join(os.tmpdir(), 'hangar-memory-crash-'));
  });
  afterEach(async () => rm(storage, { recursive: true, force: true }));

  /** The memory is whole, its version is the newest, and the versions are exactly the acknowledged writes and maybe one more. */
  async function check(stores: MemoryStores, storeId: string, memoryId: string, acked: Writer['acked'], mayHaveOneMore: boolean) {
    const memory = await stores.retrieveMemory(storeId, memoryId);
    const versions = (await stores.listVersions(storeId, { memory_id: memoryId, view: 'full', limit: 1000 })).data;
    assert.equal(memory.memory_version_id, versions[0]!.id, 'the memory holds its newest version');
    assert.equal(memory.content, versions[0]!.content);
    const ids = versions.map((v) => v.id);
    assert.equal(new Set(ids).size, ids.length, 'no version recorded twice');
    for (const a of acked) assert.ok(ids.includes(a.version), `acknowledged version ${a.version} (${a.content}) is kept`);
    const writes = versions.filter((v) => v.operation === 'modified');
    assert.ok(writes.length === acked.length || (mayHaveOneMore && writes.length === acked.length + 1), `${writes.length} versions for ${acked.length} acknowledged writes`);
    for (const v of writes) assert.equal(v.content_size_bytes, Buffer.byteLength(v.content ?? '', 'utf8'), 'no torn version');
  }

  it('a writer killed at random moments loses no acknowledged version and leaves no torn memory', async () => {
    const stores = new MemoryStores(storage);
    const store = await stores.create({ name: 'crash' });
    const memory = await stores.createMemory(store.id, { path: '/m.md', content: 'start' }, LOCAL_API_ACTOR);
    let known: Writer['acked'] = [];
    for (let trial = 0; trial < 4; trial++) {
      const w = startWriter(storage, store.id, memory.id, `t${trial}`, 1000);
      await waitFor(() => w.acked.length >= 3 + trial, 'writes');
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      w.kill();
      await w.done;
      // A write cut after its journal was fsynced is applied by the next reader: acknowledged or not, it is whole.
      await check(stores, store.id, memory.id, [...known, ...w.acked], true);
      known = (await stores.listVersions(store.id, { memory_id: memory.id, operation: 'modified', limit: 1000 })).data.map((v) => ({ version: v.id, content: v.content ?? '' }));
    }
  });

  it('two processes writing one memory at once: every write is a version, none lost', async () => {
    const stores = new MemoryStores(storage);
    const store = await stores.create({ name: 'race' });
    const memory = await stores.createMemory(store.id, { path: '/shared.md', content: 'start' }, LOCAL_API_ACTOR);
    const writers = ['a', 'b'].map((tag) => startWriter(storage, store.id, memory.id, tag, 25));
    await Promise.all(writers.map((w) => w.done));
    const acked = writers.flatMap((w) => w.acked);
    assert.equal(acked.length, 50);
    await check(stores, store.id, memory.id, acked, false);
  });
});
