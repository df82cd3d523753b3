import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { follow } from '../../../src/cli/follow';
import { reply } from '../../../src/model/scripted';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// The CLI's follower when the turn it waits for will not come: a start that failed before the follower had finished
// setting up aborted its signal already, and the follower must still end (it once waited for an abort event forever).

describe('cli: follow stops when its turn will not come', function () {
  this.timeout(30_000);
  let t: TestRuntime | undefined;
  afterEach(async () => t?.close());

  it('rejects at once with a signal aborted before it subscribed', async () => {
    t = await makeTestRuntime({ script: [reply.text('done')] });
    const id = await t.start('hello');
    await t.waitFor(id, (e) => e.some((x) => x.type === 'session.status_idle'));
    const out = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    out.resume();
    const fromSeq = await t.runtime.sessions.eventCount(id);
    const following = follow(t.runtime, id, { fromSeq, json: true, interactive: false, autoApprove: false, out, signal: AbortSignal.abort() });
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000).unref());
    const outcome = await Promise.race([following.then(() => 'resolved', (err: Error) => err.message), timeout]);
    assert.equal(outcome, 'stopped following: the turn did not start');
  });
});
