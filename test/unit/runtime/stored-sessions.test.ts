import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { RuntimeError } from '../../../src/runtime/errors';
import { StoredSessions } from '../../../src/runtime/stored-sessions';
import type { Session } from '../../../src/wire';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';

// StoredSessions is how `hangar sessions` lists without opening a runtime: it must show what the runtime shows
// (same order, statuses, usage, damaged sessions) and price with the same catalogue, so it reuses the runtime's
// stored summaries instead of folding every log again.

describe('StoredSessions: listing a storage without a runtime', function () {
  this.timeout(60_000);
  let t: TestRuntime;

  beforeEach(async () => {
    t = await makeTestRuntime({ script: () => reply.text('done') });
  });
  afterEach(async () => t.close());

  // Durations grow with the clock between two listings; everything else must be identical.
  const stable = (s: Session) => ({ ...s, stats: { active_seconds: s.stats.active_seconds } });

  it('lists what the runtime lists, damaged sessions included, and reads the summaries the runtime stored', async () => {
    const ran = await t.start('go');
    await t.waitFor(ran, idleAfter(1));
    await t.runtime.settled(ran);
    const fresh = await t.start('go');
    await t.waitFor(fresh, idleAfter(1));
    const broken = (await t.runtime.sessions.create({ agent: await t.agent(), environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
    await fsp.writeFile(path.join(t.storage, 'sessions', broken, 'session.json'), '{"id":');

    // Another runtime lists first (folding from the stored summaries, as the extension or serve would), then this.
    const other = await makeTestRuntime({ storage: t.storage });
    const expected = await other.runtime.sessions.list({ limit: 20 });
    await other.close();
    const summary = path.join(t.storage, 'sessions', ran, 'summary.json');
    const before = await fsp.stat(summary);

    const stored = new StoredSessions(t.storage);
    const page = await stored.list({ limit: 20 });
    assert.deepEqual(page.data.map(stable), expected.data.map(stable));
    assert.deepEqual(page.damaged, expected.damaged);
    assert.deepEqual(page.damaged.map((d) => d.id), [broken]);
    assert.equal(page.data.find((s) => s.id === ran)?.status, 'idle');
    assert.ok(page.data.find((s) => s.id === ran)!.usage.output_tokens > 0, 'usage comes from the log');
    // Same catalogue, same fingerprint: the stored summary was used as it was, not rewritten.
    assert.equal((await fsp.stat(summary)).mtimeMs, before.mtimeMs);

    assert.equal((await stored.record(ran)).environment.hangar.provider, 'local');
    assert.equal(stored.dir(ran), path.join(t.storage, 'sessions', ran));
    await assert.rejects(stored.record('sesn_missing'), (e: unknown) => e instanceof RuntimeError && e.status === 404);
    await assert.rejects(stored.record(broken), (e: unknown) => e instanceof RuntimeError && e.code === 'damaged');
  });

  it("prices with the storage's models.json when there is one (checked in full), and the built-in catalogue without", async () => {
    const id = await t.start('go');
    await t.waitFor(id, idleAfter(1));
    await t.runtime.settled(id);
    const summary = path.join(t.storage, 'sessions', id, 'summary.json');
    const pricedWith = async () => (JSON.parse(await fsp.readFile(summary, 'utf8')) as { prices: string }).prices;
    await new StoredSessions(t.storage).list({});
    const builtIn = await pricedWith();

    await fsp.writeFile(path.join(t.storage, 'models.json'), JSON.stringify({ 'claude-sonnet-5-5': { prices: { input: 100 } } }));
    const page = await new StoredSessions(t.storage).list({});
    assert.notEqual(await pricedWith(), builtIn, 'the summary was folded again with the prices of models.json');
    const other = await makeTestRuntime({ storage: t.storage });
    const expected = await other.runtime.sessions.list({ limit: 20 });
    await other.close();
    assert.deepEqual(page.data.map(stable), expected.data.map(stable));

    await fsp.writeFile(path.join(t.storage, 'models.json'), JSON.stringify({ 'claude-sonnet-5-5': { contextWindow: -1 } }));
    await assert.rejects(new StoredSessions(t.storage).list({}), /models\.json is not a valid model catalogue override/);
    await fsp.rm(path.join(t.storage, 'models.json'));
    await new StoredSessions(t.storage).list({});
    assert.equal(await pricedWith(), builtIn, 'without models.json, the built-in catalogue again');
  });

  it('refuses a page cursor it did not issue with the API error (400)', async () => {
    await assert.rejects(new StoredSessions(t.storage).list({ page: 'garbage' }), (e: unknown) => e instanceof RuntimeError && e.status === 400 && /not a cursor this server issued/.test(e.message));
  });

  it('lists an empty storage (no sessions directory yet) without creating anything', async () => {
    const empty = path.join(t.storage, 'nothing-here');
    const page = await new StoredSessions(empty).list({});
    assert.deepEqual(page.data, []);
    assert.deepEqual(page.damaged, []);
    await assert.rejects(fsp.stat(empty), { code: 'ENOENT' });
  });
});
