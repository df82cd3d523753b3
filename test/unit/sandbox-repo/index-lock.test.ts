import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearIndexLock, STALE_LOCK_MS } from '../../../src/sandbox/repo/index-lock';

// A git index lock left by a killed process: a live command's (young) is waited for, a dead one's (stale) removed.

describe('sandbox/repo: clearIndexLock', () => {
  let dir: string;
  let lock: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-lock-'));
    lock = path.join(dir, 'index.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns at once without a lock', async () => {
    await clearIndexLock(lock);
    assert.equal(existsSync(lock), false);
  });

  it('removes a stale lock', async () => {
    writeFileSync(lock, '');
    const old = (Date.now() - STALE_LOCK_MS - 1000) / 1000;
    utimesSync(lock, old, old);
    await clearIndexLock(lock);
    assert.equal(existsSync(lock), false);
  });

  it('waits for a young lock until its command lets it go, and does not remove it itself', async () => {
    writeFileSync(lock, 'live');
    let released = false;
    const command = setTimeout(() => {
      released = true;
      rmSync(lock);
    }, 100);
    try {
      await clearIndexLock(lock);
      assert.equal(released, true, 'it returned only after the live command released the lock');
    } finally {
      clearTimeout(command);
    }
  });
});
