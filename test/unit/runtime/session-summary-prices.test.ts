import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { acquireLease, SessionLog } from '../../../src/log';
import { reply } from '../../../src/model/scripted';
import type { Runtime } from '../../../src/runtime';
import { SessionIndex } from '../../../src/runtime/session-index';
import { sessionPricing } from '../../../src/runtime/session-pricing';
import { SUMMARY_FILE } from '../../../src/runtime/session-summary-file';
import { ModelCatalog, summarize, type SessionEvent } from '../../../src/wire';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';

// Of what a listing shows, a session's title, archived flag and agent come from session.json, read again whenever the
// file changed; only the cost in its summary depends on more than its log: the prices of the catalogue it was folded
// with. A summary folded (in memory, or stored in summary.json and skipped while the log did not grow) must not keep a
// cost the catalogue no longer gives when prices change without a new event.

const MODEL = 'claude-sonnet-5-5';

describe("Session summaries: the listed cost follows the catalogue's prices", function () {
  this.timeout(60_000);
  const opened: TestRuntime[] = [];
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.close();
  });
  const open = async (...args: Parameters<typeof makeTestRuntime>) => {
    const t = await makeTestRuntime(...args);
    opened.push(t);
    return t;
  };
  const priced = (usd: number) => ({ [MODEL]: { prices: { input: usd, output: usd, cacheWrite5m: usd, cacheRead: usd } } });

  it('a runtime started with other hangar.models prices lists the new cost of a session whose log did not grow', async () => {
    const t = await open({ script: () => reply.text('done'), runtime: { models: priced(1_000) } });
    const id = await t.start('go', { model: MODEL });
    const events = await t.waitFor(id, idleAfter(1));
    await t.runtime.settled(id);
    // What the sidebar shows (summary) and GET /v1/sessions (the usage's list cost), against the fold of the log.
    const listed = async (r: Runtime) => {
      const { costCents } = await r.sessions.summary(await r.sessions.record(id));
      const page = await r.sessions.list({ limit: 20 });
      return { costCents, listCost: page.data.find((s) => s.id === id)?.usage.list_cost?.amount };
    };
    const expected = (r: Runtime) => {
      const { costCents } = summarize(events, sessionPricing(r.catalog, MODEL));
      return { costCents, listCost: String(Math.round(costCents)) };
    };
    const first = await listed(t.runtime);
    assert.deepEqual(first, expected(t.runtime));
    // Released: summary.json holds the fold priced at 1,000 USD per million tokens, and the log ends where it does.
    await t.runtime.close();
    await fsp.stat(path.join(t.storage, 'sessions', id, SUMMARY_FILE));

    // The setting changed: VS Code starts a new runtime with it (config.ts needsRestart).
    const next = await open({ storage: t.storage, runtime: { models: priced(2_000) } });
    const second = await listed(next.runtime);
    assert.deepEqual(second, expected(next.runtime), 'the new prices, not the stored summary');
    assert.ok(second.costCents > first.costCents * 1.5, `${second.costCents} cents after ${first.costCents}`);
  });

  it("a runtime lists the new cost once its catalogue learns a provider model's prices, driven or not, and stores it", async () => {
    const t = await open({ script: () => reply.text('done') });
    const id = await t.start('go');
    await t.waitFor(id, idleAfter(1));
    await t.runtime.close();
    const sessionsDir = path.join(t.storage, 'sessions');
    const dir = path.join(sessionsDir, id);
    const lease = await acquireLease(dir, 'test-driver');
    const log = await SessionLog.open<SessionEvent>(dir, { mode: 'writer', lease });
    try {
      // A sub-agent's request on a remote provider's model that publishes no prices yet: priced at zero, an estimate.
      const request = log.slice(0, log.length).find((e) => e.type === 'span.model_request_end');
      assert.ok(request);
      await log.append([{ ...request, id: '', _hangar: { ...request._hangar, model: 'router/m' } }]);
      const catalog = new ModelCatalog({}, { configs: [{ name: 'router', kind: 'openai', baseUrl: 'https://router.example/v1' }] });
      const stored = new SessionIndex(sessionsDir, () => null, catalog);
      const driven = new SessionIndex(sessionsDir, () => log, catalog);
      const record = (await stored.record(id))!;
      const whole = () => summarize(log.slice(0, log.length), sessionPricing(catalog, record.agent.model.id));
      assert.deepEqual(await stored.summary(record), whole());
      assert.deepEqual(await driven.summary(record), whole());
      await driven.persist(id, log);
      const before = whole();
      assert.equal(before.costEstimated, true);

      // The provider's models endpoint is listed (the model picker): the runtime's catalogue now has its prices.
      catalog.discover({ 'router/m': { id: 'm', prices: { input: 1_000, output: 1_000 } } });
      const after = whole();
      assert.ok(after.costCents > before.costCents && !after.costEstimated, 'the discovered prices change the cost');
      assert.deepEqual(await driven.summary(record), after, 'a session driven here');
      // The release after it: the log did not grow, but the stored fold has the old prices.
      await driven.persist(id, log);
      const file = JSON.parse(await fsp.readFile(path.join(dir, SUMMARY_FILE), 'utf8')) as { summary: unknown };
      assert.deepEqual(file.summary, after, 'summary.json holds the fold at the new prices');
      assert.deepEqual(await stored.summary(record), after, 'a session listed from its stored fold');
      assert.deepEqual(await new SessionIndex(sessionsDir, () => null, catalog).summary(record), after, 'a listing by another index');
    } finally {
      await log.close();
      await lease.release();
    }
  });
});
