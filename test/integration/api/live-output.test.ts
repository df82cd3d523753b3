import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import type { StreamPreview } from '../../../src/wire';
import { collect, idleWith, startApi, typesOf, type ApiFixture } from './helpers';

// A running command's live output is Hangar's own preview: the reference's streams preview agent.message and
// agent.thinking only (§3.3; any other event_deltas value is a 400), so the API sends none, even to a client that
// opted into every preview it may ask for, while the runtime's own subscribers (the panel, the CLI) get them.

describe('API: live tool output stays off the wire', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('sends no tool_output frame on a stream with every allowed event_deltas value', async () => {
    f = await startApi({ script: [reply.tool('bash', { command: 'for i in 1 2 3 4; do echo "tick $i"; sleep 0.3; done' }), reply.text('done')] });
    const session = await f.session((await f.agent()).id);
    const previews: StreamPreview[] = [];
    const off = await f.t.runtime.sessions.subscribe(session.id, 0, () => undefined, (p) => previews.push(p));
    const stream = await f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message', 'agent.thinking'] });
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'tick' }] }] });
    const seen = await collect(stream, idleWith('end_turn'));
    off();
    assert.ok(previews.some((p) => p.type === 'tool_output' && p.tail.includes('tick 1')), 'the runtime previewed the output');
    assert.ok(!typesOf(seen).includes('tool_output' as never), typesOf(seen).join(', '));
    const result = seen.find((e) => e.type === 'agent.tool_result');
    assert.ok(result?.type === 'agent.tool_result');
    assert.deepEqual(result.content, [{ type: 'text', text: 'tick 1\ntick 2\ntick 3\ntick 4' }]);
  });
});
