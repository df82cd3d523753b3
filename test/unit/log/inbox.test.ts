import assert from 'node:assert/strict';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  acquireLease,
  deliverInbox,
  DuplicateEventIdError,
  Inbox,
  INBOX_DIR,
  InvalidEventError,
  LogNotFoundError,
  SessionLog,
  submitToInbox,
  type Lease,
  type StoredEvent,
} from '../../../src/log';
import { event, tempDir, until } from './support';

describe('inbox', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let lease: Lease;
  let log: SessionLog;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    lease = await acquireLease(dir, 'owner', { autoRenew: false });
    log = await SessionLog.open(dir, { mode: 'writer', lease });
  });
  afterEach(async () => {
    await log.close();
    await lease.release();
    await cleanup();
  });
  const pending = async () => (await fsp.readdir(path.join(dir, INBOX_DIR))).filter((n) => n.endsWith('.json'));

  it('carries batches from submitters to the log in submission order, with submitter-assigned ids', async () => {
    const a = await submitToInbox(dir, [event('user.message', { n: 1 }, null), event('user.message', { n: 2 }, null)]);
    const b = await submitToInbox(dir, [event('user.interrupt', { n: 3 }, null)]);
    assert.ok([...a, ...b].every((e) => /^sevt_011/.test(e.id)));
    const inbox = await Inbox.open(dir);
    const batches = await inbox.drain();
    assert.deepEqual(batches.map((x) => x.events.map((e) => e.n)), [[1, 2], [3]]);
    assert.deepEqual(batches.flatMap((x) => x.events.map((e) => e.id)), [...a, ...b].map((e) => e.id));

    const appended = await deliverInbox(inbox, (id) => log.has(id), async (evs) => void (await log.append(evs, { durable: true })));
    assert.deepEqual(appended.map((e) => e.n), [1, 2, 3]);
    assert.deepEqual(log.events().map((e) => e.n), [1, 2, 3]);
    assert.deepEqual(await pending(), []);
    assert.deepEqual(await inbox.drain(), []);
  });

  it('never duplicates a batch appended before a crash that prevented its ack', async () => {
    const sent = await submitToInbox(dir, [event('user.message', { n: 1 }, null), event('user.message', { n: 2 }, null)]);
    const inbox = await Inbox.open(dir);
    const [batch] = await inbox.drain();
    await log.append(batch!.events, { durable: true });
    // ...the owner dies here; the next owner drains the same file again.
    const appended = await deliverInbox(inbox, (id) => log.has(id), async (evs) => void (await log.append(evs, { durable: true })));
    assert.deepEqual(appended, []);
    assert.deepEqual(await pending(), []);
    assert.deepEqual(log.events().map((e) => e.id), sent.map((e) => e.id));
    // A submitter that retries the same events after a timeout is deduplicated too.
    await submitToInbox(dir, sent);
    assert.deepEqual(await deliverInbox(inbox, (id) => log.has(id), async (evs) => void (await log.append(evs, { durable: true }))), []);
    assert.equal(log.length, 2);
  });

  it('moves a malformed batch aside, reports it, and still delivers the good ones', async () => {
    const inboxDir = path.join(dir, INBOX_DIR);
    await submitToInbox(dir, [event('user.message', { n: 1 }, null)]);
    await fsp.writeFile(path.join(inboxDir, '000000000000001-000000-aaaaaaaaaaaa.json'), '{"events":[{"type":');
    await fsp.writeFile(path.join(inboxDir, '000000000000002-000000-bbbbbbbbbbbb.json'), JSON.stringify({ events: [{ type: 'x' }] }));
    await fsp.writeFile(path.join(inboxDir, 'stray.json.1234.tmp'), 'half');
    const rejected: string[] = [];
    const inbox = await Inbox.open(dir, { onReject: (file, reason) => rejected.push(`${path.basename(file)}: ${reason}`) });
    const appended = await deliverInbox(inbox, (id) => log.has(id), async (evs) => void (await log.append(evs, { durable: true })));
    assert.deepEqual(appended.map((e) => e.n), [1]);
    assert.equal(rejected.length, 2);
    assert.match(rejected[0]!, /aaaa.*not JSON/);
    assert.match(rejected[1]!, /bbbb.*id/);
    assert.deepEqual((await fsp.readdir(path.join(inboxDir, 'rejected'))).sort(), ['000000000000001-000000-aaaaaaaaaaaa.json', '000000000000002-000000-bbbbbbbbbbbb.json']);
  });

  it('refuses invalid submissions before writing anything', async () => {
    await assert.rejects(submitToInbox(dir, [{ id: '', type: '', processed_at: null }]), InvalidEventError);
    await assert.rejects(submitToInbox(dir, [{ id: 'x', type: 't' } as unknown as StoredEvent]), InvalidEventError);
    await assert.rejects(submitToInbox(dir, [{ id: 'sevt_1', type: 't', processed_at: null }, { id: 'sevt_1', type: 't', processed_at: null }]), DuplicateEventIdError);
    assert.deepEqual(await submitToInbox(dir, []), []);
    await assert.rejects(submitToInbox(path.join(dir, 'no-such-session'), [event('user.message')]), LogNotFoundError);
    await fsp.mkdir(path.join(dir, INBOX_DIR), { recursive: true });
    assert.deepEqual(await pending(), []);
    const inbox = await Inbox.open(dir);
    await assert.rejects(inbox.ack({ name: '../events.jsonl', events: [] }), InvalidEventError);
  });

  it('watch() tells the owner about new batches once each', async () => {
    const inbox = await Inbox.open(dir, { pollMs: 20 });
    let calls = 0;
    const stop = inbox.watch(() => calls++);
    await submitToInbox(dir, [event('user.message', {}, null)]);
    await until(() => calls === 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 1, 'the same pending batch is not announced twice');
    await submitToInbox(dir, [event('user.message', {}, null)]);
    await until(() => calls === 2);
    stop();
    await submitToInbox(dir, [event('user.message', {}, null)]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 2);
  });

  it('watch() announces every batch through fs.watch alone, its poll out of the way', async () => {
    // Each submission shows up as the temp file's creation (a check that may find nothing yet) and then its rename.
    const inbox = await Inbox.open(dir, { pollMs: 3_600_000 });
    let calls = 0;
    const stop = inbox.watch(() => calls++);
    try {
      for (let i = 1; i <= 20; i++) {
        await submitToInbox(dir, [event('user.message', {}, null)]);
        await until(() => calls === i, 5_000);
      }
    } finally {
      stop();
    }
  });

  it('watch() picks up a batch fs.watch never reports, through its backed-off safety poll', async () => {
    // fs.watch set up on an empty directory of its own: a watch that works but misses every batch.
    const blind = await fsp.mkdtemp(path.join(dir, 'blind-'));
    const realWatch = fs.watch;
    const inbox = await Inbox.open(dir, { safetyPoll: { fastMs: 10, slowMs: 80 } });
    let calls = 0;
    fs.watch = ((_target: fs.PathLike, listener: fs.WatchListener<string>) => realWatch(blind, listener)) as typeof fs.watch;
    let stop: () => void;
    try {
      stop = inbox.watch(() => calls++);
    } finally {
      fs.watch = realWatch;
    }
    try {
      await new Promise((r) => setTimeout(r, 300));
      await submitToInbox(dir, [event('user.message', {}, null)]);
      await until(() => calls === 1, 5_000);
      await submitToInbox(dir, [event('user.message', {}, null)]);
      await until(() => calls === 2, 5_000);
    } finally {
      stop();
    }
  });
});
