import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { acquireLease, SessionLog } from '../../../src/log';
import { reply } from '../../../src/model/scripted';
import { SessionIndex } from '../../../src/runtime/session-index';
import { SUMMARY_FILE } from '../../../src/runtime/session-summary-file';
import { storedSessionsCatalog } from '../../../src/runtime/stored-catalog';
import type { SessionEvent } from '../../../src/wire';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';

// A driven session's summary.json is a cache of its log's fold (session-index.ts): storing it costs a write per burst
// of calls, not one per call, and a summary behind the log (a store still to come, or a process killed before it)
// must still list the session as its log says, since readers fold on from where the summary stopped.

describe("SessionIndex: storing a driven session's summary", function () {
  this.timeout(60_000);
  let t: TestRuntime;
  const rename = fsp.rename;
  let summaryWrites = 0;
  // Until opened, a write of summary.json waits before its rename: what a store still running looks like.
  let gate: Promise<void> = Promise.resolve();

  beforeEach(async () => {
    t = await makeTestRuntime({ script: () => reply.text('done') });
    summaryWrites = 0;
    fsp.rename = async (from, to) => {
      if (path.basename(String(to)) === SUMMARY_FILE) {
        summaryWrites += 1;
        await gate;
      }
      return rename(from, to);
    };
  });
  afterEach(async () => {
    fsp.rename = rename;
    await t.close();
  });

  it('collapses a burst of stores into at most two writes of the latest fold, and a store of an unchanged log into none', async () => {
    const id = await t.start('go');
    await t.waitFor(id, idleAfter(1));
    await t.runtime.close();
    const sessionsDir = path.join(t.storage, 'sessions');
    const dir = path.join(sessionsDir, id);
    const catalog = () => storedSessionsCatalog(t.storage);
    const lease = await acquireLease(dir, 'test-driver');
    const log = await SessionLog.open<SessionEvent>(dir, { mode: 'writer', lease });
    try {
      const index = new SessionIndex(sessionsDir, () => null, catalog);
      const wholeLog = async () => new SessionIndex(sessionsDir, () => log, catalog).summary((await index.record(id))!);
      const event = (i: number) => ({ id: '', processed_at: new Date().toISOString(), ...(i % 2 === 0 ? { type: 'session.status_idle', stop_reason: { type: 'end_turn' } } : { type: 'session.status_running' }) }) as SessionEvent;
      summaryWrites = 0;
      let open = () => undefined as void;
      gate = new Promise((r) => (open = r));
      // The first store folds the log as it is now and is held at its write while the other appends commit, each
      // asking for a store as soon as it is committed (as the host does on each idle).
      await log.append([event(0)]);
      const appends = 20;
      const stores = [index.persist(id, log)];
      await Promise.all(Array.from({ length: appends - 1 }, (_, i) => log.append([event(i + 1)]).then(() => stores.push(index.persist(id, log)))));
      // Another process lists meanwhile, from whatever summary.json holds: it folds on from there.
      const other = new SessionIndex(sessionsDir, () => null, catalog);
      const listed = other.record(id).then((record) => other.summary(record!));
      open();
      await Promise.all(stores);
      assert.deepEqual(await listed, await wholeLog(), "another process's listing during the burst");
      assert.ok(summaryWrites <= 3, `${summaryWrites} writes of summary.json for ${appends} stores (at most two, and one by the other listing)`);

      const stored = JSON.parse(await fsp.readFile(path.join(dir, SUMMARY_FILE), 'utf8')) as { position: { count: number; end: number }; summary: unknown };
      assert.deepEqual([stored.position.count, stored.position.end], [log.committed().count, log.committed().end], 'the settled summary reached the end of the log');
      assert.deepEqual(stored.summary, await wholeLog(), 'the settled summary is the fold of the whole log');
      assert.equal((await wholeLog()).status, 'running');

      summaryWrites = 0;
      await index.persist(id, log);
      assert.equal(summaryWrites, 0, 'a log stored as far as it has committed is not stored again (a release after an idle)');

      // Killed between the append and the store: the next listing folds on from the summary behind the log.
      await log.append([event(0)]);
      assert.deepEqual(await new SessionIndex(sessionsDir, () => null, catalog).summary((await index.record(id))!), await wholeLog());
      assert.equal((await wholeLog()).status, 'idle');
    } finally {
      await log.close();
      await lease.release();
    }
  });
});
