import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { CheckpointList } from '../../../src/wire/checkpoint';
import { HANGAR_INCLUDE } from '../../../src/wire/hangar-include';
import { collect, idleWith, raw, startApi, typesOf, type ApiFixture } from './helpers';

// Hangar's extras on the event list and stream (issue #15, wire/hangar-include.ts): a client that asks with
// hangar_include[] gets the log's hangar.checkpoint / hangar.rewind events in their place, and a running tool's live
// output on the stream; one that does not (the official SDK as it is) gets exactly what it got before. The real SDK
// passes the parameter in its params object.

describe('API: hangar_include (checkpoint events and tool output for clients that ask)', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('lists and streams checkpoint events and tool output only when asked; a rewind shows in place', async () => {
    f = await startApi({ script: [reply.tool('bash', { command: 'for i in 1 2 3 4; do echo "tick $i" >> ticks.txt; cat ticks.txt; sleep 0.3; done' }), reply.text('done'), reply.text('again')] });
    const session = await f.session((await f.agent()).id);
    const plain = await f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    const extras = await f.client.beta.sessions.events.stream(session.id, Object.assign({ event_deltas: ['agent.message' as const] }, { [HANGAR_INCLUDE]: ['checkpoints', 'tool_output'] }));
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'tick' }] }] });
    const [plainSeen, extraSeen] = await Promise.all([collect(plain, idleWith('end_turn')), collect(extras, idleWith('end_turn'))]);

    assert.ok(!typesOf(plainSeen).some((t) => t.startsWith('hangar.') || t === 'tool_output'), `the SDK's stream is unchanged: ${typesOf(plainSeen).join(', ')}`);
    const extraTypes = typesOf(extraSeen);
    assert.ok(extraTypes.includes('tool_output' as never), extraTypes.join(', '));
    const output = extraSeen.filter((e) => (e.type as string) === 'tool_output').map((e) => (e as unknown as { tail: string }).tail);
    assert.ok(output.some((tail) => tail.includes('tick 1')), output.join(' | '));
    // The checkpoint after the bash call that changed ticks.txt, then the one before the idle.
    const streamedCheckpoints = extraSeen.filter((e) => (e.type as string) === 'hangar.checkpoint');
    assert.equal(streamedCheckpoints.length, 2, extraTypes.join(', '));
    const resultAt = extraTypes.indexOf('agent.tool_result');
    assert.equal(extraTypes[resultAt + 1], 'hangar.checkpoint', 'the tool call\'s checkpoint follows its result');
    assert.ok(!extraSeen.some((e) => '_hangar' in e), 'Hangar\'s private part stays home');

    const listed = async (include?: string[]) => {
      const page = await f.client.beta.sessions.events.list(session.id, Object.assign({ limit: 1000 }, include ? { [HANGAR_INCLUDE]: include } : {}));
      return page.data;
    };
    const withCheckpoints = await listed(['checkpoints']);
    const without = await listed();
    assert.deepEqual(typesOf(without), typesOf(withCheckpoints).filter((t) => !t.startsWith('hangar.')), 'the same history, checkpoints left out');
    assert.deepEqual(withCheckpoints.filter((e) => (e.type as string) === 'hangar.checkpoint').map((e) => e.id), streamedCheckpoints.map((e) => (e as { id: string }).id));
    const checkpoints = CheckpointList.parse(await f.client.get(`/v1/sessions/${session.id}/checkpoints`)).data;
    assert.deepEqual(checkpoints.map((c) => c.event_id), streamedCheckpoints.map((e) => (e as { id: string }).id), 'each listed checkpoint is one of the events');

    await f.client.post(`/v1/sessions/${session.id}/rewind`, { body: { checkpoint_id: checkpoints[0]!.id } });
    const after = typesOf(await listed(['checkpoints']));
    assert.deepEqual(after.slice(-3), ['hangar.checkpoint', 'hangar.rewind', 'hangar.checkpoint'], `before_rewind, the rewind, rewound: ${after.join(', ')}`);
  });

  it('refuses an unknown hangar_include value, and tool_output on the list, with what to ask for instead', async () => {
    f = await startApi({ script: [reply.text('hi')] });
    const session = await f.session((await f.agent()).id);
    const unknown = await raw(f.server, 'GET', `/v1/sessions/${session.id}/events?hangar_include[]=everything`);
    assert.equal(unknown.status, 400);
    assert.match(unknown.json().error.message, /hangar_include values are checkpoints .* or tool_output/);
    const onStream = await raw(f.server, 'GET', `/v1/sessions/${session.id}/events/stream?hangar_include=thinking`);
    assert.equal(onStream.status, 400);
    assert.match(onStream.json().error.message, /hangar_include values are checkpoints/);
    const outputOnList = await raw(f.server, 'GET', `/v1/sessions/${session.id}/events?hangar_include[]=tool_output`);
    assert.equal(outputOnList.status, 400);
    assert.match(outputOnList.json().error.message, /tool_output is a live preview: ask for it on the event stream/);
  });
});
