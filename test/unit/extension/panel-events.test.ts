import assert from 'node:assert/strict';
import { MessageBatcher } from '../../../src/extension/panel/batcher';
import { panelEvents } from '../../../src/extension/panel/panel-events';
import type { HostMessage } from '../../../src/protocol/panel';
import { BUILTIN_MODELS, type ModelPricing, type SessionEvent } from '../../../src/wire';

// The log record of a thinking event as the harness writes it: an envelope, the model's blocks in the private part.
const thinking = (id: string, blocks: { type: string; [k: string]: unknown }[]): SessionEvent => ({ id, type: 'agent.thinking', processed_at: '2026-01-01T00:00:00.000Z', _hangar: { blocks } });
/** The catalogue's pricing of a model, counting the lookups (the host looks each model up once per message). */
const lookups: string[] = [];
const priced = (model: string): ModelPricing => {
  lookups.push(model);
  return { prices: BUILTIN_MODELS[model]!.prices };
};
const spanEnd: SessionEvent = {
  id: 'sevt_end',
  type: 'span.model_request_end',
  processed_at: '2026-01-01T00:00:01.000Z',
  model_request_start_id: 'sevt_start',
  is_error: false,
  model_usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  _hangar: { stop_reason: 'tool_use' },
};

describe('extension/panel/panel-events', () => {
  it('passes the thinking text by event id and keeps the private part (signatures, redacted data) in the host', () => {
    const records = [
      thinking('sevt_1', [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }, { type: 'thinking', thinking: 'Check the timezone first.', signature: 'sig-1' }]),
      thinking('sevt_2', [{ type: 'redacted_thinking', data: 'opaque' }]),
      spanEnd,
    ];
    const out = panelEvents(records, priced);
    assert.deepEqual(out.thinking, { sevt_1: 'Check the timezone first.' });
    assert.deepEqual(out.events.map((e) => e.id), ['sevt_1', 'sevt_2', 'sevt_end']);
    assert.ok(out.events.every((e) => !('_hangar' in e)), 'no private part reaches the webview');
    assert.doesNotMatch(JSON.stringify(out), /sig-1|opaque|tool_use"/);
    assert.ok(records.every((e) => e._hangar), 'the log records themselves are not changed');
  });

  it('leaves `thinking` out when no event has text, and the batcher sends it with live events', () => {
    assert.deepEqual(Object.keys(panelEvents([spanEnd], priced)), ['events']);
    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { delayMs: 10_000 });
    b.event(thinking('sevt_live', [{ type: 'thinking', thinking: 'Run the suite.', signature: 's' }]));
    b.flush();
    const msg = sent[0];
    assert.equal(msg?.type, 'events');
    assert.deepEqual(msg.type === 'events' && msg.thinking, { sevt_live: 'Run the suite.' });
  });

  it("sends a sub-agent thread's previews with the thread they belong to", () => {
    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { delayMs: 10_000 });
    const delta = (text: string) => ({ type: 'event_delta' as const, event_id: 'sevt_live', delta: { type: 'content_delta' as const, index: 0, content: { type: 'text' as const, text } } });
    b.preview(delta('Run'), 'sthr_t');
    b.preview(delta('ning'), 'sthr_t');
    b.preview({ type: 'tool_output', tool_use_id: 'sevt_use', tail: 'ok', bytes: 2, binary: false });
    b.flush();
    assert.deepEqual(sent.map((m) => (m.type === 'preview' ? [m.thread, m.preview.type === 'event_delta' ? m.preview.delta.content.text : m.preview.type] : m.type)), [['sthr_t', 'Running'], [undefined, 'tool_output']]);
  });

  it("names the sub-agent thread of each event that has one (the record's private part), and only those", () => {
    const sub: SessionEvent = { id: 'sevt_sub', type: 'agent.message', processed_at: '2026-01-01T00:00:02.000Z', content: [{ type: 'text', text: 'done' }], _hangar: { thread: 'sthr_writer' } };
    const out = panelEvents([spanEnd, sub, { ...spanEnd, id: 'sevt_sub_end', _hangar: { thread: 'sthr_writer', model: 'claude-opus-4-8' } }], priced);
    assert.deepEqual(out.eventThreads, { sevt_sub: 'sthr_writer', sevt_sub_end: 'sthr_writer' });
    assert.doesNotMatch(JSON.stringify(out.events), /sthr_writer|claude-opus/, 'the events themselves stay as the API shows them');
    assert.ok(!('eventThreads' in panelEvents([spanEnd], priced)), 'a single-agent session sends none');
  });

  it("names the model of each sub-agent model request with that model's pricing, for init and for live batches alike", () => {
    lookups.length = 0;
    const sub = (id: string, model: string): SessionEvent => ({ ...spanEnd, id, _hangar: { thread: 'sthr_writer', model } });
    const out = panelEvents([spanEnd, sub('sevt_a', 'claude-opus-4-8'), sub('sevt_b', 'claude-opus-4-8'), sub('sevt_c', 'claude-haiku-4-5')], priced);
    assert.deepEqual(out.requestModels, { sevt_a: 'claude-opus-4-8', sevt_b: 'claude-opus-4-8', sevt_c: 'claude-haiku-4-5' }, "the session agent's requests name none");
    assert.deepEqual(out.modelPricing, { 'claude-opus-4-8': { prices: BUILTIN_MODELS['claude-opus-4-8']!.prices }, 'claude-haiku-4-5': { prices: BUILTIN_MODELS['claude-haiku-4-5']!.prices } });
    assert.deepEqual(lookups, ['claude-opus-4-8', 'claude-haiku-4-5'], 'each model is priced once');
    const single = panelEvents([spanEnd], priced);
    assert.ok(!('requestModels' in single) && !('modelPricing' in single), 'a single-agent session sends neither');

    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { delayMs: 10_000 });
    b.event(sub('sevt_live', 'claude-haiku-4-5'));
    b.flush();
    const msg = sent[0];
    assert.ok(msg?.type === 'events');
    assert.deepEqual([msg.requestModels, msg.modelPricing], [{ sevt_live: 'claude-haiku-4-5' }, { 'claude-haiku-4-5': { prices: BUILTIN_MODELS['claude-haiku-4-5']!.prices } }]);
  });
});
