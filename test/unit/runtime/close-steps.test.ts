import assert from 'node:assert/strict';
import { CloseError, closeInOrder, closeTogether } from '../../../src/runtime/close-steps';

// Closing does not stop at a failed step: what comes after it still closes, and every failure is named at the end.

describe('close steps', () => {
  it('runs every step in order after one fails, and names each failure', async () => {
    const ran: string[] = [];
    const err = await closeInOrder([
      ['the driver', () => void ran.push('driver')],
      ['the lease', () => Promise.reject(new Error('ENOENT: lease.lock'))],
      ['the sandbox', () => void ran.push('sandbox')],
      ['the reader', () => { throw new Error('EBADF'); }],
    ]).catch((e: unknown) => e);
    assert.deepEqual(ran, ['driver', 'sandbox']);
    assert.ok(err instanceof CloseError);
    assert.deepEqual(err.failures.map((f) => f.step), ['the lease', 'the reader']);
    assert.equal(err.message, 'the lease: ENOENT: lease.lock; the reader: EBADF');
  });

  it('waits for every step run together, and keeps a nested close\'s names under its own', async () => {
    let slowDone = false;
    const err = await closeTogether([
      ['session a', () => closeInOrder([['its lease', () => Promise.reject(new Error('gone'))]])],
      ['session b', () => new Promise<void>((resolve) => setImmediate(() => resolve(void (slowDone = true))))],
    ]).catch((e: unknown) => e);
    assert.ok(slowDone, 'the failure did not end the wait for the other session');
    assert.ok(err instanceof CloseError);
    assert.equal(err.message, 'session a: its lease: gone');
  });

  it('resolves when every step closed', async () => {
    await closeInOrder([['one', () => undefined]]);
    await closeTogether([]);
  });
});
