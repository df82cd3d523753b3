import assert from 'node:assert/strict';
import { RuntimeRefusal } from '../../../src/extension/connection/remote-client';
import { LocalMemory, type RuntimeMemory } from '../../../src/extension/connection/runtime-memory';
import { RuntimeError } from '../../../src/runtime/errors';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { serveOverHttp, type ServedRuntime } from '../../support/served-runtime';

// Memory stores behind the RuntimeClient seam (issue #15): what the Memory view and memory documents do, the same
// in-process (LocalMemory) and over a detached runtime (RemoteMemory: the real SDK against the real API server).

const refusal = (status: number, message: RegExp) => (err: unknown) =>
  (err instanceof RuntimeRefusal || err instanceof RuntimeError) && err.status === status && message.test(err.message);

describe('memory stores through the VS Code seam, in-process and over HTTP', function () {
  this.timeout(60_000);
  let t: TestRuntime | undefined;
  let served: ServedRuntime | undefined;
  afterEach(async () => {
    // Serving closes the runtime with the server.
    await (served ?? t)?.close();
    served = t = undefined;
  });

  const seams: [string, () => Promise<RuntimeMemory>][] = [
    ['in-process', async () => new LocalMemory(t!.runtime.memoryStores)],
    ['over the API', async () => (served = await serveOverHttp(t!)).client.memory],
  ];

  for (const [where, open] of seams) {
    it(`lists, reads and writes memories with the content precondition (${where})`, async () => {
      t = await makeTestRuntime();
      const store = await t.runtime.memoryStores.create({ name: 'notes', description: 'what the agent learnt' });
      const memory = await open();
      assert.deepEqual((await memory.stores()).map((s) => s.name), ['notes']);
      assert.equal((await memory.retrieveStore(store.id)).description, 'what the agent learnt');
      assert.equal(await memory.memoryAt(store.id, '/notes/a.md'), null);

      const first = await memory.write(store.id, '/notes/a.md', 'one\n');
      await memory.write(store.id, '/top.md', 'top\n');
      assert.deepEqual((await memory.children(store.id, '/')).map((m) => `${m.type}:${m.path}`), ['memory_prefix:/notes/', 'memory:/top.md']);
      assert.deepEqual((await memory.children(store.id, '/notes/')).map((m) => m.path), ['/notes/a.md']);
      const read = await memory.memoryAt(store.id, '/notes/a.md');
      assert.equal(read?.content, 'one\n', 'the document gets the content, not a listing without it');

      const second = await memory.write(store.id, '/notes/a.md', 'two\n', first.content_sha256);
      assert.equal(second.id, first.id);
      const versions = await memory.versions(store.id, first.id);
      assert.equal(versions.length, 2);
      assert.equal((await memory.retrieveVersion(store.id, versions[1]!.id)).content, 'one\n', 'oldest last, with its content');

      // A document read before another write: its save is refused, and the other write stays.
      await assert.rejects(memory.write(store.id, '/notes/a.md', 'stale\n', first.content_sha256), refusal(409, /content_sha256|precondition|changed/i));
      assert.equal((await memory.memoryAt(store.id, '/notes/a.md'))?.content, 'two\n');
    });

    it(`refuses bad input with the runtime's reason (${where})`, async () => {
      t = await makeTestRuntime();
      const store = await t.runtime.memoryStores.create({ name: 'notes' });
      const memory = await open();
      await assert.rejects(memory.retrieveStore('memstore_missing'), refusal(404, /memstore_missing/));
      await assert.rejects(memory.write(store.id, '/a/../b.md', 'x'), refusal(400, /path/));
      await assert.rejects(memory.retrieveVersion(store.id, 'memver_missing'), refusal(404, /memver_missing/));
      assert.deepEqual(await memory.children(store.id, '/'), []);
    });
  }
});
