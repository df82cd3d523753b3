import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import {
  AlreadyExistsError,
  InvalidCursorError,
  InvalidIdError,
  InvalidValueError,
  JsonStore,
  StoreCorruptError,
  VersionConflictError,
  VersionedStore,
} from '../../../src/log';
import { tempDir } from './support';

const Thing = z.object({ id: z.string(), created_at: z.string(), name: z.string(), archived: z.boolean().default(false) });
type Thing = z.infer<typeof Thing>;
const thing = (id: string, second: number, name = id): Thing => ({
  id,
  created_at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + second * 1000).toISOString(),
  name,
  archived: false,
});

async function walk<T>(list: (after: string | null) => Promise<{ data: T[]; next_page: string | null }>, pick: (t: T) => string): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  do {
    const page = await list(after);
    pages.push(page.data.map(pick));
    after = page.next_page;
  } while (after);
  return pages;
}

describe('JsonStore', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let store: JsonStore<Thing>;
  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempDir());
    store = new JsonStore(root, 'things', Thing);
  });
  afterEach(() => cleanup());

  it('puts, gets, replaces and deletes', async () => {
    assert.equal(await store.get('t1'), null);
    await store.put(thing('t1', 0));
    await store.put({ ...thing('t1', 0), name: 'renamed' });
    assert.equal((await store.get('t1'))?.name, 'renamed');
    assert.deepEqual((await fsp.readdir(path.join(root, 'things'))), ['t1.json'], 'no temp files left behind');
    assert.equal(await store.delete('t1'), true);
    assert.equal(await store.delete('t1'), false);
    assert.equal(await store.get('t1'), null);
  });

  it('lists by created_at then id, in pages both ways, with a filter', async () => {
    for (const [id, s] of [['b', 1], ['a', 1], ['c', 0], ['d', 2], ['e', 3]] as const) await store.put(thing(id, s));
    await fsp.writeFile(path.join(root, 'things', 'z.json.abc.tmp'), 'partial');
    assert.deepEqual(await walk((after) => store.list({ limit: 2, after }), (t) => t.id), [['c', 'a'], ['b', 'd'], ['e']]);
    assert.deepEqual(await walk((after) => store.list({ limit: 3, after, order: 'desc' }), (t) => t.id), [['e', 'd', 'b'], ['a', 'c']]);
    assert.deepEqual(await walk((after) => store.list({ limit: 1, after, where: (t) => t.id !== 'a' && t.id !== 'd' }), (t) => t.id), [['c'], ['b'], ['e']]);
    assert.deepEqual(await new JsonStore(root, 'empty', Thing).list(), { data: [], next_page: null });
  });

  it('refuses cursors of the other order or of another listing', async () => {
    for (let i = 0; i < 3; i++) await store.put(thing(`t${i}`, i));
    const asc = (await store.list({ limit: 1 })).next_page!;
    await assert.rejects(store.list({ order: 'desc', after: asc }), InvalidCursorError);
    await assert.rejects(new JsonStore(root, 'others', Thing).list({ after: asc }), InvalidCursorError);
    await assert.rejects(store.list({ after: '%%%' }), InvalidCursorError);
  });

  it('refuses ids and kinds that are not one safe path segment', async () => {
    for (const bad of ['../escape', 'a/b', 'a\\b', '', '.', '..', 'x\u0000y', 'x'.repeat(129), 'naïve']) {
      await assert.rejects(store.get(bad), InvalidIdError, bad);
      await assert.rejects(store.put(thing(bad, 0)), InvalidIdError, bad);
      await assert.rejects(store.delete(bad), InvalidIdError, bad);
    }
    assert.throws(() => new JsonStore(root, '../up', Thing), InvalidIdError);
    await assert.rejects(fsp.stat(path.join(root, 'escape.json')), { code: 'ENOENT' });
  });

  it('validates values going in and reports corrupt files coming out', async () => {
    await assert.rejects(store.put({ id: 'x', created_at: 'now' } as Thing), InvalidValueError);
    await fsp.mkdir(path.join(root, 'things'), { recursive: true });
    await fsp.writeFile(path.join(root, 'things', 'bad.json'), '{"id":"bad"');
    await assert.rejects(store.get('bad'), StoreCorruptError);
    await fsp.writeFile(path.join(root, 'things', 'bad.json'), '{"id":"bad"}');
    await assert.rejects(store.get('bad'), /bad\.json: .*created_at/s);
    await assert.rejects(store.list(), StoreCorruptError);
  });
});

