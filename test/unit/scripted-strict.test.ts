import assert from 'node:assert/strict';
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import type { ContentBlock, ContentBlockParam, MessageCreateParamsNonStreaming, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { Signer, reply, startScriptedModel, type Reply, type ScriptedModel, type ScriptedModelOptions } from '../../src/model/scripted';
import { BUILTIN_MODELS, DEFAULT_CATALOG, ModelCatalog } from '../../src/wire/models';

// Each rule of the real Messages API that the scripted model enforces: the invalid request gets the API's 400
// envelope and message, the nearest valid one is served.

let model: ScriptedModel | undefined;

async function start(script: Reply[] = [], opts: Omit<ScriptedModelOptions, 'script'> = {}): Promise<{ m: ScriptedModel; client: Anthropic }> {
  model = await startScriptedModel({ script, ...opts });
  return { m: model, client: new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0, logLevel: 'off' }) };
}

const READ: Tool = { name: 'read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } };
const user = (content: string | ContentBlockParam[]): MessageParam => ({ role: 'user', content });
const assistant = (content: string | ContentBlockParam[]): MessageParam => ({ role: 'assistant', content });
const result = (tool_use_id: string, content = 'ok'): ContentBlockParam => ({ type: 'tool_result', tool_use_id, content });
const toolUse = (id: string): ContentBlockParam => ({ type: 'tool_use', id, name: 'read', input: { file_path: 'a.ts' } });

function params(extra: Partial<MessageCreateParamsNonStreaming> = {}): MessageCreateParamsNonStreaming {
  return { model: 'claude-sonnet-5-5', max_tokens: 4096, messages: [user('hi')], ...extra };
}

/** The call fails with the API's 400 invalid_request_error carrying exactly `message`, and nothing was served. */
async function refused(client: Anthropic, p: MessageCreateParamsNonStreaming, message: string): Promise<void> {
  const before = model?.requests.length;
  try {
    await client.messages.stream(p).finalMessage();
  } catch (e) {
    assert.ok(e instanceof BadRequestError, `expected a 400, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.type, 'invalid_request_error');
    assert.equal(e.apiMessage, message);
    assert.match(e.requestID ?? '', /^req_01/);
    assert.equal(model?.requests.length, before, 'a refused request never reaches the script');
    return;
  }
  assert.fail(`expected a 400 "${message}"`);
}

async function served(client: Anthropic, p: MessageCreateParamsNonStreaming): Promise<ContentBlock[]> {
  return (await client.messages.stream(p).finalMessage()).content;
}

describe('scripted model: strict like the real Messages API', () => {
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  it('answers in the API error envelope and records the refusal with its body', async () => {
    const { m } = await start();
    const res = await fetch(`${m.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params({ max_tokens: 1_000_000 })),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string }; request_id: string };
    assert.deepEqual(Object.keys(body), ['type', 'error', 'request_id']);
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(res.headers.get('request-id'), body.request_id);
    assert.equal(m.rejected[0]?.message, body.error.message);
    assert.equal(m.rejected[0]?.body?.max_tokens, 1_000_000);
  });

  it('max_tokens above the model output limit', async () => {
    const { client } = await start([reply.text('ok')]);
    const limit = DEFAULT_CATALOG.lookup('claude-haiku-4-5').maxOutputTokens;
    await refused(client, params({ model: 'claude-haiku-4-5', max_tokens: limit + 1 }), `max_tokens: ${limit + 1} > ${limit}, which is the maximum allowed number of output tokens for claude-haiku-4-5`);
    await served(client, params({ model: 'claude-haiku-4-5', max_tokens: limit }));
  });

  it('thinking settings the model does not take, and budget rules of manual thinking', async () => {
    const { client } = await start([reply.text('a'), reply.text('b'), reply.text('c')]);
    const haiku = { model: 'claude-haiku-4-5', max_tokens: 8192 };
    await refused(client, params({ ...haiku, thinking: { type: 'enabled', budget_tokens: 1023 } }), 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    await refused(
      client,
      params({ ...haiku, thinking: { type: 'enabled', budget_tokens: 8192 } }),
      '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size',
    );
    await refused(client, params({ ...haiku, thinking: { type: 'adaptive' } }), 'adaptive thinking is not supported on this model');
    await refused(
      client,
      params({ thinking: { type: 'enabled', budget_tokens: 2048 } }),
      '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
    );
    await refused(
      client,
      params({ model: 'claude-opus-5-5', thinking: { type: 'disabled' } }),
      '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
    );
    await served(client, params({ ...haiku, thinking: { type: 'enabled', budget_tokens: 8191 } }));
    await served(client, params({ thinking: { type: 'adaptive' } }));
    await served(client, params({ thinking: { type: 'disabled' } }));
  });

  it('a model configured to refuse thinking, and effort values a model does not accept', async () => {
    const base = BUILTIN_MODELS['claude-sonnet-5-5'];
    const catalog = new ModelCatalog({
      'claude-no-thinking': { ...base, thinking: 'none', efforts: [] },
      'claude-few-efforts': { ...base, efforts: ['low', 'medium', 'high'] },
    });
    const { client } = await start([reply.text('a'), reply.text('b'), reply.text('c')], { catalog });
    await refused(client, params({ model: 'claude-no-thinking', thinking: { type: 'adaptive' } }), '"thinking" is not supported for this model.');
    await refused(client, params({ model: 'claude-no-thinking', output_config: { effort: 'low' } }), 'This model does not support the effort parameter.');
    await refused(
      client,
      params({ model: 'claude-few-efforts', thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } }),
      'output_config.effort: "xhigh" is not supported by this model. Supported values: low, medium, high.',
    );
    await refused(client, params({ output_config: { effort: 'extreme' as 'max' } }), "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh', 'max'");
    await served(client, params({ model: 'claude-no-thinking', thinking: { type: 'disabled' } }));
    await served(client, params({ model: 'claude-few-efforts', thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }));
    await served(client, params({ model: 'claude-haiku-4-5', output_config: {} }));
  });

  it('sampling parameters: dropped by current models, restricted by thinking on older ones; forced tool_choice with manual thinking', async () => {
    const { client } = await start([reply.text('a'), reply.text('b'), reply.text('c')]);
    // The SDK no longer types the sampling parameters: current models refuse them.
    const sampling = (p: Record<string, unknown>) => params(p as Partial<MessageCreateParamsNonStreaming>);
    const docs = 'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility';
    const haiku = { model: 'claude-haiku-4-5', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 } };
    await refused(client, sampling({ temperature: 1 }), '`temperature` is deprecated for this model.');
    await refused(client, sampling({ top_p: 0.9 }), '`top_p` is deprecated for this model.');
    await refused(client, sampling({ ...haiku, temperature: 0.2 }), `\`temperature\` may only be set to 1 when thinking is enabled. ${docs}`);
    await refused(client, sampling({ ...haiku, top_k: 5 }), `\`top_k\` must be unset when thinking is enabled. ${docs}`);
    await refused(client, params({ ...haiku, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [READ], tool_choice: { type: 'any' } }), 'Thinking may not be enabled when tool_choice forces tool use.');
    await served(client, sampling({ ...haiku, temperature: 1 }));
    await served(client, sampling({ model: 'claude-haiku-4-5', temperature: 0.2, top_k: 5 }));
    await served(client, sampling({ model: 'claude-sonnet-4-6', temperature: 0.2 }));
  });

  it('invalid tool names and schemas; server tools pass', async () => {
    const { client } = await start([reply.text('ok')]);
    const tool = (t: Record<string, unknown>) => [t as unknown as Tool];
    await refused(client, params({ tools: tool({ ...READ, name: 'read file' }) }), "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    await refused(client, params({ tools: tool({ ...READ, name: 'x'.repeat(129) }) }), "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    await refused(client, params({ tools: tool({ name: 'read' }) }), 'tools.0.custom.input_schema: Field required');
    await refused(client, params({ tools: tool({ name: 'read', input_schema: { type: 'array' } }) }), "tools.0.custom.input_schema.type: Input should be 'object'");
    await refused(client, params({ tools: [READ, READ] }), 'tools: Tool names must be unique.');
    await served(client, params({ tools: [READ, { type: 'web_search_20250305', name: 'web_search' }, { ...READ, name: 'x'.repeat(128) }] }));
  });

  it('more than 4 cache breakpoints over tools, system and messages (nested tool results count)', async () => {
    const { client } = await start([reply.text('ok')]);
    const cc = { type: 'ephemeral' as const };
    const loop = (extra: boolean): MessageParam[] => [
      user([{ type: 'text', text: 'read a.ts', cache_control: cc }]),
      assistant([toolUse('toolu_a')]),
      user([{ type: 'tool_result', tool_use_id: 'toolu_a', content: [{ type: 'text', text: 'x', ...(extra ? { cache_control: cc } : {}) }] }]),
    ];
    const p = (extra: boolean) => params({ tools: [{ ...READ, cache_control: cc }], system: [{ type: 'text', text: 'sys', cache_control: cc }, { type: 'text', text: 'more', cache_control: cc }], messages: loop(extra) });
    await refused(client, p(true), 'A maximum of 4 blocks with cache_control may be provided. Found 5.');
    await refused(client, { ...p(false), cache_control: cc }, 'A maximum of 4 blocks with cache_control may be provided. Found 5.');
    await served(client, p(false));
  });

  it('tool_use without its tool_result in the next user message, results after other content, stray results', async () => {
    const { client } = await start([reply.text('ok')]);
    const tools = [READ];
    await refused(
      client,
      params({ tools, messages: [user('go'), assistant([toolUse('toolu_a'), toolUse('toolu_b')]), user([result('toolu_a')])] }),
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_b. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    );
    await refused(
      client,
      params({ tools, messages: [user('go'), assistant([toolUse('toolu_a')]), user('what happened?'), assistant('nothing'), user([result('toolu_a')])] }),
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_a. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    );
    await refused(
      client,
      params({ tools, messages: [user('go'), assistant([toolUse('toolu_a')]), user([{ type: 'text', text: 'here:' }, result('toolu_a')])] }),
      'messages.2: Did not find 1 `tool_result` block(s) at the beginning of this message. Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.',
    );
    await refused(
      client,
      params({ tools, messages: [user('go'), assistant([toolUse('toolu_a')]), user([result('toolu_a'), result('toolu_zz')])] }),
      'messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_zz. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
    );
    await served(client, params({ tools, messages: [user('go'), assistant([toolUse('toolu_a')]), user([result('toolu_a'), { type: 'text', text: 'and go on' }])] }));
  });

  describe('thinking blocks on a tool-use turn', () => {
    const thinking = { type: 'adaptive' as const };

    /** One real round: the model thinks and calls read; returns its content exactly as the SDK assembled it. */
    async function firstStep(client: Anthropic): Promise<ContentBlockParam[]> {
      const msg = await client.messages.stream(params({ thinking, tools: [READ], messages: [user('read a.ts')] })).finalMessage();
      assert.equal(msg.content[0]?.type, 'thinking');
      assert.equal(msg.content.at(-1)?.type, 'tool_use');
      return msg.content as ContentBlockParam[];
    }
    const idOf = (content: ContentBlockParam[]): string => (content.find((b) => b.type === 'tool_use') as { id: string }).id;
    const next = (content: ContentBlockParam[], more: MessageParam[] = []) =>
      params({ thinking, tools: [READ], messages: [user('read a.ts'), assistant(content), user([result(idOf(content))]), ...more] });
    const missing = (found: string, at = 'messages.1') =>
      `${at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${found}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
    const modified = (at: string) => `${at}: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.`;

    it('accepts the turn replayed exactly as emitted', async () => {
      const { client } = await start([reply.tool('read', { file_path: 'a.ts' }), reply.text('done')]);
      const content = await firstStep(client);
      const answer = await served(client, next(content));
      assert.deepEqual(answer.map((b) => (b.type === 'text' ? b.text : b.type)), ['thinking', 'done']);
    });

    it('refuses a missing thinking block', async () => {
      const { client } = await start([reply.tool('read', { file_path: 'a.ts' }, 'Reading.')]);
      const content = await firstStep(client);
      await refused(client, next(content.slice(1)), missing('text'));
      await refused(client, next(content.slice(2)), missing('tool_use'));
    });

    it('refuses modified thinking text, signature or redacted data', async () => {
      const { client } = await start([reply.tool('read', { file_path: 'a.ts' }), { kind: 'message', blocks: [{ type: 'redacted_thinking' }, { type: 'tool_use', name: 'read', input: {} }] }]);
      const content = await firstStep(client);
      const [th, tool] = content as [{ type: 'thinking'; thinking: string; signature: string }, ContentBlockParam];
      await refused(client, next([{ ...th, thinking: `${th.thinking} ` }, tool]), modified('messages.1.content.0'));
      await refused(client, next([{ ...th, signature: `${th.signature.slice(0, -4)}AAAA` }, tool]), modified('messages.1.content.0'));
      await refused(client, next([{ ...th, signature: '' }, tool]), modified('messages.1.content.0'));
      const redacted = (await client.messages.create(params({ thinking, tools: [READ] }))).content as ContentBlockParam[];
      const [r, use] = redacted as [{ type: 'redacted_thinking'; data: string }, ContentBlockParam];
      assert.equal(r.type, 'redacted_thinking');
      await refused(client, next([{ ...r, data: `A${r.data.slice(1)}` }, use]), modified('messages.1.content.0'));
      await refused(client, next([use]), missing('tool_use'));
    });

    it('checks every step of the open tool-use loop, needs thinking only at its start, and lets closed turns omit it', async () => {
      const { client } = await start([reply.tool('read', { file_path: 'a.ts' }), reply.tool('read', { file_path: 'b.ts' }), reply.text('a'), reply.text('b'), reply.text('c')]);
      const step1 = await firstStep(client);
      const step2 = (await client.messages.create(next(step1))).content as ContentBlockParam[];
      assert.deepEqual(step2.map((b) => b.type), ['thinking', 'tool_use'], 'interleaved thinking before every step');
      const loop = (second: ContentBlockParam[]) => next(step1, [assistant(second), user([result(idOf(second))])]);
      const [th2, tool2] = step2 as [{ type: 'thinking'; thinking: string; signature: string }, ContentBlockParam];
      await refused(client, loop([{ ...th2, thinking: 'edited' }, tool2]), modified('messages.3.content.0'));
      await refused(client, next(step1.slice(1), [assistant(step2), user([result(idOf(step2))])]), missing('tool_use'));
      await served(client, loop(step2));
      await served(client, loop([tool2]));
      // A turn that ended is closed: its thinking may be left out, but what is sent must still verify.
      const closed = (first: ContentBlockParam[]) => next(first, [assistant('Read it.'), user('thanks, now stop')]);
      await served(client, closed(step1.slice(1)));
      const [th1, tool1] = step1 as [{ type: 'thinking'; thinking: string; signature: string }, ContentBlockParam];
      await refused(client, closed([{ ...th1, thinking: 'edited' }, tool1]), 'messages.1.content.0: Invalid `signature` in `thinking` block');
      await served(client, closed(step1));
    });

    it('refuses thinking that never got its signature (from a failed stream)', async () => {
      const { client } = await start([reply.fault('cut_in_thinking')]);
      let partial = '';
      const stream = client.messages.stream(params({ thinking, tools: [READ] }));
      stream.on('thinking', (d) => (partial += d));
      await assert.rejects(stream.finalMessage());
      assert.ok(partial.length > 0);
      await refused(client, next([{ type: 'thinking', thinking: partial, signature: '' }, toolUse('toolu_a')]), modified('messages.1.content.0'));
    });

    it('with thinking off, refuses thinking in a final assistant message but not in earlier ones', async () => {
      const { client } = await start([reply.tool('read', { file_path: 'a.ts' }), reply.text('ok')]);
      const content = await firstStep(client);
      const th = content[0] as ContentBlockParam;
      await refused(
        client,
        params({ messages: [user('hi'), assistant([th, { type: 'text', text: 'Hel' }])] }),
        'messages.1.content.0: When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request.',
      );
      await served(client, params({ tools: [READ], messages: [user('read a.ts'), assistant(content), user([result(idOf(content))])] }));
    });

    it('a model whose thinking is always on requires thinking blocks without being asked', async () => {
      const { client } = await start([reply.tool('read', { file_path: 'a.ts' })]);
      const p = params({ model: 'claude-opus-5-5', tools: [READ], messages: [user('read a.ts'), assistant([toolUse('toolu_a')]), user([result('toolu_a')])] });
      await refused(client, p, missing('tool_use'));
    });

    it('verifies signatures made by another server with the same (default) secret, not with another secret', async () => {
      const { client } = await start([reply.text('ok'), reply.text('ok')]);
      const th = (signer: Signer): ContentBlockParam => ({ type: 'thinking', thinking: 'plan', signature: signer.signThinking('plan') });
      const p = (signer: Signer) => params({ thinking, tools: [READ], messages: [user('go'), assistant([th(signer), toolUse('toolu_a')]), user([result('toolu_a')])] });
      await served(client, p(new Signer()));
      await refused(client, p(new Signer('another secret')), modified('messages.1.content.0'));
    });
  });

  it('strict: false serves what the real API would refuse', async () => {
    const { client } = await start([reply.text('lax')], { strict: false });
    const [text] = await served(client, params({ max_tokens: 10_000_000, thinking: { type: 'adaptive' }, messages: [user('go'), assistant([toolUse('toolu_a')]), user('no result')] }));
    assert.ok(text?.type === 'thinking');
  });
});
