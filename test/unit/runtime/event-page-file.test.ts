import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENTS_FILE, SessionLog, type ListOptions } from '../../../src/log';
import { encodeRecord } from '../../../src/log/record';
import { firstEventPage } from '../../../src/runtime/event-page-file';
import { withProcessedAt } from '../../../src/runtime/processed-at';
import type { SessionEvent } from '../../../src/wire';

// The first events page read from one end of the log file must be the page the whole log gives, with the same
// next_page (so the next page, served from the whole log, carries on), whatever the window had to grow for.

const at = (k: number) => new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString();

/** `count` events, ~150 bytes each: a queued user.message (processed_at null) every 700, answered 650 events later. */
function events(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, k) => {
    const id = `sevt_w${k}`;
    if (k % 700 === 5) return { id, type: 'user.message', processed_at: null, content: [{ type: 'text', text: `steer ${k}` }] };
    if (k % 700 === 655) return { id, type: 'span.model_request_start', processed_at: at(k) };
    if (k % 3 === 0) return { id, type: 'agent.message', processed_at: at(k), content: [{ type: 'text', text: `step ${k} of the long session, a sentence of text` }] };
    return { id, type: 'span.model_request_end', processed_at: at(k), is_error: false, model_request_start_id: 'x' };
  });
}

describe('first events page from one end of the log file', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-event-page-'));
    file = path.join(dir, EVENTS_FILE);
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  const write = (evs: Record<string, unknown>[], tail = '') => fsp.writeFile(file, evs.map((e, k) => encodeRecord(k, JSON.stringify(e))).join('') + tail);

  /** The page and the one after it, as the whole log serves them. */
  async function reference(q: ListOptions & { limit: number }) {
    const log = await SessionLog.open<SessionEvent>(dir, { mode: 'reader' });
    try {
      const all = log.events();
      const view = (e: SessionEvent, seq: number) => withProcessedAt(all, e, seq);
      const page = log.list(q, view);
      const next = page.next_page ? log.list({ ...q, after: page.next_page }, view) : null;
      return { page, next };
    } finally {
      await log.close();
    }
  }

  it('is the page the whole log gives, in both orders, for small and large limits and filters, queued messages included', async () => {
    await write(events(3000));
    for (const order of ['asc', 'desc'] as const) {
      for (const limit of [1, 7, 100, 2500, 5000]) {
        for (const types of [undefined, ['user.message'], ['agent.message', 'user.message'], ['session.deleted']]) {
          const q = { order, limit, ...(types ? { types } : {}) };
          const label = JSON.stringify(q);
          const { page, next } = await reference(q);
          const got = await firstEventPage(file, q);
          assert.deepEqual(got, page, label);
          // The cursor of the windowed page continues in the whole log exactly where the reference's does.
          if (got.next_page) {
            const log = await SessionLog.open<SessionEvent>(dir, { mode: 'reader' });
            const all = log.events();
            assert.deepEqual(log.list({ ...q, after: got.next_page }, (e, seq) => withProcessedAt(all, e, seq)), next, `${label}: next page`);
            await log.close();
          }
        }
      }
    }
    // A queued message near the start of an ascending page gets the time of a request far past the first window.
    const first = await firstEventPage(file, { order: 'asc', limit: 10, types: ['user.message'] });
    assert.equal(first.data[0]?.processed_at, at(655));
  });

  it('leaves out a torn last line (a write cut short, or one still running), as opening the log does', async () => {
    const evs = events(1500);
    const line = encodeRecord(1500, JSON.stringify({ id: 'sevt_torn', type: 'agent.message', processed_at: at(1500), content: [] }));
    for (const tail of [line.slice(0, 40), `${line.slice(0, -3)}x}\n`]) {
      await write(evs, tail);
      for (const order of ['asc', 'desc'] as const) {
        for (const limit of [1, 3, 2000]) {
          const got = await firstEventPage(file, { order, limit });
          assert.deepEqual(got, (await reference({ order, limit })).page, `${order} ${limit} ${JSON.stringify(tail.slice(-8))}`);
          assert.ok(!got.data.some((e) => e.id === 'sevt_torn'));
        }
      }
      assert.equal((await firstEventPage(file, { order: 'desc', limit: 1 })).data[0]?.id, 'sevt_w1499');
    }
  });

  it('an empty log is an empty page; a bad record that valid records follow inside the page is refused as corruption', async () => {
    await write([]);
    assert.deepEqual(await firstEventPage(file, { order: 'desc', limit: 20 }), { data: [], next_page: null });
    const evs = events(50).map((e) => encodeRecord(Number(String(e.id).slice(6)), JSON.stringify(e)));
    evs[40] = evs[40]!.replace('"c":"', '"c":"0');
    await fsp.writeFile(file, evs.join(''));
    await assert.rejects(firstEventPage(file, { order: 'desc', limit: 20 }), /valid records follow/);
  });
});
