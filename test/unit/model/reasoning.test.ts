import assert from 'node:assert/strict';
import { consumeStream, type CompletedBlock } from '../../../src/harness/stream';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { createOpenAiCompatibleClient } from '../../../src/model/openai';
import { reply, startScriptedModel, startScriptedOpenAiModel, type ScriptedModel } from '../../../src/model/scripted';
import { UNSIGNED_REASONING, type ModelRequest, type ModelStreamEvent } from '../../../src/model/types';

// A reasoning model behind an OpenAI-compatible server (Qwen3, DeepSeek R1, gpt-oss on vLLM, llama.cpp or Ollama)
// streams its reasoning beside the reply: it reaches the harness as a thinking block (so the session logs and shows
// it), marked unsigned, and never goes back to a provider: Chat Completions has no field for it, and Claude would
// refuse it as a forged signature. Real HTTP both ways, against the scripted servers.

const BASH = { name: 'bash', description: 'Run a command', input_schema: { type: 'object' as const, properties: { command: { type: 'string' } } } };

async function blocks(events: AsyncIterable<ModelStreamEvent>): Promise<CompletedBlock[]> {
  const out: CompletedBlock[] = [];
  const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  await consumeStream(events, { started: () => 'p', delta: () => undefined, completed: async (b) => void out.push(b) }, usage);
  return out;
}

/** A conversation whose assistant turn holds a reasoning model's thinking, as the harness replays it from the log. */
const replay = (model: string): ModelRequest => ({
  model,
  max_tokens: 1024,
  tools: [BASH],
  messages: [
    { role: 'user', content: 'List the files.' },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'The next step is to call bash.', signature: UNSIGNED_REASONING },
        { type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: 'ls' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'README.md' }] },
  ],
});

describe('reasoning of OpenAI-compatible models', () => {
  let server: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams as a thinking block before the call, marked unsigned', async () => {
    const s = await startScriptedOpenAiModel({ reasoning: true, script: [reply.tool('bash', { command: 'ls' }, 'Listing.')] });
    server = s;
    const client = createOpenAiCompatibleClient({ baseUrl: s.url });
    const out = await blocks(client.stream({ model: 'qwen3', max_tokens: 1024, tools: [BASH], messages: [{ role: 'user', content: 'List the files.' }] }, new AbortController().signal));
    assert.deepEqual(
      out.map((b) => (b.type === 'thinking' ? [b.type, b.block] : b.type === 'text' ? [b.type, b.text] : [b.type])),
      [['thinking', { type: 'thinking', thinking: 'The next step is to call bash.', signature: UNSIGNED_REASONING }], ['text', 'Listing.'], ['tool_use']],
    );
  });

  it('is not sent back to the Chat Completions server', async () => {
    const s = await startScriptedOpenAiModel({ reasoning: true, script: [reply.text('done')] });
    server = s;
    await blocks(createOpenAiCompatibleClient({ baseUrl: s.url }).stream(replay('qwen3'), new AbortController().signal));
    assert.deepEqual(s.rejected, []);
    assert.doesNotMatch(JSON.stringify(s.requests[0]!.chat), /next step|reasoning|thinking/);
  });

  it('is left out when a session that switched to Claude replays it: the strict Messages server accepts the request', async () => {
    const s: ScriptedModel = await startScriptedModel({ script: [reply.text('done')] });
    server = s;
    const claude = createAnthropicModel({ apiKey: async () => 'k', baseURL: s.url });
    await blocks(claude.stream(replay('claude-sonnet-5-5'), new AbortController().signal));
    assert.deepEqual(s.rejected.map((r) => r.message), []);
    const assistant = s.requests[0]!.body.messages[1]!;
    assert.deepEqual(typeof assistant.content === 'string' ? [] : assistant.content.map((b) => b.type), ['tool_use']);
  });

  it('turns thinking off for the rest of a tool loop begun by the reasoning model, which the strict Messages server accepts', async () => {
    const s: ScriptedModel = await startScriptedModel({ script: [reply.text('done'), reply.text('thought again')] });
    server = s;
    const claude = createAnthropicModel({ apiKey: async () => 'k', baseURL: s.url });
    const thinking = { type: 'adaptive' as const };
    await blocks(claude.stream({ ...replay('claude-sonnet-5-5'), thinking }, new AbortController().signal));
    assert.deepEqual(s.rejected.map((r) => r.message), []);
    assert.deepEqual(s.requests[0]!.body.thinking, { type: 'disabled' });
    // A new user message starts a turn of Claude's own: thinking is on again.
    const next = replay('claude-sonnet-5-5');
    next.messages.push({ role: 'assistant', content: 'done' }, { role: 'user', content: 'Now count them.' });
    await blocks(claude.stream({ ...next, thinking }, new AbortController().signal));
    assert.deepEqual(s.rejected.map((r) => r.message), []);
    assert.deepEqual(s.requests[1]!.body.thinking, thinking);
  });
});
