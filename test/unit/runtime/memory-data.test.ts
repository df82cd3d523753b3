import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_API_ACTOR, MemoryStores, sha256Hex } from '../../../src/runtime/memory-stores';
import { listUnder } from '../../../src/runtime/memory-paths';
import type { Memory } from '../../../src/wire';

// The redo journal of a memory store: what a process killed after the journal was written but before its files were
// leaves, and how the next reader or writer completes it exactly once.

describe('memory store data: the redo journal', () => {
  let storage: string;
  let stores: MemoryStores;
  beforeEach(async () => {
    storage = await mkdtemp(path.join(os.tmpdir(), 'hangar-memory-data-'));
    stores = new MemoryStores(storage);
  });
  afterEach(async () => rm(storage, { recursive: true, force: true }));

  /**
   * Makes an update, then puts the store back as a kill right after the journal write leaves it (or, keepVersion,
   * after the version file was written too).
   */
  async function cutAfterJournal(storeId: string, memoryId: string, content: string, keepVersion = false) {
    const dir = stores.data(storeId).dir;
    const memoryFile = path.join(dir, 'memories', `${memoryId}.json`);
    const before = await fsp.readFile(memoryFile, 'utf8');
    const beforeVersions = new Set(await fsp.readdir(path.join(dir, 'versions')));
    const updated = await stores.updateMemory(storeId, memoryId, { content }, LOCAL_API_ACTOR);
    const newVersion = (await fsp.readdir(path.join(dir, 'versions'))).find((n) => !beforeVersions.has(n))!;
    const version = JSON.parse(await fsp.readFile(path.join(dir, 'versions', newVersion), 'utf8')) as unknown;
    await fsp.writeFile(path.join(dir, 'journal.json'), JSON.stringify({ versionFile: newVersion, version, replaceVersion: false, memory: { id: memoryId, value: updated } }));
    if (!keepVersion) await fsp.rm(path.join(dir, 'versions', newVersion));
    await fsp.writeFile(memoryFile, before);
    return updated;
  }

  it('a reader applies a journal left behind; the change appears once', async () => {
    const store = await stores.create({ name: 'j' });
    const m = await stores.createMemory(store.id, { path: '/a.md', content: 'one' }, LOCAL_API_ACTOR);
    const updated = await cutAfterJournal(store.id, m.id, 'two');
    const read = await new MemoryStores(storage).retrieveMemory(store.id, m.id);
    assert.equal(read.content, 'two');
    assert.equal(read.memory_version_id, updated.memory_version_id);
    await assert.rejects(fsp.stat(path.join(stores.data(store.id).dir, 'journal.json')), { code: 'ENOENT' });
    const versions = await stores.listVersions(store.id, { memory_id: m.id });
    assert.deepEqual(versions.data.map((v) => v.operation), ['modified', 'created']);
  });

  it('a writer applies a journal left behind before its own change', async () => {
    const store = await stores.create({ name: 'j' });
    const m = await stores.createMemory(store.id, { path: '/a.md', content: 'one' }, LOCAL_API_ACTOR);
    // Its version file was written too before the kill: applying again must not fail or duplicate it.
    await cutAfterJournal(store.id, m.id, 'two', true);
    const after = await new MemoryStores(storage).updateMemory(store.id, m.id, { content: 'three', precondition: { type: 'content_sha256', content_sha256: sha256Hex('two') } }, LOCAL_API_ACTOR);
    assert.equal(after.content, 'three');
    const versions = await stores.listVersions(store.id, { memory_id: m.id, view: 'full' });
    assert.deepEqual(versions.data.map((v) => v.content), ['three', 'two', 'one']);
  });
});

describe('memory store data: two writers on one storage', () => {
  let storage: string;
  beforeEach(async () => {
    storage = await mkdtemp(path.join(os.tmpdir(), 'hangar-memory-two-'));
  });
  afterEach(async () => rm(storage, { recursive: true, force: true }));

  it("a writer sees the other's changes (what it knew of the store is stale once the other wrote)", async () => {
    const a = new MemoryStores(storage);
    const b = new MemoryStores(storage);
    const store = await a.create({ name: 'two' });
    const m = await a.createMemory(store.id, { path: '/m.md', content: 'from a' }, LOCAL_API_ACTOR);
    await b.createMemory(store.id, { path: '/taken.md', content: 'from b' }, LOCAL_API_ACTOR);
    await b.updateMemory(store.id, m.id, { content: 'b edited' }, LOCAL_API_ACTOR);
    await assert.rejects(a.createMemory(store.id, { path: '/taken.md', content: 'from a' }, LOCAL_API_ACTOR), { type: 'memory_path_conflict_error' });
    const edited = await a.updateMemory(store.id, m.id, { content: 'a again', precondition: { type: 'content_sha256', content_sha256: sha256Hex('b edited') } }, LOCAL_API_ACTOR);
    assert.equal(edited.content, 'a again');
    assert.deepEqual((await b.listVersions(store.id, { memory_id: m.id, view: 'full' })).data.map((v) => v.content), ['a again', 'b edited', 'from a']);
  });
});

describe('memory paths: listing under a prefix', () => {
  const mem = (p: string): Memory => ({ type: 'memory', id: p, memory_store_id: 's', path: p, content: null, content_sha256: '', content_size_bytes: 0, memory_version_id: 'v', created_at: '', updated_at: '' });
  const all = ['/a/b/c.md', '/a/b/d.md', '/a/e.md', '/ab.md', '/z.md'].map(mem);
  const shown = (items: ReturnType<typeof listUnder>) => items.map((i) => `${i.type === 'memory' ? 'm' : 'p'} ${i.path}`);

  it('rolls up folders below the depth and matches whole segments only', () => {
    assert.deepEqual(shown(listUnder(all, '/', 1)), ['p /a/', 'm /ab.md', 'm /z.md']);
    assert.deepEqual(shown(listUnder(all, '/a/', 1)), ['p /a/b/', 'm /a/e.md']);
    assert.deepEqual(shown(listUnder(all, '/a/', 2)), ['m /a/b/c.md', 'm /a/b/d.md', 'm /a/e.md']);
    assert.deepEqual(shown(listUnder(all, '/a/', 0)), ['m /a/b/c.md', 'm /a/b/d.md', 'm /a/e.md']);
  });
});
