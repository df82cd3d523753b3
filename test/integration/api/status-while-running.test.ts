import assert from 'node:assert/strict';
import { reply, type RecordedRequest } from '../../../src/model/scripted';
import { startApi, type ApiFixture } from './helpers';

// A session's status while its turn runs (issue #15: a detached window once read `idle` right after the turn's second
// model request arrived). The status is the fold of the log: in the process that drives the session from its
// in-memory log, in another process on the same storage from the file (SessionIndex). Both must say running for as
// long as a model request is held, and idle once it is answered. The held request is released by the test, so the
// check does not depend on how fast the machine is.

describe('API: status while a turn runs', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('is running for the driving runtime (over the SDK) and for another runtime on the same storage until the held answer comes', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let secondAsked: () => void = () => undefined;
    const asked = new Promise<void>((r) => (secondAsked = r));
    f = await startApi({
      script: async (req: RecordedRequest) => {
        if (!JSON.stringify(req.body.messages).includes('tool_result')) return reply.tool('write', { file_path: 'notes.md', content: 'x\n' });
        secondAsked();
        await held;
        return reply.text('Finished.');
      },
    });
    const session = await f.session((await f.agent()).id);
    const reader = f.t.reopen('another-process');
    assert.equal((await reader.sessions.retrieve(session.id)).status, 'idle', 'a new session is idle');
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'write notes' }] }] });
    await asked;
    for (let i = 0; i < 20; i++) {
      assert.equal((await f.client.beta.sessions.retrieve(session.id)).status, 'running', `retrieve #${i} while the second request is held`);
      assert.equal((await reader.sessions.retrieve(session.id)).status, 'running', `another process's retrieve #${i}`);
      assert.equal((await f.client.beta.sessions.list()).data.find((s) => s.id === session.id)?.status, 'running', `list #${i}`);
    }
    release();
    for (let i = 0; i < 200 && (await f.client.beta.sessions.retrieve(session.id)).status !== 'idle'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await f.client.beta.sessions.retrieve(session.id)).status, 'idle');
    for (let i = 0; i < 200 && (await reader.sessions.retrieve(session.id)).status !== 'idle'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await reader.sessions.retrieve(session.id)).status, 'idle', 'the other process sees the end too');
  });
});
