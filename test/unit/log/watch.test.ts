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
});
