import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { consumeStream, type CompletedBlock } from '../../../src/harness/stream';
import { ChunkTranslator } from '../../../src/model/openai/events';
import type { ModelStreamEvent } from '../../../src/model/types';

// Chunk streams that real OpenAI-compatible servers send besides OpenAI's own shape (Ollama, llama.cpp, vLLM): each
// must come out as the same Messages blocks the harness reads.

type Delta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta;
const chunk = (delta: Delta, finish: OpenAI.Chat.ChatCompletionChunk.Choice['finish_reason'] = null, usage?: OpenAI.CompletionUsage): OpenAI.Chat.ChatCompletionChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  ...(usage ? { usage } : {}),
});

async function blocksOf(chunks: OpenAI.Chat.ChatCompletionChunk[]): Promise<{ blocks: CompletedBlock[]; stop: string | null; usage: Record<string, number> }> {
  const t = new ChunkTranslator('m');
  async function* events(): AsyncIterable<ModelStreamEvent> {
    for (const c of chunks) yield* t.push(c);
    yield* t.end();
  }
  const blocks: CompletedBlock[] = [];
  const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const out = await consumeStream(events(), { started: () => 'p', delta: () => undefined, completed: async (b) => void blocks.push(b) }, usage);
  return { blocks, stop: out.stopReason, usage };
}

describe('OpenAI-compatible chunk stream -> Messages events', () => {
  it('a whole tool call in one chunk, without an index, finished with "stop" (as some local servers do): tool_use', async () => {
    const r = await blocksOf([chunk({ tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } } as OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall] }), chunk({}, 'stop')]);
    assert.deepEqual(r.blocks, [{ type: 'tool_use', name: 'bash', input: { command: 'ls' } }]);
    assert.equal(r.stop, 'tool_use');
  });

  it('arguments that arrive before the name, and a missing id, still make one call', async () => {
    const r = await blocksOf([
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"file_path":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: 'read', arguments: '"a.txt"}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(r.blocks, [{ type: 'tool_use', name: 'read', input: { file_path: 'a.txt' } }]);
  });

  it('text after two calls starts a new text block; text blocks complete as they end, calls when the reply does', async () => {
    const r = await blocksOf([
      chunk({ content: 'First ' }),
      chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'bash', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'b', function: { name: 'read', arguments: '{"file_path":"x"}' } }] }),
      chunk({ content: 'then more.' }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(
      r.blocks.map((b) => (b.type === 'text' ? b.text : b.type === 'tool_use' ? b.name : b.type)),
      ['First ', 'then more.', 'bash', 'read'],
    );
  });

  it('usage in the finishing chunk itself (no separate usage chunk) is counted; none at all counts zero', async () => {
    const withUsage = await blocksOf([chunk({ content: 'hi' }), chunk({}, 'stop', { prompt_tokens: 50, completion_tokens: 3, total_tokens: 53 })]);
    assert.deepEqual(withUsage.usage, { input_tokens: 50, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const without = await blocksOf([chunk({ content: 'hi' }), chunk({}, 'stop')]);
    assert.deepEqual(without.usage, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it('a stream with chunks but no finish reason throws instead of ending the turn', async () => {
    await assert.rejects(blocksOf([chunk({ content: 'half a' })]), /ended without a finish reason/);
  });
});
