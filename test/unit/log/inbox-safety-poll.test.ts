import assert from 'node:assert/strict';
import { deliverInbox, Inbox, submitToInbox, type StoredEvent } from '../../../src/log';
import { PollDriver } from './poll-driver';
import { event, tempDir } from './support';

// Inbox.watch's safety poll beside fs.watch (inbox.ts, watch.ts) backs off while fs.watch reports every batch and
// returns to its fast period for good once it catches a batch fs.watch missed. A batch fs.watch and the poll both see
// (the poll's readdir racing the watch event, in either order, or a watch that reports a little late, as macOS's
// FSEvents does) must be handed on once and is no miss; only a batch fs.watch never reports is. Driven by hand
// (PollDriver): no timing.

const FAST = 1_000;
const SLOW = 15_000;

describe('inbox: the safety poll beside fs.watch', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let driver: PollDriver;
  let inbox: Inbox;
  let stop: () => void;
  let told: number;
  let delivered: StoredEvent[];
  let delivering: Promise<unknown>;
  let onTold: (() => void) | null;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    driver = new PollDriver();
    inbox = await Inbox.open(dir, { safetyPoll: { fastMs: FAST, slowMs: SLOW, timer: driver.timer } });
    told = 0;
    delivered = [];
    delivering = Promise.resolve();
    // What the lease holder does when told (session-host): hand every pending batch on, then ack it.
    onTold = null;
    const onNew = () => {
      told += 1;
      onTold?.();
      delivering = delivering.then(() => deliverInbox(inbox, (id) => delivered.some((e) => e.id === id), async (events) => void delivered.push(...events)));
    };
    stop = driver.watching(() => inbox.watch(onNew));
    // The check made when watching starts, and a quiet spell: the poll backs off to 4 s.
    assert.deepEqual(await driver.quiet(2), [2 * FAST, 4 * FAST]);
  });
  afterEach(async () => {
    stop();
    await cleanup();
  });

  const submit = async () => (await submitToInbox(dir, [event('user.message', {}, null)]))[0]!.id;
  /** Resolves once the inbox tells of new batches (after a watch event, whose check nothing else waits for). */
  const nextTold = () => new Promise<void>((resolve) => (onTold = resolve));
  const settled = async () => {
    await delivering;
    return { told, delivered: delivered.map((e) => e.id) };
  };

  it('hands on a batch fs.watch reports while the poll reads the inbox once, and keeps backing off', async () => {
    const id = await submit();
    const polled = driver.poll();
    driver.report();
    assert.equal(await polled, 4 * FAST, 'a change fs.watch reported too proves nothing: the period is kept');
    assert.deepEqual(await settled(), { told: 1, delivered: [id] });
    assert.deepEqual(await driver.quiet(3), [8 * FAST, SLOW, SLOW]);
  });

  it('hands on a batch the poll reads while the check fs.watch asked for runs once, and keeps backing off', async () => {
    const id = await submit();
    driver.report();
    assert.equal(await driver.poll(), 8 * FAST, 'the poll found nothing the watch had not');
    assert.deepEqual(await settled(), { told: 1, delivered: [id] });
    assert.deepEqual(await driver.quiet(2), [SLOW, SLOW]);
  });

  it('does not take a poll that finds only what fs.watch already handed on for a miss', async () => {
    const id = await submit();
    const toldOf = nextTold();
    driver.report();
    await toldOf;
    assert.deepEqual(await settled(), { told: 1, delivered: [id] });
    assert.deepEqual(await driver.quiet(3), [8 * FAST, SLOW, SLOW]);
  });

  it('does not take a batch fs.watch reports just after the poll found it for a miss', async () => {
    const id = await submit();
    await driver.poll();
    assert.deepEqual(await settled(), { told: 1, delivered: [id] });
    // A watch whose events come late (FSEvents on macOS reports after a latency): the same batch, told already.
    driver.report();
    assert.deepEqual(await settled(), { told: 1, delivered: [id] });
    const periods = await driver.quiet(4);
    assert.equal(periods.at(-1), SLOW, `periods after it ${periods.join(', ')} ms: the poll backs off again`);
  });

  it('hands on a batch fs.watch never reports through the poll, which then stays at its fast period for good', async () => {
    const id = await submit();
    await driver.poll();
    assert.deepEqual(await settled(), { told: 1, delivered: [id] });
    // At the latest the poll after the one that found it knows fs.watch missed it; from then on, 1 s.
    await driver.poll();
    assert.deepEqual(await driver.quiet(6), Array(6).fill(FAST));
    // And so the next batch fs.watch misses waits 1 s, not 15.
    const next = await submit();
    await driver.poll();
    assert.deepEqual(await settled(), { told: 2, delivered: [id, next] });
    assert.deepEqual(await driver.quiet(2), [FAST, FAST]);
  });
});
