import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { collect, startApi, type ApiFixture } from '../api/helpers';

// The thinking content Hangar keeps for replay is never served: not by the events list, not on the SDK stream.

describe('harness: kept thinking stays private on the API', () => {
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('lists and streams agent.thinking as an envelope only', async () => {
    f = await startApi({ script: [reply.tool('bash', { command: 'echo hi' }), reply.text('done')] });
    const agent = await f.agent();
    const session = await f.session(agent.id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
    const seen = await collect(stream, (s) => s.some((e) => e.type === 'session.status_idle'));
    const listed = [];
    for await (const e of f.client.beta.sessions.events.list(session.id)) listed.push(e);
    for (const events of [seen, listed]) {
      const thinking = events.filter((e) => e.type === 'agent.thinking');
      assert.ok(thinking.length >= 2);
      for (const e of thinking) assert.deepEqual(Object.keys(e).sort(), ['id', 'processed_at', 'type']);
      assert.doesNotMatch(JSON.stringify(events), /_hangar|signature/);
    }
    assert.deepEqual(f.t.model.rejected, []);
  });
});
