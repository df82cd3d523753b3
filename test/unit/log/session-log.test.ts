import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  acquireLease,
  DuplicateEventIdError,
  EVENTS_FILE,
  InvalidCursorError,
  InvalidEventError,
  InvalidQueryError,
  LeaseLostError,
  LogClosedError,
  LogCorruptError,
  LogFailedError,
  LogNotFoundError,
  LogReadOnlyError,
  SessionLog,
  type Lease,
  type StoredEvent,
} from '../../../src/log';
import { nodeLogIo } from '../../../src/log/log-writer';
import { event, tempDir, until } from './support';

describe('SessionLog', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let lease: Lease;
  const open: SessionLog[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    lease = await acquireLease(dir, 'test', { autoRenew: false });
  });
  afterEach(async () => {
    for (const log of open.splice(0)) await log.close();
    await lease.release();
    await cleanup();
  });

  async function writer(opts: Partial<Parameters<typeof SessionLog.open>[1]> = {}): Promise<SessionLog> {
    const log = await SessionLog.open(dir, { mode: 'writer', lease, ...opts } as Parameters<typeof SessionLog.open>[1]);
    open.push(log);
    return log;
  }
  async function reader(): Promise<SessionLog> {
    const log = await SessionLog.open(dir, { mode: 'reader', pollMs: 20 });
    open.push(log);
    return log;
  }
  const file = () => path.join(dir, EVENTS_FILE);
  async function closeAll(): Promise<void> {
    for (const log of open.splice(0)) await log.close();
  }
  async function withEvents(n: number): Promise<void> {
    const log = await writer();
    for (let i = 0; i < n; i++) await log.append([event('t', { i })], { durable: true });
    await closeAll();
  }

  describe('append, read, reopen', () => {
    it('assigns seq and ids, keeps given ids, and replays the same events after reopening', async () => {
      const log = await writer();
      const first = await log.append([event('user.message', { content: [{ type: 'text', text: 'hi' }] })], { durable: true });
      const second = await log.append([{ id: 'sevt_given', type: 'agent.message', processed_at: null }, event('x')]);
      assert.deepEqual([...first, ...second].map((r) => r.seq), [0, 1, 2]);
      assert.match(first[0]!.event.id, /^sevt_011[0-9A-Za-z]{22}$/);
      assert.equal(second[0]!.event.id, 'sevt_given');
      assert.equal(log.length, 3);
      assert.equal(log.get(1)?.processed_at, null);
      assert.equal(log.seqOf('sevt_given'), 1);
      const before = log.events().map((e) => ({ ...e }));
      await closeAll();

      const again = await reader();
      assert.deepEqual(again.events(), before);
      assert.deepEqual(again.slice(1, 2), [before[1]]);
      await closeAll();
      const resumed = await writer();
      assert.equal(resumed.repaired, null);
      const [next] = await resumed.append([event('y')]);
      assert.equal(next!.seq, 3);
    });

    it('stores what JSON stores: the in-memory copy equals the replayed one, odd strings included', async () => {
      const log = await writer();
      const odd = { text: 'emoji 🚀, NUL \u0000, lone surrogate \ud800, newline \n, quote "', when: new Date(0), gone: undefined };
      const [r] = await log.append([event('odd', odd)]);
      assert.equal(r!.event.when, '1970-01-01T00:00:00.000Z');
      assert.equal('gone' in r!.event, false);
      await closeAll();
      assert.deepEqual((await reader()).get(0), r!.event);
    });

    it('resolves appends in call order and groups concurrent durable appends into one write and one fdatasync', async () => {
      const log = await writer();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => log.append([event('t', { i })], { durable: true })));
      assert.deepEqual(results.map(([r]) => [r!.seq, r!.event.i]), Array.from({ length: 10 }, (_, i) => [i, i]));
      assert.deepEqual(log.stats, { writes: 1, syncs: 1 });
    });

    it('rejects duplicate ids and invalid events without harming the log', async () => {
      const log = await writer();
      await log.append([{ id: 'sevt_a', type: 't', processed_at: null }]);
      await assert.rejects(log.append([{ id: 'sevt_a', type: 't', processed_at: null }]), DuplicateEventIdError);
      await assert.rejects(log.append([{ id: 'sevt_b', type: 't', processed_at: null }, { id: 'sevt_b', type: 't', processed_at: null }]), DuplicateEventIdError);
      await assert.rejects(log.append([{ id: '', type: '', processed_at: null }]), InvalidEventError);
      await assert.rejects(log.append([{ id: '', type: 't', processed_at: 'yesterday' }]), InvalidEventError);
      // Times in the right shape but of no such day or hour, and an id that is not a string, are refused too.
      await assert.rejects(log.append([{ id: '', type: 't', processed_at: '2026-02-30T10:00:00.000Z' }]), /event 0: .*processed_at/s);
      await assert.rejects(log.append([{ id: '', type: 't', processed_at: '2026-01-01T24:00:00.000Z' }]), InvalidEventError);
      await assert.rejects(log.append([{ id: 7, type: 't', processed_at: null } as unknown as StoredEvent]), InvalidEventError);
      await assert.rejects(log.append([{ id: '', type: 't' } as unknown as StoredEvent]), InvalidEventError);
      const cyclic: Record<string, unknown> = event('t');
      cyclic.self = cyclic;
      await assert.rejects(log.append([cyclic as StoredEvent]), InvalidEventError);
      await assert.rejects(log.append([event('t', { big: 10n })]), InvalidEventError);
      assert.equal(log.length, 1);
      const [ok] = await log.append([event('t')]);
      assert.equal(ok!.seq, 1);
      // A time with an offset is a valid processed_at.
      const [offset] = await log.append([{ id: '', type: 't', processed_at: '2026-01-01T10:00:00+02:00' }]);
      assert.equal(offset!.event.processed_at, '2026-01-01T10:00:00+02:00');
    });

    it('refuses events above maxEventBytes', async () => {
      const log = await writer({ maxEventBytes: 1000 });
      await assert.rejects(log.append([event('t', { blob: 'x'.repeat(2000) })]), /limit is 1000/);
      await log.append([event('t', { blob: 'x'.repeat(500) })]);
      assert.equal(log.length, 1);
    });

    it('is read-only in reader mode and closed after close()', async () => {
      await withEvents(1);
      const r = await reader();
      await assert.rejects(r.append([event('t')]), LogReadOnlyError);
      const w = await writer();
      const pending = w.append([event('t')], { durable: true });
      await w.close();
      assert.equal((await pending)[0]!.seq, 1);
      await assert.rejects(w.append([event('t')]), LogClosedError);
      assert.throws(() => w.subscribe(0, () => undefined), LogClosedError);
    });

    it('reports a missing log to readers and refuses a lease for another directory', async () => {
      await assert.rejects(SessionLog.open(path.join(dir, 'nope'), { mode: 'reader' }), LogNotFoundError);
      await assert.rejects(SessionLog.open(path.join(dir, 'other'), { mode: 'writer', lease }), /lease is for/);
    });
  });

  describe('damage on disk', () => {
    it('truncates a torn last line in writer mode, and a reader ignores it meanwhile', async () => {
      await withEvents(3);
      const good = (await fsp.stat(file())).size;
      const half = '{"s":3,"c":"1234abcd","e":{"id":"sevt_x","ty';
      await fsp.appendFile(file(), half);
      const r = await reader();
      assert.equal(r.length, 3);
      assert.equal((await fsp.stat(file())).size, good + half.length, 'readers never write');
      await closeAll();

      const w = await writer();
      assert.deepEqual(w.repaired, { droppedBytes: half.length, line: 4, reason: 'incomplete last line' });
      assert.equal((await fsp.stat(file())).size, good);
      await w.append([event('t')], { durable: true });
      await closeAll();
      const again = await writer();
      assert.equal(again.repaired, null);
      assert.equal(again.length, 4);
    });

    it('truncates a complete last record whose checksum is wrong', async () => {
      await withEvents(3);
      const lines = (await fsp.readFile(file(), 'utf8')).split('\n');
      lines[2] = lines[2]!.replace('"i":2', '"i":9');
      await fsp.writeFile(file(), lines.join('\n'));
      const w = await writer();
      assert.equal(w.repaired?.reason, 'checksum mismatch');
      assert.equal(w.repaired?.line, 3);
      assert.equal(w.length, 2);
    });

    it('truncates binary garbage after the last record', async () => {
      await withEvents(2);
      await fsp.appendFile(file(), Buffer.from([0, 0, 0xff, 0x0a, 0x7b, 0x22, 0x0a, 0, 0, 0]));
      const w = await writer();
      assert.equal(w.repaired?.droppedBytes, 10);
      assert.equal(w.length, 2);
    });

    it('reports a bad record followed by good ones, naming the line, and changes nothing', async () => {
      await withEvents(4);
      const text = await fsp.readFile(file(), 'utf8');
      const lines = text.split('\n');
      lines[1] = lines[1]!.replace('"i":1', '"i":7');
      await fsp.writeFile(file(), lines.join('\n'));
      const damaged = await fsp.readFile(file());
      for (const mode of ['reader', 'writer'] as const) {
        const err = await SessionLog.open(dir, mode === 'writer' ? { mode, lease } : { mode }).then(
          () => assert.fail('opened a log with a corrupt middle'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof LogCorruptError);
        assert.equal(err.line, 2);
        assert.match(err.message, /line 2 .*checksum mismatch, and valid records follow/);
      }
      assert.deepEqual(await fsp.readFile(file()), damaged);
    });

    it('reports a record whose checksum holds but whose sequence number does not fit', async () => {
      await withEvents(3);
      const lines = (await fsp.readFile(file(), 'utf8')).split('\n');
      lines[2] = lines[2]!.replace('{"s":2,', '{"s":5,');
      await fsp.writeFile(file(), lines.join('\n'));
      await assert.rejects(SessionLog.open(dir, { mode: 'writer', lease }), (e: unknown) => e instanceof LogCorruptError && e.line === 3 && /sequence number 5/.test(e.message));
    });
  });

  describe('list', () => {
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();

    async function tenEvents(): Promise<SessionLog> {
      const log = await writer();
      await log.append(Array.from({ length: 10 }, (_, i) => event(i % 2 ? 'b' : 'a', { i }, at(i))));
      await log.append([event('a', { i: 10 }, null)]);
      return log;
    }
    function walk(log: SessionLog, opts: Parameters<SessionLog['list']>[0]): number[][] {
      const pages: number[][] = [];
      let after: string | null = null;
      do {
        const page = log.list({ ...opts, after });
        pages.push(page.data.map((e) => e.i as number));
        after = page.next_page;
      } while (after);
      return pages;
    }

    it('pages ascending and descending with opaque cursors, with no empty last page', async () => {
      const log = await tenEvents();
      assert.deepEqual(walk(log, { limit: 4 }), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]);
      assert.deepEqual(walk(log, { limit: 4, order: 'desc' }), [[10, 9, 8, 7], [6, 5, 4, 3], [2, 1, 0]]);
      assert.deepEqual(walk(log, { limit: 11 }), [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    });

    it('filters by type and by processed_at bounds', async () => {
      const log = await tenEvents();
      assert.deepEqual(walk(log, { limit: 2, types: ['b'] }), [[1, 3], [5, 7], [9]]);
      assert.deepEqual(walk(log, { limit: 100, createdAt: { gte: at(2), lt: at(5) } }), [[2, 3, 4]]);
      assert.deepEqual(walk(log, { limit: 100, createdAt: { gt: '2026-01-01T02:00:02+02:00' }, order: 'desc' }), [[9, 8, 7, 6, 5, 4, 3]]);
      assert.deepEqual(walk(log, { limit: 2, types: ['a'], createdAt: { lte: at(4) } }), [[0, 2], [4]]);
      assert.deepEqual(log.list({ types: ['none'] }), { data: [], next_page: null });
    });

    it('refuses a cursor made for the other order, a forged cursor and bad options', async () => {
      const log = await tenEvents();
      const asc = log.list({ limit: 2 }).next_page!;
      assert.throws(() => log.list({ order: 'desc', after: asc }), InvalidCursorError);
      assert.throws(() => log.list({ after: 'not-a-cursor' }), InvalidCursorError);
      assert.throws(() => log.list({ after: asc.repeat(1000) }), InvalidCursorError);
      assert.throws(() => log.list({ after: Buffer.from('{"k":"events","o":"asc","p":"x"}').toString('base64url') }), InvalidCursorError);
      assert.throws(() => log.list({ after: Buffer.from('{"k":"store:agents","o":"asc","p":1}').toString('base64url') }), InvalidCursorError);
      assert.throws(() => log.list({ limit: 0 }), InvalidQueryError);
      assert.throws(() => log.list({ createdAt: { gt: 'tomorrow' } }), InvalidQueryError);
    });
  });

  describe('subscribe', () => {
    it('delivers existing events, then live ones, in order, exactly once', async () => {
      const log = await writer();
      await log.append([event('t', { i: 0 }), event('t', { i: 1 })]);
      const seen: [number, unknown][] = [];
      const stop = log.subscribe(0, (e, seq) => seen.push([seq, e.i]));
      assert.deepEqual(seen, [[0, 0], [1, 1]]);
      await Promise.all([log.append([event('t', { i: 2 })], { durable: true }), log.append([event('t', { i: 3 })])]);
      assert.deepEqual(seen, [[0, 0], [1, 1], [2, 2], [3, 3]]);
      stop();
      await log.append([event('t', { i: 4 })]);
      assert.equal(seen.length, 4);
    });

    it('starts at fromSeq, also beyond the current end', async () => {
      const log = await writer();
      await log.append([event('t'), event('t')]);
      const seqs: number[] = [];
      log.subscribe(3, (_e, seq) => seqs.push(seq));
      await log.append([event('t'), event('t'), event('t')]);
      assert.deepEqual(seqs, [3, 4]);
      assert.throws(() => log.subscribe(-1, () => undefined), InvalidQueryError);
    });

    it('isolates a throwing listener: it is unsubscribed and told, others keep receiving', async () => {
      const log = await writer();
      const errors: unknown[] = [];
      const good: number[] = [];
      log.subscribe(0, () => { throw new Error('boom'); }, { onError: (e) => errors.push(e) });
      log.subscribe(0, (_e, seq) => good.push(seq));
      await log.append([event('t'), event('t')]);
      assert.equal(errors.length, 1);
      assert.deepEqual(good, [0, 1]);
    });

    it('lets a reader in the same process follow a writer', async () => {
      const w = await writer();
      await w.append([event('t', { i: 0 })]);
      const r = await reader();
      const seen: unknown[] = [];
      const stop = r.subscribe(0, (e) => seen.push(e.i));
      await w.append([event('t', { i: 1 }), event('t', { i: 2 })], { durable: true });
      await until(() => seen.length === 3);
      stop();
      await w.append([event('t', { i: 3 })]);
      assert.equal(await r.refresh(), 1);
      assert.deepEqual(seen, [0, 1, 2]);
      assert.equal(r.length, 4);
    });
  });

  describe('failures are fatal', () => {
    it('rejects the failed durable append and every later one when fdatasync fails', async () => {
      const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      const log = await writer({ io: { write: nodeLogIo.write, fdatasync: () => Promise.reject(eio) } });
      await log.append([event('t')]);
      const seen: number[] = [];
      log.subscribe(0, (_e, seq) => seen.push(seq));
      const results = await Promise.allSettled([log.append([event('t')], { durable: true }), log.append([event('t')])]);
      for (const r of results) assert.ok(r.status === 'rejected' && r.reason instanceof LogFailedError && r.reason.cause === eio);
      await assert.rejects(log.append([event('t')]), LogFailedError);
      assert.deepEqual(seen, [0], 'nothing unsynced is shown to subscribers');
      assert.equal(log.length, 1);
    });

    it('refuses appends once another holder took the lease (generation changed on disk)', async () => {
      const log = await writer();
      await log.append([event('t')], { durable: true });
      await fsp.writeFile(path.join(dir, 'lease.json'), JSON.stringify({ owner: 'thief', pid: process.pid, hostname: 'elsewhere', generation: lease.generation + 1, expires_at: new Date(Date.now() + 60_000).toISOString() }));
      await assert.rejects(lease.renew(), LeaseLostError);
      await assert.rejects(log.append([event('t')]), LeaseLostError);
      await assert.rejects(log.append([event('t')]), LeaseLostError);
      assert.equal(log.length, 1);
    });

    it('refuses appends once its lease expired and another process took it', async () => {
      const short = await acquireLease(path.join(dir, 's'), 'short', { ttlMs: 50, autoRenew: false });
      const log = await SessionLog.open(path.join(dir, 's'), { mode: 'writer', lease: short });
      open.push(log);
      await log.append([event('t')]);
      await until(() => !short.isValid());
      const next = await acquireLease(path.join(dir, 's'), 'next', { autoRenew: false });
      assert.equal(next.generation, short.generation + 1);
      await assert.rejects(log.append([event('t')]), LeaseLostError);
      await next.release();
    });
  });
});
