import assert from 'node:assert/strict';
import { consumeStream, type CompletedBlock } from '../../../src/harness/stream';
import type { ModelStreamEvent } from '../../../src/model/types';

// Bad streams: each is a failed request (its blocks are never replayed), never a half-kept thinking block.

async function* events(list: unknown[]): AsyncIterable<ModelStreamEvent> {
  for (const e of list) yield e as ModelStreamEvent;
}
const start = { type: 'message_start', message: { usage: { input_tokens: 1, output_tokens: 0 } } };
const thinkingStart = { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } };
const usage = () => ({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });

function run(list: unknown[]): Promise<CompletedBlock[]> {
  const done: CompletedBlock[] = [];
  const sink = { started: () => 'p', delta: () => undefined, completed: async (b: CompletedBlock) => void done.push(b) };
  return consumeStream(events(list), sink, usage()).then(() => done);
}

describe('harness stream: thinking blocks and bad streams', () => {
  it('keeps a thinking block whole: text and signature', async () => {
    const done = await run([
      start,
      thinkingStart,
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'plan' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } },
      { type: 'message_stop' },
    ]);
    assert.deepEqual(done, [{ type: 'thinking', previewId: 'p', block: { type: 'thinking', thinking: 'plan', signature: 'sig' } }]);
  });

  it('a stream that ends inside a thinking block is a stream error', async () => {
    await assert.rejects(run([start, thinkingStart, { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'pl' } }]), /ended before message_stop \(inside a thinking block\)/);
  });

  it('a signature delta without a thinking block is a stream error', async () => {
    await assert.rejects(run([start, { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'x' } }]), /signature arrived outside a thinking block/);
  });

  it('a thinking block that ends without its signature is a stream error', async () => {
    await assert.rejects(run([start, thinkingStart, { type: 'content_block_stop', index: 0 }, { type: 'message_stop' }]), /without its signature/);
  });

  it('keeps server-tool blocks as the API sent them', async () => {
    const block = { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] };
    const done = await run([start, { type: 'content_block_start', index: 0, content_block: block }, { type: 'content_block_stop', index: 0 }, { type: 'message_stop' }]);
    assert.deepEqual(done, [{ type: 'passthrough', block }]);
  });
});
