import assert from 'node:assert/strict';
import Anthropic, { AnthropicError } from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageCreateParamsNonStreaming, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { Signer, reply, startScriptedModel, type Reply, type ScriptedModel } from '../../src/model/scripted';

// What the scripted model emits, read back through the official SDK over real HTTP + SSE: thinking with signatures,
// redacted thinking, and every stop reason the real API has, plus the broken streams a harness must survive.

let model: ScriptedModel | undefined;

async function start(script: Reply[]): Promise<Anthropic> {
  model = await startScriptedModel({ script });
  return new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0, logLevel: 'off' });
}

const READ: Tool = { name: 'read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } };
const adaptive = { type: 'adaptive' as const };

function params(extra: Partial<MessageCreateParamsNonStreaming> = {}): MessageCreateParamsNonStreaming {
  return { model: 'claude-sonnet-5-5', max_tokens: 4096, messages: [{ role: 'user', content: 'hi' }], tools: [READ], ...extra };
}

/** The raw SSE body of a streamed request, for asserting on the wire events themselves. */
async function rawStream(p: MessageCreateParamsNonStreaming): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const res = await fetch(`${model?.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...p, stream: true }) });
  const text = await res.text();
  return [...text.matchAll(/event: (\S+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1] as string, data: JSON.parse(m[2] as string) as Record<string, unknown> }));
}

describe('scripted model: what it emits', () => {
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  it('thinks before each step when thinking is on: thinking_delta then signature_delta, signed for its text', async () => {
    const client = await start([reply.tool('read', { file_path: 'a.ts' }), reply.tool('read', { file_path: 'a.ts' })]);
    const events = await rawStream(params({ thinking: adaptive }));
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta as { type: string; index?: number });
    const kinds = deltas.map((d) => d.type);
    assert.equal(kinds[0], 'thinking_delta');
    assert.ok(kinds.indexOf('signature_delta') > kinds.lastIndexOf('thinking_delta'), 'the signature closes the thinking block');
    assert.ok(kinds.indexOf('input_json_delta') > kinds.indexOf('signature_delta'));
    const msg = await client.messages.stream(params({ thinking: adaptive })).finalMessage();
    const [th, use] = msg.content;
    assert.ok(th?.type === 'thinking' && th.thinking.length > 0);
    assert.ok(new Signer().verifyThinking(th.thinking, th.signature));
    assert.ok(!new Signer().verifyThinking(`${th.thinking}.`, th.signature));
    assert.equal(use?.type, 'tool_use');
  });

  it('keeps scripted thinking text; leaves thinking out when the request does not turn it on', async () => {
    const script: Reply = { kind: 'message', blocks: [{ type: 'thinking', thinking: 'Check a.ts first.' }, { type: 'text', text: 'Hi' }] };
    const client = await start([script, script]);
    const on = await client.messages.create(params({ thinking: adaptive }));
    assert.deepEqual(on.content.map((b) => (b.type === 'thinking' ? b.thinking : b.type)), ['Check a.ts first.', 'text']);
    const off = await client.messages.stream(params()).finalMessage();
    assert.deepEqual(off.content.map((b) => b.type), ['text']);
  });

  it('withholds the text but keeps the signature with display "omitted"', async () => {
    const client = await start([reply.text('Hi')]);
    const msg = await client.messages.stream(params({ thinking: { type: 'adaptive', display: 'omitted' } })).finalMessage();
    const [th] = msg.content;
    assert.ok(th?.type === 'thinking' && th.thinking === '' && th.signature.length > 100);
  });

  it('emits redacted_thinking whole in its start event; the SDK keeps its data for the replay', async () => {
    const blocks: Reply = { kind: 'message', blocks: [{ type: 'redacted_thinking' }, { type: 'text', text: 'Done.' }] };
    const client = await start([blocks, blocks]);
    const events = await rawStream(params({ thinking: adaptive }));
    const start0 = events.find((e) => e.event === 'content_block_start')?.data.content_block as { type: string; data: string };
    assert.equal(start0.type, 'redacted_thinking');
    assert.ok(new Signer().verifyRedacted(start0.data));
    assert.ok(!events.some((e) => e.event === 'content_block_delta' && e.data.index === 0), 'no deltas for redacted thinking');
    const msg = await client.messages.stream(params({ thinking: adaptive })).finalMessage();
    assert.ok(msg.content[0]?.type === 'redacted_thinking' && msg.content[0].data.length > 100);
  });

  it('pause_turn: the reply sent back as-is lets the model continue', async () => {
    const client = await start([reply.pause('Searching…'), reply.text('Found it.')]);
    const first = await client.messages.stream(params({ thinking: adaptive })).finalMessage();
    assert.equal(first.stop_reason, 'pause_turn');
    const messages: MessageParam[] = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: first.content as ContentBlockParam[] }];
    const second = await client.messages.stream(params({ thinking: adaptive, messages })).finalMessage();
    assert.equal(second.stop_reason, 'end_turn');
    assert.ok(second.content.some((b) => b.type === 'text' && b.text === 'Found it.'));
  });

  it('refusal: stop_reason "refusal" with stop_details, streamed and whole', async () => {
    const client = await start([reply.refusal('I can’t help with that.', 'cyber'), reply.refusal()]);
    const streamed = await client.messages.stream(params()).finalMessage();
    assert.equal(streamed.stop_reason, 'refusal');
    assert.deepEqual(streamed.stop_details, { type: 'refusal', category: 'cyber', explanation: null });
    const whole = await client.messages.create(params());
    assert.equal(whole.stop_reason, 'refusal');
    assert.deepEqual(whole.stop_details, { type: 'refusal', category: null, explanation: null });
    assert.deepEqual(whole.content, []);
  });

  it('max_tokens inside a tool call: the input JSON stops halfway and the stop reason is max_tokens', async () => {
    const input = { file_path: 'src/some/long/path/to/a/file.ts' };
    await start([reply.toolCutByMaxTokens('read', input, 'Reading.')]);
    const events = await rawStream(params());
    const json = events
      .filter((e) => e.event === 'content_block_delta' && (e.data.delta as { type: string }).type === 'input_json_delta')
      .map((e) => (e.data.delta as { partial_json: string }).partial_json)
      .join('');
    assert.ok(JSON.stringify(input).startsWith(json) && json.length < JSON.stringify(input).length);
    assert.throws(() => JSON.parse(json) as unknown);
    const delta = events.find((e) => e.event === 'message_delta')?.data.delta as { stop_reason: string };
    assert.equal(delta.stop_reason, 'max_tokens');
  });

  it('model_context_window_exceeded and stop_sequence stop reasons', async () => {
    const client = await start([
      { kind: 'message', blocks: [{ type: 'text', text: 'Partial' }], stop_reason: 'model_context_window_exceeded' },
      { kind: 'message', blocks: [{ type: 'text', text: 'Up to the' }], stop_sequence: '###' },
    ]);
    const full = await client.messages.stream(params()).finalMessage();
    assert.equal(full.stop_reason, 'model_context_window_exceeded');
    const stopped = await client.messages.create(params({ stop_sequences: ['###'] }));
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, '###');
  });

  it('cut_in_thinking: the stream ends inside an unsigned thinking block; the SDK reports an incomplete message', async () => {
    const client = await start([reply.fault('cut_in_thinking')]);
    const events = await rawStream(params({ thinking: adaptive }));
    assert.deepEqual(events.map((e) => e.event), ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta']);
    assert.ok(!events.some((e) => (e.data.delta as { type?: string } | undefined)?.type === 'signature_delta'));
    model?.push(reply.fault('cut_in_thinking'));
    await assert.rejects(client.messages.stream(params({ thinking: adaptive })).finalMessage(), AnthropicError);
  });

  it('orphan_signature: a signature_delta for a block that never started makes the SDK fail', async () => {
    const client = await start([reply.fault('orphan_signature'), reply.fault('orphan_signature')]);
    const events = await rawStream(params({ thinking: adaptive }));
    assert.ok(!events.some((e) => e.event === 'content_block_start'));
    assert.equal((events.find((e) => e.event === 'content_block_delta')?.data.delta as { type: string }).type, 'signature_delta');
    assert.equal(events.at(-1)?.event, 'message_stop');
    await assert.rejects(client.messages.stream(params({ thinking: adaptive })).finalMessage(), AnthropicError);
  });
});
