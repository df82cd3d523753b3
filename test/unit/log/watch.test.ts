import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { watchWithPoll } from '../../../src/log';
import { sleep, tempDir, until } from './support';

// watchWithPoll: fs.watch first, a poll behind it that may be slow while fs.watch runs and is fast without it.

describe('watchWithPoll', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('reports changes through fs.watch while its own poll is slow', async () => {
    let calls = 0;
    const stop = watchWithPoll(dir, () => calls++, 10, 3_600_000);
    try {
      await fsp.writeFile(path.join(dir, 'a'), 'x');
      await until(() => calls > 0, 5_000);
    } finally {
      stop();
    }
  });

  it('polls at the fast period where fs.watch cannot be set up, and stops when told', async () => {
    // A missing target: fs.watch throws, so only the poll (the fast one) can report it appearing.
    let calls = 0;
    const stop = watchWithPoll(path.join(dir, 'not-yet'), () => calls++, 10, 3_600_000);
    await until(() => calls >= 3, 5_000);
    stop();
    const seen = calls;
    await sleep(50);
    assert.equal(calls, seen);
  });

  // The safety poll beside a working fs.watch (nothing changes in `dir`, so every call below is a poll).
  it('backs the safety poll off while its calls find nothing fs.watch had not reported', async () => {
    const times: number[] = [];
    const stop = watchWithPoll(dir, () => Promise.resolve(times.push(Date.now()) < 0), 10, { fastMs: 10, slowMs: 3_600_000 });
    try {
      await until(() => times.length >= 6, 5_000);
    } finally {
      stop();
    }
    // Periods 10, 20, 40, ...: each gap at least its period (a timer may fire a millisecond early, never later ones).
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    gaps.forEach((gap, i) => assert.ok(gap >= 10 * 2 ** (i + 1) - 2, `gaps ${gaps.join(', ')} ms`));
  });

  it('returns the safety poll to its fast period for good once a poll finds a change fs.watch missed', async () => {
    // Backed off to 160 ms by the fifth poll, which finds a change: the next twenty polls come every 10 ms (a poll
    // that kept backing off, or backed off again after the miss, would need hours for them).
    let polls = 0;
    const stop = watchWithPoll(dir, () => Promise.resolve(++polls === 5), 10, { fastMs: 10, slowMs: 3_600_000 });
    try {
      await until(() => polls >= 25, 5_000);
    } finally {
      stop();
    }
  });
});
