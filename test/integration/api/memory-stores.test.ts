import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { raw, startApi, type ApiFixture } from './helpers';

// Memory stores (issue #11 §2, reference §2.8) through the real SDK's client.beta.memoryStores: stores, memories,
// versions, the typed 409s and the bad inputs, each a clear error that changes nothing.

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

async function rejects(p: Promise<unknown>, status: number, type: string, message?: RegExp): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof Anthropic.APIError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.type, type, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${status} ${type}`);
}

describe('api: memory stores', function () {
  this.timeout(30_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('creates, lists, updates, archives and deletes stores', async () => {
    f = await startApi();
    const ms = f.client.beta.memoryStores;
    const a = await ms.create({ name: 'Team Notes', description: 'what we learned', metadata: { team: 'core' } });
    assert.equal(a.type, 'memory_store');
    assert.match(a.id, /^memstore_/);
    assert.equal(a.archived_at, null);
    const b = await ms.create({ name: 'scratch' });
    assert.equal(b.description, '');

    const updated = await ms.update(a.id, { description: '', metadata: { team: null, owner: 'me' } });
    assert.equal(updated.description, '');
    assert.deepEqual(updated.metadata, { owner: 'me' });
    assert.deepEqual((await ms.retrieve(a.id)).metadata, { owner: 'me' });

    const firstPage = await ms.list({ limit: 1 });
    assert.equal(firstPage.data.length, 1);
    const all: string[] = [];
    for await (const s of ms.list({ limit: 1 })) all.push(s.id);
    assert.deepEqual(all, [a.id, b.id]);

    const archived = await ms.archive(b.id);
    assert.ok(archived.archived_at);
    assert.deepEqual((await ms.list()).data.map((s) => s.id), [a.id]);
    assert.deepEqual((await ms.list({ include_archived: true })).data.map((s) => s.id), [a.id, b.id]);
    await rejects(ms.update(b.id, { name: 'again' }), 400, 'invalid_request_error', /archived/);
    await rejects(ms.memories.create(b.id, { path: '/x.md', content: 'x' }), 400, 'invalid_request_error', /archived/);

    assert.deepEqual(await ms.delete(b.id), { id: b.id, type: 'memory_store_deleted' });
    await rejects(ms.retrieve(b.id), 404, 'not_found_error', /Memory store memstore_.* does not exist/);
    await rejects(ms.retrieve('../../etc'), 404, 'not_found_error');
    await rejects(ms.create({ name: '' }), 400, 'invalid_request_error');
    await rejects(ms.create({ name: 'x', bogus: 1 } as unknown as Anthropic.Beta.MemoryStores.MemoryStoreCreateParams), 400, 'invalid_request_error', /bogus/);
  });

  it('writes memories with versions, renames, lists by prefix and depth, and deletes', async () => {
    f = await startApi();
    const ms = f.client.beta.memoryStores;
    const store = await ms.create({ name: 'notes' });
    const m = await ms.memories.create(store.id, { path: '/projects/hangar/build.md', content: 'npm run build' });
    assert.match(m.id, /^mem_/);
    assert.equal(m.content, 'npm run build');
    assert.equal(m.content_sha256, sha('npm run build'));
    assert.equal(m.content_size_bytes, 13);
    await ms.memories.create(store.id, { path: '/projects/hangar/test.md', content: 'npm test' });
    await ms.memories.create(store.id, { path: '/projects/other/readme.md', content: 'other' });
    await ms.memories.create(store.id, { path: '/top.md', content: null });

    const basic = await ms.memories.retrieve(m.id, { memory_store_id: store.id, view: 'basic' });
    assert.equal(basic.content, null);
    assert.equal(basic.content_sha256, m.content_sha256);

    const listed = await ms.memories.list(store.id);
    assert.deepEqual(listed.data.map((x) => x.path), ['/projects/hangar/build.md', '/projects/hangar/test.md', '/projects/other/readme.md', '/top.md']);
    assert.ok(listed.data.every((x) => x.type === 'memory' && x.content === null), 'basic view by default');
    const shallow = await ms.memories.list(store.id, { depth: 1 });
    assert.deepEqual(shallow.data.map((x) => `${x.type} ${x.path}`), ['memory_prefix /projects/', 'memory /top.md']);
    const under = await ms.memories.list(store.id, { path_prefix: '/projects/', depth: 1 });
    assert.deepEqual(under.data.map((x) => `${x.type} ${x.path}`), ['memory_prefix /projects/hangar/', 'memory_prefix /projects/other/']);
    const full = await ms.memories.list(store.id, { path_prefix: '/projects/hangar/', view: 'full' });
    assert.deepEqual(full.data.map((x) => (x.type === 'memory' ? x.content : null)), ['npm run build', 'npm test']);
    const paged: string[] = [];
    for await (const x of ms.memories.list(store.id, { limit: 3 })) paged.push(x.path);
    assert.equal(paged.length, 4);
    await rejects(ms.memories.list(store.id, { path_prefix: '/projects' }), 400, 'invalid_request_error', /must end with "\/"/);

    const edited = await ms.memories.update(m.id, { memory_store_id: store.id, content: 'npm run build:all' });
    assert.equal(edited.id, m.id);
    assert.notEqual(edited.memory_version_id, m.memory_version_id);
    const same = await ms.memories.update(m.id, { memory_store_id: store.id, content: 'npm run build:all' });
    assert.equal(same.memory_version_id, edited.memory_version_id, 'a no-op update makes no version');
    const renamed = await ms.memories.update(m.id, { memory_store_id: store.id, path: '/projects/hangar/howto/build.md' });
    assert.equal(renamed.id, m.id);
    assert.equal(renamed.path, '/projects/hangar/howto/build.md');
    assert.equal(renamed.content, 'npm run build:all');

    const versions = await ms.memoryVersions.list(store.id, { memory_id: m.id });
    assert.deepEqual(versions.data.map((v) => v.operation), ['modified', 'modified', 'created'], 'newest first');
    assert.deepEqual(versions.data.map((v) => v.path), ['/projects/hangar/howto/build.md', '/projects/hangar/build.md', '/projects/hangar/build.md']);
    assert.deepEqual(versions.data[0]!.created_by, { type: 'api_actor', api_key_id: 'local' });
    const firstVersion = await ms.memoryVersions.retrieve(versions.data[2]!.id, { memory_store_id: store.id });
    assert.equal(firstVersion.content, 'npm run build');

    assert.deepEqual(await ms.memories.delete(m.id, { memory_store_id: store.id }), { id: m.id, type: 'memory_deleted' });
    await rejects(ms.memories.retrieve(m.id, { memory_store_id: store.id }), 404, 'not_found_error');
    const afterDelete = await ms.memoryVersions.list(store.id, { memory_id: m.id, view: 'full' });
    assert.deepEqual(afterDelete.data.map((v) => v.operation), ['deleted', 'modified', 'modified', 'created']);
    assert.equal(afterDelete.data[0]!.content, null);
    assert.deepEqual((await ms.memoryVersions.list(store.id, { operation: 'created' })).data.length, 4);

    // Redaction clears a past version for good; the version a memory holds now cannot be redacted.
    const redacted = await ms.memoryVersions.redact(firstVersion.id, { memory_store_id: store.id });
    assert.equal(redacted.content, null);
    assert.equal(redacted.path, null);
    assert.ok(redacted.redacted_at);
    assert.equal((await ms.memoryVersions.retrieve(firstVersion.id, { memory_store_id: store.id })).content, null);
    const live = (await ms.memories.list(store.id, { path_prefix: '/projects/other/' })).data[0]!;
    assert.ok(live.type === 'memory');
    await rejects(ms.memoryVersions.redact(live.memory_version_id, { memory_store_id: store.id }), 409, 'invalid_request_error', /current content of memory/);
    await rejects(ms.memoryVersions.retrieve('memver_nope', { memory_store_id: store.id }), 404, 'not_found_error');
  });

  it('refuses path conflicts and failed preconditions with typed 409s that are not retried', async () => {
    f = await startApi();
    const ms = f.client.beta.memoryStores;
    const store = await ms.create({ name: 'notes' });
    const a = await ms.memories.create(store.id, { path: '/a/b.md', content: 'one' });
    const before = f.requests.length;

    const taken = await rejects(ms.memories.create(store.id, { path: '/a/b.md', content: 'two' }), 409, 'memory_path_conflict_error', /is taken by memory/);
    assert.equal((taken.error as { error: { conflicting_memory_id?: string } }).error.conflicting_memory_id, a.id);
    assert.equal(f.requests.length, before + 1, 'a 409 is final: x-should-retry false');
    await rejects(ms.memories.create(store.id, { path: '/a', content: 'file over a folder' }), 409, 'memory_path_conflict_error', /is a folder of/);
    await rejects(ms.memories.create(store.id, { path: '/a/b.md/c', content: 'folder over a file' }), 409, 'memory_path_conflict_error', /is inside/);
    const other = await ms.memories.create(store.id, { path: '/c.md', content: 'three' });
    await rejects(ms.memories.update(other.id, { memory_store_id: store.id, path: '/a/b.md' }), 409, 'memory_path_conflict_error');

    await rejects(
      ms.memories.update(a.id, { memory_store_id: store.id, content: 'edited', precondition: { type: 'content_sha256', content_sha256: sha('not this') } }),
      409,
      'memory_precondition_failed_error',
      /changed since you read it/,
    );
    const ok = await ms.memories.update(a.id, { memory_store_id: store.id, content: 'edited', precondition: { type: 'content_sha256', content_sha256: sha('one') } });
    assert.equal(ok.content, 'edited');
    // The same request again (a retry after a lost response): the content is already there, so it succeeds.
    const again = await ms.memories.update(a.id, { memory_store_id: store.id, content: 'edited', precondition: { type: 'content_sha256', content_sha256: sha('one') } });
    assert.equal(again.memory_version_id, ok.memory_version_id);
    await rejects(ms.memories.delete(a.id, { memory_store_id: store.id, expected_content_sha256: sha('one') }), 409, 'memory_precondition_failed_error');
    await ms.memories.delete(a.id, { memory_store_id: store.id, expected_content_sha256: sha('edited') });
    assert.equal((await ms.memoryVersions.list(store.id, { memory_id: a.id })).data.length, 3, 'created, modified, deleted: refused requests made none');
  });

  it('refuses bad paths, oversized content and unknown ids, and changes nothing', async () => {
    f = await startApi();
    const ms = f.client.beta.memoryStores;
    const store = await ms.create({ name: 'notes' });
    for (const [bad, why] of [
      ['../x', /must start with "\/"/],
      ['notes/x.md', /must start with "\/"/],
      ['/a/../x', /has a "\.\." segment/],
      ['/a/./x', /has a "\." segment/],
      ['/a//x', /empty segment/],
      ['/a/', /empty segment/],
      ['/', /empty segment/],
      ['', /must start with "\/"/],
      ['/e\u0301.md', /NFC/],
      [`/${'d/'.repeat(20)}x`, /segments; the limit is 20/],
    ] as const) {
      await rejects(ms.memories.create(store.id, { path: bad, content: 'x' }), 400, 'invalid_request_error', why);
    }
    const big = 'x'.repeat(102_401);
    await rejects(ms.memories.create(store.id, { path: '/big.md', content: big }), 400, 'invalid_request_error', /102401 bytes; a memory holds at most 102400/);
    const atLimit = await ms.memories.create(store.id, { path: '/limit.md', content: 'é'.repeat(51_200) });
    assert.equal(atLimit.content_size_bytes, 102_400);
    await rejects(ms.memories.update(atLimit.id, { memory_store_id: store.id, content: `${'é'.repeat(51_200)}x` }), 400, 'invalid_request_error', /102401 bytes/);
    await rejects(ms.memories.update(atLimit.id, { memory_store_id: store.id, path: '/../etc/passwd' }), 400, 'invalid_request_error', /"\.\." segment/);
    assert.deepEqual((await ms.memories.list(store.id)).data.map((x) => x.path), ['/limit.md']);
    assert.equal((await ms.memoryVersions.list(store.id)).data.length, 1);

    await rejects(ms.memories.retrieve('mem_nope', { memory_store_id: store.id }), 404, 'not_found_error', /Memory mem_nope does not exist/);
    await rejects(ms.memories.update('mem_nope', { memory_store_id: store.id, content: 'x' }), 404, 'not_found_error');
    await rejects(ms.memories.delete('mem_nope', { memory_store_id: store.id }), 404, 'not_found_error');
    await rejects(ms.memories.list('memstore_nope'), 404, 'not_found_error');
    await rejects(ms.memories.create('memstore_nope', { path: '/x', content: 'x' }), 404, 'not_found_error');
    await rejects(ms.memories.update(atLimit.id, { memory_store_id: store.id, precondition: { type: 'content_sha256', content_sha256: 'XYZ' } }), 400, 'invalid_request_error');
    await rejects(ms.memories.list(store.id, { depth: -1 }), 400, 'invalid_request_error');
  });

  it('serves PATCH for memory updates (the API reference) as well as the SDK POST', async () => {
    f = await startApi();
    const ms = f.client.beta.memoryStores;
    const store = await ms.create({ name: 'notes' });
    const m = await ms.memories.create(store.id, { path: '/p.md', content: 'one' });
    const res = await raw(f.server, 'PATCH', `/v1/memory_stores/${store.id}/memories/${m.id}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'two' }) });
    assert.equal(res.status, 200, res.text);
    assert.equal((await ms.memories.retrieve(m.id, { memory_store_id: store.id })).content, 'two');
  });
});
