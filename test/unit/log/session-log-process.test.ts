import assert from 'node:assert/strict';
import { acquireLease, SessionLog } from '../../../src/log';
import { sleep, spawnChild, tempDir, until, type Child } from './support';

describe('SessionLog across processes', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let child: Child | null = null;

  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    child = null;
    await cleanup();
  });

  it('a reader in this process sees a writer in another process append live, in order, exactly once', async () => {
    const count = 25;
    child = spawnChild('live', dir, String(count));
    await child.waitFor((l) => l === 'ready');
    const log = await SessionLog.open(dir, { mode: 'reader', pollMs: 50 });
    const seen: [number, unknown][] = [];
    const stop = log.subscribe(0, (e, seq) => seen.push([seq, e.n]));
    child.proc.stdin!.write('go\n');
    await child.waitFor((l) => l === 'done');
    await until(() => seen.length >= count);
    // Several poll periods more: a second delivery of anything would show up here.
    await sleep(300);
    stop();
    assert.deepEqual(seen, Array.from({ length: count }, (_, i) => [i, i]));
    await log.close();
  });

  it('after kill -9 mid-burst the log reopens cleanly with every acknowledged durable event', async () => {
    child = spawnChild('burst', dir);
    await child.waitFor((l) => l === 'ready');
    await child.waitFor((l) => l.startsWith('ack ') && Number(l.split(' ')[1]) >= 300);
    child.proc.kill('SIGKILL');
    await child.exited;
    const acked = child.lines.filter((l) => l.startsWith('ack ')).map((l) => l.split(' '));
    assert.ok(acked.length >= 300);

    // The dead child's lease is taken over without waiting for it to expire.
    const lease = await acquireLease(dir, 'parent', { autoRenew: false });
    assert.equal(lease.generation, 2);
    const log = await SessionLog.open(dir, { mode: 'writer', lease });
    for (const [, seq, id] of acked) assert.equal(log.get(Number(seq))?.id, id, `acked event ${seq} is missing`);
    log.events().forEach((e, seq) => assert.equal(e.n, seq));
    const [next] = await log.append([{ id: '', type: 't', processed_at: null }], { durable: true });
    assert.equal(next!.seq, log.length - 1);
    await log.close();
    await lease.release();
  });
});
