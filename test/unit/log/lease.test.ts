import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireLease, LeaseCorruptError, LeaseHeldError, LeaseLostError, readLease, type Lease } from '../../../src/log';
import { withFileLock } from '../../../src/log/file-lock';
import { spawnChild, tempDir, until, type Child } from './support';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('lease', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  const held: Lease[] = [];
  const children: Child[] = [];

  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.proc.stdin!.end();
      await c.exited;
    }
    for (const l of held.splice(0)) await l.release();
    await cleanup();
  });
  const take = async (owner: string, opts?: Parameters<typeof acquireLease>[2]) => {
    const lease = await acquireLease(dir, owner, { autoRenew: false, ...opts });
    held.push(lease);
    return lease;
  };
  // Another holder writes under the lease's lock, as acquireLease does: a write around the lock could land between a
  // background renewal's read and its write and be overwritten, so no loss would ever be seen.
  const writeLease = (record: object) =>
    withFileLock(path.join(dir, 'lease.lock'), () => fsp.writeFile(path.join(dir, 'lease.json'), JSON.stringify(record)));
  const future = () => new Date(Date.now() + 60_000).toISOString();

  it('refuses a second acquirer while the first holds it, naming the holder', async () => {
    const first = await take('window-1');
    assert.equal(first.generation, 1);
    assert.ok(first.isValid());
    const err = await acquireLease(dir, 'window-2').then(() => assert.fail('second acquirer won'), (e: unknown) => e);
    assert.ok(err instanceof LeaseHeldError);
    assert.equal(err.owner, 'window-1');
    assert.equal(err.pid, process.pid);
    assert.match(err.message, /window-1 \(pid \d+/);
  });

  it('takes over the lease of a dead process on this host before it expires, with a higher generation', async () => {
    await writeLease({ owner: 'ghost', pid: deadPid(), hostname: os.hostname(), generation: 7, expires_at: future() });
    const lease = await take('heir');
    assert.equal(lease.generation, 8);
    const onDisk = await readLease(dir);
    assert.equal(onDisk?.owner, 'heir');
    assert.equal(onDisk?.pid, process.pid);
  });

  it('does not judge a pid from another host: it waits for expiry', async () => {
    await writeLease({ owner: 'remote', pid: deadPid(), hostname: `${os.hostname()}-other`, generation: 1, expires_at: future() });
    await assert.rejects(take('local'), LeaseHeldError);
    await writeLease({ owner: 'remote', pid: deadPid(), hostname: `${os.hostname()}-other`, generation: 1, expires_at: new Date(Date.now() - 1).toISOString() });
    assert.equal((await take('local')).generation, 2);
  });

  it('keeps the generation across release, so the next holder still fences out the previous one', async () => {
    const first = await take('a');
    await first.release();
    assert.equal(first.isValid(), false);
    const second = await take('b');
    assert.equal(second.generation, 2);
    await assert.rejects(first.renew(), LeaseLostError);
  });

  it('renews, and notices when another holder replaced it', async () => {
    const lease = await take('a', { ttlMs: 60_000 });
    const before = Date.parse((await readLease(dir))!.expires_at);
    await new Promise((r) => setTimeout(r, 5));
    await lease.renew();
    assert.ok(Date.parse((await readLease(dir))!.expires_at) > before);
    const lost: LeaseLostError[] = [];
    lease.onLost((e) => lost.push(e));
    await writeLease({ owner: 'b', pid: process.pid, hostname: os.hostname(), generation: 2, expires_at: future() });
    await assert.rejects(lease.renew(), LeaseLostError);
    assert.equal(lease.isValid(), false);
    assert.equal(lost.length, 1);
  });

  it('auto-renews in the background and reports a loss it finds', async () => {
    const lease = await take('a', { ttlMs: 150, autoRenew: true });
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(lease.isValid(), 'auto-renew kept the lease past its ttl');
    const lost: LeaseLostError[] = [];
    lease.onLost((e) => lost.push(e));
    await writeLease({ owner: 'b', pid: process.pid, hostname: os.hostname(), generation: 9, expires_at: future() });
    await until(() => lost.length === 1);
    assert.equal(lease.isValid(), false);
  });

  it('lets exactly one of many concurrent acquirers in this process win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireLease(dir, `c${i}`, { autoRenew: false })));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    held.push(won[0]!.value);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof LeaseHeldError);
  });

  it('lets exactly one of several racing processes win', async () => {
    for (let i = 0; i < 4; i++) children.push(spawnChild('lease', dir));
    const outcomes = await Promise.all(children.map((c) => c.waitFor((l) => l === 'held' || l.startsWith('won '))));
    assert.deepEqual(outcomes.filter((o) => o.startsWith('won')), ['won 1']);
    assert.equal(outcomes.filter((o) => o === 'held').length, 3);
  });

  it('breaks a lock file left by a dead process', async () => {
    await fsp.writeFile(path.join(dir, 'lease.lock'), JSON.stringify({ pid: deadPid(), hostname: os.hostname(), nonce: 'x' }));
    assert.equal((await take('a')).generation, 1);
    await assert.rejects(fsp.stat(path.join(dir, 'lease.lock')), { code: 'ENOENT' });
  });

  it('breaks an empty or unparseable lock file at once: what a kill while taking the lock leaves', async () => {
    // A fresh file: before the fix it blocked every acquirer until it was 10 s old (acquire gave up after 5 s).
    const lock = path.join(dir, 'lease.lock');
    await fsp.writeFile(lock, '');
    assert.equal((await take('a')).generation, 1);
    await held.pop()!.release();
    await fsp.writeFile(lock, '\u0000garbage');
    assert.equal((await take('b')).generation, 2);
  });

  it('refuses to guess around a corrupt lease file', async () => {
    await fsp.writeFile(path.join(dir, 'lease.json'), '{"owner":');
    await assert.rejects(take('a'), LeaseCorruptError);
    await writeLease({ owner: 'a', pid: 'one', hostname: 'h', generation: -1, expires_at: 'soon' });
    await assert.rejects(take('a'), LeaseCorruptError);
  });
});
