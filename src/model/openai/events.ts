// A Chat Completions chunk stream as the Messages API stream the harness consumes (src/harness/stream.ts): reasoning
// deltas (vLLM's, llama.cpp's and DeepSeek's `reasoning_content`, Ollama's and OpenRouter's `reasoning`) open a
// thinking block, text deltas a text block, each tool call its own tool_use block with the arguments as
// input_json_delta, and the finish reason and usage (sent after it, with stream_options.include_usage) close the message.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import { ModelError, UNSIGNED_REASONING, type ModelStreamEvent } from '../types';

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type FinishReason = NonNullable<Chunk['choices'][number]['finish_reason']>;

const STOP_REASONS: Record<FinishReason, Anthropic.StopReason> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

interface ToolCall {
  /** The Messages block index, once the call's name is known and its block started. */
  block?: number;
  id: string;
  name: string;
  /** Arguments that arrived before the name did. */
  buffered: string;
}

export class ChunkTranslator {
  private started = false;
  private nextBlock = 0;
  private thinkingBlock: number | undefined;
  private textBlock: number | undefined;
  private readonly calls = new Map<number, ToolCall>();
  private finish: FinishReason | undefined;
  private usage: OpenAI.CompletionUsage | undefined;

  constructor(private readonly model: string) {}

  /** Events for one chunk. */
  *push(chunk: Chunk): Generator<ModelStreamEvent> {
    if (!this.started) {
      this.started = true;
      yield messageStart(chunk.id || `chatcmpl-${randomUUID()}`, chunk.model || this.model);
    }
    if (chunk.usage) this.usage = chunk.usage;
    // n is never set, so there is one choice; other indexes would be a provider's bug.
    const choice = chunk.choices.find((c) => c.index === 0) ?? chunk.choices[0];
    if (!choice) return;
    const delta = choice.delta ?? {};
    const reasoning = reasoningOf(delta);
    if (reasoning) yield* this.reasoning(reasoning);
    const text = (delta.content ?? '') + (delta.refusal ?? '');
    if (text) yield* this.text(text);
    for (const [position, call] of (delta.tool_calls ?? []).entries()) yield* this.toolCall(call, position);
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  /** The closing events once the stream ended; throws when the provider never said why the reply ended. */
  *end(): Generator<ModelStreamEvent> {
    if (!this.finish) {
      throw new ModelError('stream', `The model's reply broke off: the stream ended without a finish reason${this.started ? '' : ' (no reply at all)'}.`);
    }
    yield* this.endThinking();
    if (this.textBlock !== undefined) yield stop(this.textBlock);
    const calls = [...this.calls.values()];
    // A call whose name never came is still a call: it reaches the harness as a call to an unknown tool, as today.
    for (const call of calls) if (call.block === undefined) yield* this.startCall(call);
    for (const call of calls) if (call.block !== undefined) yield stop(call.block);
    const stopReason = this.finish === 'stop' && calls.length > 0 ? 'tool_use' : STOP_REASONS[this.finish];
    yield {
      type: 'message_delta',
      delta: {
        stop_reason: stopReason,
        stop_sequence: null,
        stop_details: stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null,
        container: null,
      },
      usage: messageUsage(this.usage),
    } as ModelStreamEvent;
    yield { type: 'message_stop' };
  }

  /** Reasoning after text or calls started (some models think again between calls) is a thinking block of its own. */
  private *reasoning(text: string): Generator<ModelStreamEvent> {
    if (this.thinkingBlock === undefined) {
      if (this.textBlock !== undefined) {
        yield stop(this.textBlock);
        this.textBlock = undefined;
      }
      this.thinkingBlock = this.nextBlock++;
      yield { type: 'content_block_start', index: this.thinkingBlock, content_block: { type: 'thinking', thinking: '', signature: '' } };
    }
    yield { type: 'content_block_delta', index: this.thinkingBlock, delta: { type: 'thinking_delta', thinking: text } };
  }

  /** The reasoning is over once anything else comes: its block closes, with the mark the harness keeps it by. */
  private *endThinking(): Generator<ModelStreamEvent> {
    if (this.thinkingBlock === undefined) return;
    yield { type: 'content_block_delta', index: this.thinkingBlock, delta: { type: 'signature_delta', signature: UNSIGNED_REASONING } };
    yield stop(this.thinkingBlock);
    this.thinkingBlock = undefined;
  }

  private *text(text: string): Generator<ModelStreamEvent> {
    yield* this.endThinking();
    if (this.textBlock === undefined) {
      this.textBlock = this.nextBlock++;
      yield { type: 'content_block_start', index: this.textBlock, content_block: { type: 'text', text: '', citations: null } };
    }
    yield { type: 'content_block_delta', index: this.textBlock, delta: { type: 'text_delta', text } };
  }

  private *toolCall(delta: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall, position: number): Generator<ModelStreamEvent> {
    // Some servers leave out the index (one whole call per chunk): the call's place in the chunk stands in for it.
    yield* this.endThinking();
    const key = typeof delta.index === 'number' ? delta.index : this.calls.size + position;
    let call = this.calls.get(key);
    if (!call) {
      call = { id: delta.id || `call_${randomUUID().replaceAll('-', '')}`, name: '', buffered: '' };
      this.calls.set(key, call);
      // Text after the calls started is a new block; text before them is complete.
      if (this.textBlock !== undefined) {
        yield stop(this.textBlock);
        this.textBlock = undefined;
      }
    }
    if (delta.function?.name && call.block === undefined) call.name += delta.function.name;
    const args = delta.function?.arguments ?? '';
    if (call.block === undefined) {
      call.buffered += args;
      if (call.name) yield* this.startCall(call);
      return;
    }
    if (args) yield { type: 'content_block_delta', index: call.block, delta: { type: 'input_json_delta', partial_json: args } };
  }

  private *startCall(call: ToolCall): Generator<ModelStreamEvent> {
    call.block = this.nextBlock++;
    yield { type: 'content_block_start', index: call.block, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {}, caller: { type: 'direct' } } } as ModelStreamEvent;
    if (call.buffered) yield { type: 'content_block_delta', index: call.block, delta: { type: 'input_json_delta', partial_json: call.buffered } };
    call.buffered = '';
  }
}

/** The reasoning text of a delta, under either name servers give it (neither is in OpenAI's own types). */
function reasoningOf(delta: OpenAI.Chat.ChatCompletionChunk.Choice.Delta): string {
  const extra = delta as { reasoning_content?: unknown; reasoning?: unknown };
  const text = extra.reasoning_content ?? extra.reasoning;
  return typeof text === 'string' ? text : '';
}

function messageStart(id: string, model: string): ModelStreamEvent {
  // Chat Completions reports usage once, at the end: the message starts at zero and message_delta fills it in.
  return {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  } as unknown as ModelStreamEvent;
}

const stop = (index: number): ModelStreamEvent => ({ type: 'content_block_stop', index });

/** Prompt tokens read from the provider's cache are Anthropic's cache reads; input_tokens counts the rest. */
export function messageUsage(u: OpenAI.CompletionUsage | undefined): Anthropic.MessageDeltaUsage {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens_details: null,
    server_tool_use: null,
  };
}
