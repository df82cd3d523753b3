import assert from 'node:assert/strict';
import Anthropic, { APIConnectionError, APIUserAbortError, AnthropicError, BadRequestError, InternalServerError, RateLimitError } from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { EXHAUSTED_TEXT, reply, startScriptedModel, type Reply, type Responder, type ScriptedModel } from '../../src/model/scripted';

let model: ScriptedModel | undefined;

async function start(script?: Reply[] | Responder, extra: { maxBodyBytes?: number; defaultDelayMs?: number } = {}): Promise<{ m: ScriptedModel; client: Anthropic }> {
  model = await startScriptedModel({ script, ...extra });
  // logLevel off: the SDK logs unparsable SSE frames to the console before throwing.
  return { m: model, client: new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0, logLevel: 'off' }) };
}

const params = (messages: MessageParam[] = [{ role: 'user', content: 'hi' }], extra: Partial<MessageCreateParamsNonStreaming> = {}) => ({
  model: 'claude-scripted',
  max_tokens: 1024,
  messages,
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('scripted model server (real @anthropic-ai/sdk client)', () => {
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  it('streams text that the SDK assembles, with the real event sequence', async () => {
    const text = 'Hello from the scripted model, with an emoji 😀 spanning chunk edges 😀😀😀.';
    const { client } = await start([reply.text(text)]);
    const stream = client.messages.stream(params());
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    const msg = await stream.finalMessage();
    assert.equal(msg.content[0]?.type === 'text' && msg.content[0].text, text);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.match(msg.id, /^msg_01[0-9A-Za-z]{22}$/);
    assert.equal(msg.model, 'claude-scripted');
    assert.equal(types[0], 'message_start');
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    assert.ok(types.filter((t) => t === 'content_block_delta').length > 1, 'text arrives in several deltas');
  });

  it('sends SSE frames in the API wire format, including a ping and split input_json_delta chunks', async () => {
    const { m } = await start([reply.tool('bash', { command: 'echo a long enough command to be split' })]);
    const res = await fetch(`${m.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...params(), stream: true }),
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.match(res.headers.get('request-id') ?? '', /^req_01/);
    const raw = await res.text();
    assert.match(raw, /^event: message_start\ndata: \{"type":"message_start","message":\{"id":"msg_/);
    assert.match(raw, /event: ping\ndata: \{"type":"ping"\}\n\n/);
    const chunks = [...raw.matchAll(/"partial_json":("(?:[^"\\]|\\.)*")/g)].map((x) => JSON.parse(x[1] as string) as string);
    assert.ok(chunks.filter((c) => c !== '').length >= 3, `input JSON split into pieces: ${JSON.stringify(chunks)}`);
    assert.deepEqual(JSON.parse(chunks.join('')), { command: 'echo a long enough command to be split' });
    assert.ok(raw.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
  });

  it('streams thinking with a signature, then text, when the request turns thinking on', async () => {
    const { client } = await start([{ kind: 'message', blocks: [{ type: 'thinking', thinking: 'The user greets me.' }, { type: 'text', text: 'Hi!' }] }]);
    const msg = await client.messages.stream(params(undefined, { thinking: { type: 'adaptive' } })).finalMessage();
    const [thinking, text] = msg.content;
    assert.equal(thinking?.type, 'thinking');
    assert.ok(thinking?.type === 'thinking' && thinking.thinking === 'The user greets me.' && thinking.signature.length > 20);
    assert.ok(text?.type === 'text' && text.text === 'Hi!');
  });

  it('streams tool_use whose input the SDK assembles from partial JSON, with unique toolu_ ids', async () => {
    const input = { file_path: 'src/a.ts', nested: { list: [1, 2, 3], quote: 'say "hi"\n' } };
    const { client } = await start([{ kind: 'message', blocks: [{ type: 'text', text: 'Reading.' }, { type: 'tool_use', name: 'read', input }, { type: 'tool_use', name: 'read', input: {} }] }]);
    const stream = client.messages.stream(params());
    let jsonEvents = 0;
    stream.on('inputJson', () => (jsonEvents += 1));
    const msg = await stream.finalMessage();
    assert.equal(msg.stop_reason, 'tool_use');
    const tools = msg.content.filter((b) => b.type === 'tool_use');
    assert.equal(tools.length, 2);
    assert.deepEqual(tools[0]?.input, input);
    assert.deepEqual(tools[1]?.input, {});
    assert.match(tools[0]?.id ?? '', /^toolu_01/);
    assert.notEqual(tools[0]?.id, tools[1]?.id);
    assert.ok(jsonEvents > 2);
  });

  it('keeps an explicit stop_reason and usage override', async () => {
    const { client } = await start([{ kind: 'message', blocks: [{ type: 'text', text: 'cut' }], stop_reason: 'max_tokens', usage: { output_tokens: 4096 } }]);
    const msg = await client.messages.stream(params()).finalMessage();
    assert.equal(msg.stop_reason, 'max_tokens');
    assert.equal(msg.usage.output_tokens, 4096);
  });

  // What the SDK does with invalid tool JSON (SDK 1.11): syntactically broken JSON makes finalMessage()
  // reject with a plain AnthropicError carrying JSON.parse's message; TRUNCATED JSON is silently
  // partial-parsed (here to {}), so a harness must JSON.parse the accumulated partial_json itself.
  it('streams raw tool JSON verbatim: broken JSON rejects, truncated JSON is partial-parsed by the SDK', async () => {
    const raw = (raw_json: string): Reply => ({ kind: 'message', blocks: [{ type: 'tool_use_raw', name: 'bash', raw_json }] });
    const { client } = await start([raw('{"command": ls}'), raw('{"command": "ls')]);
    const err = await rejection(client.messages.stream(params()).finalMessage());
    assert.ok(err instanceof AnthropicError);
    assert.match((err as Error).message, /JSON/);
    const msg = await client.messages.stream(params()).finalMessage();
    assert.equal(msg.stop_reason, 'tool_use');
    assert.deepEqual(msg.content[0]?.type === 'tool_use' && msg.content[0].input, {});
  });

  it('answers rate_limit with 429 + retry-after, overloaded with 529, server_error with 500', async () => {
    const { client } = await start([reply.fault('rate_limit', { retry_after_s: 7 }), reply.fault('overloaded'), reply.fault('server_error')]);
    const e429 = await rejection(client.messages.create(params()));
    assert.ok(e429 instanceof RateLimitError);
    assert.equal(e429.headers.get('retry-after'), '7');
    assert.equal(e429.type, 'rate_limit_error');
    const e529 = await rejection(client.messages.stream(params()).finalMessage());
    assert.ok(e529 instanceof InternalServerError);
    assert.equal(e529.status, 529);
    assert.equal(e529.type, 'overloaded_error');
    const e500 = await rejection(client.messages.create(params()));
    assert.ok(e500 instanceof InternalServerError);
    assert.equal(e500.status, 500);
    assert.equal(e500.type, 'api_error');
  });

  it('drops the connection mid-stream (stream error) and before a JSON reply (APIConnectionError)', async () => {
    const { client } = await start([reply.fault('drop_mid_stream'), reply.fault('drop_mid_stream')]);
    const stream = client.messages.stream(params());
    const seen: string[] = [];
    stream.on('text', (t) => seen.push(t));
    const err = await rejection(stream.finalMessage());
    assert.ok(err instanceof AnthropicError);
    assert.ok(seen.length > 0, 'part of a block arrived before the drop');
    assert.ok((await rejection(client.messages.create(params()))) instanceof APIConnectionError);
  });

  it('sends a garbage SSE frame (stream error) or a truncated JSON body (SyntaxError)', async () => {
    const { client } = await start([reply.fault('malformed_sse'), reply.fault('malformed_sse')]);
    const err = await rejection(client.messages.stream(params()).finalMessage());
    assert.ok(err instanceof AnthropicError);
    assert.match((err as Error).message, /JSON/);
    assert.ok((await rejection(client.messages.create(params()))) instanceof SyntaxError);
  });

  it('hangs until the client aborts, and records the request', async () => {
    const { m, client } = await start([reply.fault('hang'), reply.text('after the hang')]);
    const ctl = new AbortController();
    const pending = rejection(client.messages.create(params(), { signal: ctl.signal }));
    while (m.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    assert.ok((await pending) instanceof APIUserAbortError);
    const next = await client.messages.create(params());
    assert.ok(next.content[0]?.type === 'text' && next.content[0].text === 'after the hang');
  });

  it('abandons a delayed reply when the client aborts; an explicit delay_ms overrides defaultDelayMs', async () => {
    const { m, client } = await start([reply.text('slow'), reply.text('fast', { delay_ms: 0 })], { defaultDelayMs: 60_000 });
    const ctl = new AbortController();
    const pending = rejection(client.messages.stream(params(), { signal: ctl.signal }).finalMessage());
    while (m.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    await pending;
    const msg = await client.messages.create(params());
    assert.ok(msg.content[0]?.type === 'text' && msg.content[0].text === 'fast');
  });

  it('close() destroys a hanging socket so the client fails instead of waiting', async () => {
    const { m, client } = await start([reply.fault('hang')]);
    const pending = rejection(client.messages.stream(params()).finalMessage());
    while (m.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await m.close();
    assert.ok((await pending) instanceof APIConnectionError);
  });

  it('rejects invalid request bodies with the API error envelope', async () => {
    const { m, client } = await start([], { maxBodyBytes: 1000 });
    const noMax = await rejection(client.messages.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] } as unknown as MessageCreateParamsNonStreaming));
    assert.ok(noMax instanceof BadRequestError);
    assert.equal(noMax.type, 'invalid_request_error');
    assert.equal(noMax.apiMessage, 'max_tokens: Field required');
    assert.ok((await rejection(client.messages.create(params([])))) instanceof BadRequestError);
    const post = (body: string, path = '/v1/messages') => fetch(`${m.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const badJson = await post('{"model": "x", ');
    assert.equal(badJson.status, 400);
    const envelope = (await badJson.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(envelope), ['type', 'error', 'request_id']);
    assert.equal(envelope.type, 'error');
    assert.deepEqual(Object.keys(envelope.error as object), ['type', 'message']);
    assert.equal((await post(JSON.stringify(params([{ role: 'user', content: 'x'.repeat(5000) }])))).status, 413);
    assert.equal((await post(Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('binary'))).status, 400);
    assert.equal((await post(JSON.stringify(params()), '/v1/complete')).status, 404);
    assert.equal(m.requests.length, 0, 'rejected requests never consume a reply');
    assert.deepEqual(m.rejected.map((r) => r.status), [400, 400, 400, 413, 400, 404]);
  });

  it('records every request: parsed body, headers and arrival time', async () => {
    const { m, client } = await start([reply.text('one'), reply.text('two')]);
    await client.messages.create(params([{ role: 'user', content: 'first' }], { system: 'be brief' }));
    await client.messages.stream(params([{ role: 'user', content: 'second' }])).finalMessage();
    const [a, b] = m.requests;
    assert.equal(m.requests.length, 2);
    assert.equal(a?.body.system, 'be brief');
    assert.deepEqual(a?.body.messages, [{ role: 'user', content: 'first' }]);
    assert.match(a?.headers['x-api-key'] ?? a?.headers.authorization ?? '', /test/);
    assert.ok(a?.headers['anthropic-version']);
    assert.equal(b?.body.stream, true);
    assert.deepEqual([a?.seq, b?.seq], [0, 1]);
    assert.ok((a?.at ?? Infinity) <= (b?.at ?? -Infinity));
    assert.deepEqual(b?.reply, reply.text('two'));
  });

  it('computes replies with a responder, after any pushed replies', async () => {
    const echo: Responder = (req) => {
      const last = req.body.messages.at(-1)?.content;
      const result = Array.isArray(last) ? last.find((bl) => bl.type === 'tool_result') : undefined;
      return reply.text(`echo: ${String(result?.content ?? 'nothing')}`);
    };
    const { m, client } = await start(echo);
    m.push(reply.text('pushed first'));
    assert.equal(m.remaining, 1);
    const first = await client.messages.create(params());
    assert.ok(first.content[0]?.type === 'text' && first.content[0].text === 'pushed first');
    const second = await client.messages.stream(params([
      { role: 'user', content: 'run it' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'a.txt' }] },
    ])).finalMessage();
    assert.ok(second.content[0]?.type === 'text' && second.content[0].text === 'echo: a.txt');
  });

  it('answers 500 with the cause when the responder throws or returns an invalid reply', async () => {
    let calls = 0;
    const { client } = await start(() => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return { kind: 'message', blocks: [{ type: 'nope' }] } as unknown as Reply;
    });
    const thrown = await rejection(client.messages.create(params()));
    assert.ok(thrown instanceof InternalServerError && /responder failed: boom/.test(thrown.apiMessage ?? ''));
    assert.ok((await rejection(client.messages.create(params()))) instanceof InternalServerError);
  });

  it('reports cache creation on first sight of a cache_control prefix and cache reads after', async () => {
    const { client } = await start([reply.text('a'), reply.text('b'), reply.text('c'), reply.text('d')]);
    const system = [{ type: 'text' as const, text: 'You are a careful agent. '.repeat(40), cache_control: { type: 'ephemeral' as const } }];
    const turn1: MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'fix the bug', cache_control: { type: 'ephemeral' } }] }];
    const u1 = (await client.messages.create(params(turn1, { system }))).usage;
    assert.ok((u1.cache_creation_input_tokens ?? 0) > 250);
    assert.equal(u1.cache_read_input_tokens, 0);
    const u2 = (await client.messages.stream(params(turn1, { system })).finalMessage()).usage;
    assert.equal(u2.cache_read_input_tokens, u1.cache_creation_input_tokens);
    assert.equal(u2.cache_creation_input_tokens, 0);
    const turn2: MessageParam[] = [{ role: 'user', content: 'fix the bug' }, { role: 'assistant', content: 'done' }, { role: 'user', content: [{ type: 'text', text: 'thanks', cache_control: { type: 'ephemeral' } }] }];
    const u3 = (await client.messages.create(params(turn2, { system }))).usage;
    assert.ok((u3.cache_read_input_tokens ?? 0) > 250, 'the system prefix is read back');
    assert.ok((u3.cache_creation_input_tokens ?? 0) > 0, 'the new turn is written');
    const u4 = (await client.messages.create(params(turn1))).usage;
    assert.equal(u4.cache_read_input_tokens, 0, 'a different prefix is a miss');
    assert.ok((u4.cache_creation_input_tokens ?? 0) > 0);
    assert.ok(u4.input_tokens > 0, 'the turn framing after the last breakpoint is never cached');
  });

  it('returns the whole Message object when stream is false', async () => {
    const { client } = await start([{ kind: 'message', blocks: [{ type: 'thinking', thinking: 'plan' }, { type: 'text', text: 'Let me check.' }, { type: 'tool_use', name: 'bash', input: { command: 'ls' } }] }]);
    const msg = await client.messages.create(params([{ role: 'user', content: 'x'.repeat(400) }], { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048, model: 'claude-haiku-4-5' }));
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text', 'tool_use']);
    assert.deepEqual(msg.content[2]?.type === 'tool_use' && msg.content[2].input, { command: 'ls' });
    assert.equal(msg.stop_reason, 'tool_use');
    assert.ok(msg.usage.input_tokens >= 100, 'input tokens follow the request size');
    assert.ok(msg.usage.output_tokens > 0);
  });

  it('says so, and records it, when the script is exhausted', async () => {
    const { m, client } = await start([reply.text('only one')]);
    await client.messages.create(params());
    const msg = await client.messages.stream(params()).finalMessage();
    assert.ok(msg.content[0]?.type === 'text' && msg.content[0].text === EXHAUSTED_TEXT);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.deepEqual(m.requests.map((r) => r.exhausted), [false, true]);
  });

  it('refuses an invalid script up front', async () => {
    await assert.rejects(startScriptedModel({ script: [{ kind: 'fault', fault: 'meltdown' } as unknown as Reply] }), /reply 0 is invalid/);
    const { m } = await start([]);
    assert.throws(() => m.push({ kind: 'message' } as unknown as Reply), /invalid/);
  });
});
