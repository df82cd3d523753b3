import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';

// Summarising compaction against the strict scripted model, with a catalogue override that makes the window small.

const SMALL = { 'claude-sonnet-5-5': { contextWindow: 6_000 } };

for (const api of MODEL_APIS) {
  describe(`harness: summarising compaction (${api})`, () => {
    let t: TestRuntime;
    afterEach(async () => t?.close());

    it('summarises near the window, logs agent.thread_context_compacted, and continues from the summary', async () => {
      t = await makeTestRuntime({
        api,
        script: [
          { ...reply.tool('bash', { command: 'echo big' }), usage: { input_tokens: 5_000 } },
          reply.text('SUMMARY: the agent ran echo big.'),
          reply.text('done'),
        ],
        runtime: { models: SMALL, maxTokens: 1_000 },
      });
      const id = await t.start('do a big task');
      const events = await t.waitFor(id, idleAfter(1));
      assert.deepEqual(t.model.rejected, [], 'the strict server accepted every request');
      const compacted = events.filter((e) => e.type === 'agent.thread_context_compacted');
      assert.equal(compacted.length, 1);
      assert.match(compacted[0]!._hangar?.summary ?? '', /SUMMARY/);
      assert.equal(t.model.requests.length, 3);
      assert.match(JSON.stringify(t.model.requests[1]!.body.messages), /<transcript>/, 'the summary request has its own context');
      const after = JSON.stringify(t.model.requests[2]!.body.messages);
      assert.match(after, /SUMMARY: the agent ran echo big/);
      assert.equal(t.model.requests[2]!.body.messages[0]!.role, 'user');
    });
  });
}

// Anthropic only: model_context_window_exceeded is a Messages API stop reason. Chat Completions has none; a reply cut by
// the window ends as `length`, which is indistinguishable from max_tokens.
describe('harness: compaction after model_context_window_exceeded (anthropic)', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it('model_context_window_exceeded: compacts, then retries', async () => {
    t = await makeTestRuntime({
      script: [
        reply.tool('bash', { command: 'echo one' }),
        { ...reply.text('partial'), stop_reason: 'model_context_window_exceeded' },
        reply.text('SUMMARY: ran echo one.'),
        reply.text('done'),
      ],
    });
    const id = await t.start('task');
    const events = await t.waitFor(id, idleAfter(1));
    assert.deepEqual(t.model.rejected, []);
    assert.equal(events.filter((e) => e.type === 'agent.thread_context_compacted').length, 1);
    assert.equal(t.model.requests.length, 4);
    assert.doesNotMatch(JSON.stringify(t.model.requests[3]!.body.messages), /partial/, 'the cut reply is not replayed');
    const idle = events.filter((e) => e.type === 'session.status_idle')[0]!;
    assert.equal(idle.type === 'session.status_idle' && idle.stop_reason.type, 'end_turn');
  });
});
