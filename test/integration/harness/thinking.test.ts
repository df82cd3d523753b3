import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { publicEvent, type SessionEvent } from '../../../src/wire';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';

// Thinking and stop reasons against the strict scripted server (it signs thinking blocks and refuses, as the real
// API does, a tool loop whose assistant turn lacks or alters them).

const idles = (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle');

describe('harness: thinking and stop reasons against the strict scripted model', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it('keeps signed thinking through a tool loop, sends effort, and never serves the thinking content', async () => {
    t = await makeTestRuntime({ script: [reply.tool('bash', { command: 'echo one' }), reply.tool('bash', { command: 'echo two' }), reply.text('done')] });
    const id = await t.start('run two commands', { model: { id: 'claude-sonnet-5-5', effort: 'low' } });
    const events = await t.waitFor(id, idleAfter(1));
    assert.deepEqual(t.model.rejected, [], 'the strict server accepted every request');
    assert.equal(idles(events)[0]!.type === 'session.status_idle' && idles(events)[0]!.stop_reason.type, 'end_turn');
    const third = t.model.requests[2]!.body;
    assert.equal(third.thinking?.type, 'adaptive');
    assert.equal(third.output_config?.effort, 'low');
    const assistants = third.messages.filter((m) => m.role === 'assistant');
    assert.equal(assistants.length, 2);
    for (const m of assistants) assert.equal((m.content as { type: string }[])[0]!.type, 'thinking', 'each tool-use turn starts with its thinking block');
    const thinking = events.filter((e) => e.type === 'agent.thinking');
    assert.ok(thinking.length >= 3 && thinking.every((e) => (e._hangar?.blocks?.[0] as { signature?: string } | undefined)?.signature));
    for (const e of thinking) assert.deepEqual(Object.keys(publicEvent(e)).sort(), ['id', 'processed_at', 'type']);
  });

  it('turns thinking off when the agent says so', async () => {
    t = await makeTestRuntime({ script: [reply.text('plain')] });
    const id = await t.start('hi', { model: { id: 'claude-sonnet-5-5', thinking: { type: 'disabled' } } });
    const events = await t.waitFor(id, idleAfter(1));
    assert.equal(t.model.requests[0]!.body.thinking?.type, 'disabled');
    assert.equal(events.filter((e) => e.type === 'agent.thinking').length, 0);
  });

  it('refusal: ends the turn with a clear error and idle refusal; the next request is valid', async () => {
    t = await makeTestRuntime({ script: [reply.refusal('', 'cyber'), reply.text('fine')] });
    const id = await t.start('do something refused');
    let events = await t.waitFor(id, idleAfter(1));
    const idle = idles(events)[0]!;
    assert.equal(idle.type === 'session.status_idle' && idle.stop_reason.type, 'refusal');
    assert.ok(events.some((e) => e.type === 'session.error' && /declined/.test(e.error.message) && /cyber/.test(e.error.message)));
    await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'something else' }] }]);
    events = await t.waitFor(id, idleAfter(2));
    assert.deepEqual(t.model.rejected, []);
    const last = idles(events)[1]!;
    assert.equal(last.type === 'session.status_idle' && last.stop_reason.type, 'end_turn');
  });

  it('pause_turn: continues the turn with the paused reply sent back', async () => {
    t = await makeTestRuntime({ script: [reply.pause('part one'), reply.text('part two')] });
    const id = await t.start('long task');
    const events = await t.waitFor(id, idleAfter(1));
    assert.deepEqual(t.model.rejected, []);
    assert.equal(t.model.requests.length, 2);
    assert.equal(t.model.requests[1]!.body.messages.at(-1)!.role, 'assistant', 'the paused reply is the last message');
    assert.deepEqual(events.filter((e) => e.type === 'agent.message').length, 2);
  });

  it('max_tokens mid tool input: the call never runs, the model is told, the turn goes on', async () => {
    t = await makeTestRuntime({ script: [reply.toolCutByMaxTokens('write', { path: 'x.txt', content: 'hello world' }), reply.text('retrying later')] });
    const id = await t.start('write a file');
    const events = await t.waitFor(id, idleAfter(1));
    assert.deepEqual(t.model.rejected, []);
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.ok(result && result.type === 'agent.tool_result' && result.is_error && /output limit|not valid JSON/.test(JSON.stringify(result.content)));
    assert.equal(t.model.requests.length, 2);
  });
});