describe('VersionedStore', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let store: VersionedStore<Thing>;
  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempDir());
    store = new VersionedStore(root, 'agents', Thing);
  });
  afterEach(() => cleanup());

  it('creates version 1, adds versions, and reads any of them', async () => {
    assert.deepEqual(await store.create('a1', thing('a1', 0, 'v1')), { version: 1, value: thing('a1', 0, 'v1') });
    await assert.rejects(store.create('a1', thing('a1', 0)), AlreadyExistsError);
    const v2 = await store.putNext('a1', 1, thing('a1', 0, 'v2'));
    assert.equal(v2.version, 2);
    assert.equal((await store.latest('a1'))?.value.name, 'v2');
    assert.equal((await store.get('a1', 1))?.value.name, 'v1');
    assert.equal(await store.get('a1', 3), null);
    assert.equal(await store.get('a1', 0), null);
    assert.equal(await store.latest('nobody'), null);
  });

  it('refuses putNext when the expected version is not the latest', async () => {
    await store.create('a1', thing('a1', 0));
    await store.putNext('a1', 1, thing('a1', 0, 'v2'));
    const err = await store.putNext('a1', 1, thing('a1', 0, 'stale')).then(() => assert.fail('stale write won'), (e: unknown) => e);
    assert.ok(err instanceof VersionConflictError);
    assert.equal(err.actual, 2);
    await assert.rejects(store.putNext('ghost', 0, thing('ghost', 0)), VersionConflictError);
  });

  it('lets exactly one of concurrent putNext calls with the same expected version win', async () => {
    await store.create('a1', thing('a1', 0));
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.putNext('a1', 1, thing('a1', 0, `w${i}`))));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof VersionConflictError, String(r.reason));
    assert.equal((await store.latest('a1'))?.value.name, won[0]!.value.value.name);
    assert.deepEqual((await fsp.readdir(path.join(root, 'agents', 'a1'))).sort(), ['1.json', '2.json']);
  });

  it('pages versions and lists the latest of each object', async () => {
    await store.create('a1', thing('a1', 5));
    for (let v = 1; v < 4; v++) await store.putNext('a1', v, thing('a1', 5, `a1v${v + 1}`));
    await store.create('b1', thing('b1', 1));
    assert.deepEqual(await walk((after) => store.versions('a1', { limit: 3, after }), (v) => String(v.version)), [['1', '2', '3'], ['4']]);
    assert.deepEqual(await walk((after) => store.versions('a1', { limit: 3, after, order: 'desc' }), (v) => String(v.version)), [['4', '3', '2'], ['1']]);
    const all = await store.list();
    assert.deepEqual(all.data.map((v) => [v.value.id, v.version, v.value.name]), [['b1', 1, 'b1'], ['a1', 4, 'a1v4']]);
    assert.deepEqual((await store.list({ where: (t) => t.id === 'a1' })).data.map((v) => v.value.id), ['a1']);
    const asc = (await store.versions('a1', { limit: 1 })).next_page!;
    await assert.rejects(store.versions('a1', { order: 'desc', after: asc }), InvalidCursorError);
  });

  it('refuses a value whose id differs from the key, and unsafe ids', async () => {
    await assert.rejects(store.create('a1', thing('a2', 0)), InvalidValueError);
    await assert.rejects(store.create('../a1', thing('../a1', 0)), InvalidIdError);
    await assert.rejects(store.versions('a/b'), InvalidIdError);
  });
});
