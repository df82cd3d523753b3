import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, idleAfter, types, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';

// Custom tools end to end (reference §7.4): agent.custom_tool_use → idle requires_action → user.custom_tool_result →
// the turn resumes. The client may answer before the idle arrives, answer with an error, or answer one call of many.

const lookup = { type: 'custom' as const, name: 'lookup', description: 'looks things up', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } };
const byType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T) => events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);

for (const api of MODEL_APIS) {
  describe(`harness: custom tools through requires_action (${api})`, () => {
    let t: TestRuntime;
    afterEach(async () => t?.close());

    it('offers the custom tool to the model with its schema and does not run it itself', async () => {
      t = await makeTestRuntime({ api, script: [reply.tool('lookup', { q: 'x' })] });
      const id = await t.start('look', { tools: [{ type: 'agent_toolset_20260401' }, lookup] });
      const events = await t.waitFor(id, idleAfter(1));
      const { cache_control: _cache, ...def } = t.model.requests[0]!.body.tools!.find((x) => x.name === 'lookup')!;
      assert.deepEqual(def, { name: 'lookup', description: 'looks things up', input_schema: lookup.input_schema });
      const use = byType(events, 'agent.custom_tool_use')[0];
      assert.deepEqual(use?.input, { q: 'x' });
      const idle = events.at(-1);
      assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action');
      assert.deepEqual(idle.stop_reason.event_ids, [use!.id]);
      assert.equal(byType(events, 'agent.tool_result').length, 0);
      assert.equal((await t.runtime.sessions.retrieve(id)).status, 'idle');
    });

    it('passes is_error results to the model as error tool results', async () => {
      t = await makeTestRuntime({ api, script: [reply.tool('lookup', { q: 'x' }), reply.text('I see it failed')] });
      const id = await t.start('look', { tools: [lookup] });
      const use = byType(await t.waitFor(id, idleAfter(1)), 'agent.custom_tool_use')[0]!;
      await t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, is_error: true, content: [{ type: 'text', text: 'lookup service down' }] }]);
      await t.waitFor(id, idleAfter(2));
      const messages = t.model.requests[1]!.body.messages;
      const result = (messages.at(-1)!.content as { type: string; is_error?: boolean; content?: unknown }[]).find((b) => b.type === 'tool_result');
      // Chat Completions has no is_error: the tool message says it in words.
      if (api === 'anthropic') assert.equal(result?.is_error, true);
      else assert.match(JSON.stringify(result?.content), /^"Error: lookup service down"$/);
      assert.match(JSON.stringify(result?.content), /lookup service down/);
    });

    it('re-emits requires_action with the calls still open when only some are answered', async () => {
      t = await makeTestRuntime({
        api,
        script: [
          { kind: 'message', blocks: [{ type: 'tool_use', name: 'lookup', input: { q: 'a' } }, { type: 'tool_use', name: 'lookup', input: { q: 'b' } }] },
          reply.text('both done'),
        ],
      });
      const id = await t.start('look twice', { tools: [lookup] });
      const [a, b] = byType(await t.waitFor(id, idleAfter(1)), 'agent.custom_tool_use');
      await t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: a!.id, content: [{ type: 'text', text: 'A' }] }]);
      const second = await t.waitFor(id, idleAfter(2));
      const idle = second.at(-1);
      assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action');
      assert.deepEqual(idle.stop_reason.event_ids, [b!.id]);
      assert.equal(t.model.requests.length, 1, 'no model request while a call is open');
      await assert.rejects(t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: a!.id }]), /no custom tool call that is waiting/);
      await t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: b!.id, content: [{ type: 'text', text: 'B' }] }]);
      const done = await t.waitFor(id, idleAfter(3));
      const last = done.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn');
      const sent = JSON.stringify(t.model.requests[1]!.body.messages);
      assert.ok(sent.includes('"A"') && sent.includes('"B"'));
    });

    it('refuses a confirmation for a custom tool call and says to send a result', async () => {
      t = await makeTestRuntime({ api, script: [reply.tool('lookup', { q: 'x' })] });
      const id = await t.start('look', { tools: [lookup] });
      const use = byType(await t.waitFor(id, idleAfter(1)), 'agent.custom_tool_use')[0]!;
      await assert.rejects(t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }]), /user\.custom_tool_result/);
    });
  });
}

// Anthropic only: the Messages stream closes each tool_use block as it ends, so a call can be answered while the reply
// still streams. Chat Completions never says a call is complete before the finish reason, so its calls only surface then.
describe('harness: a custom tool answered while the reply still streams (anthropic)', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it('accepts the result before the idle event and resumes without ever asking', async () => {
    // The text after the tool call streams slowly, so the client's answer lands while the response is still open.
    t = await makeTestRuntime({
      script: [{ kind: 'message', blocks: [{ type: 'tool_use', name: 'lookup', input: { q: 'early' } }, { type: 'text', text: 'the client may answer now; '.repeat(4) }], chunk_delay_ms: 150 }, reply.text('thanks')],
    });
    const id = await t.start('look', { tools: [lookup] });
    const events = await t.waitFor(id, (seen) => {
      const use = byType(seen, 'agent.custom_tool_use')[0];
      if (use && !seen.some((e) => e.type === 'user.custom_tool_result')) {
        void t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [{ type: 'text', text: 'early-answer' }] }]);
      }
      return seen.some((e) => e.type === 'session.status_idle');
    });
    const order = types(events);
    assert.ok(order.indexOf('user.custom_tool_result') < order.indexOf('span.model_request_end'), order.join(' '));
    const idles = byType(events, 'session.status_idle');
    assert.equal(idles.length, 1);
    assert.equal(idles[0]!.stop_reason.type, 'end_turn', 'no requires_action: nothing was left to answer');
    assert.match(JSON.stringify(t.model.requests[1]!.body.messages), /early-answer/);
  });
});
