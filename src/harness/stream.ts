import type Anthropic from '@anthropic-ai/sdk';
import type { ModelUsage } from '../wire';
import { ModelError, type ModelStreamEvent } from '../model/types';

// Turns a raw Messages API stream into completed blocks, so each block is logged the moment it completes and the
// surfaces can show text deltas live. Thinking blocks are kept whole (text + signature, or redacted data) and blocks
// Hangar has no event for (server-tool blocks) are kept as the API returned them: both are replayed unmodified.

export type ModelBlock = Anthropic.ContentBlockParam;

export type CompletedBlock =
  | { type: 'text'; text: string; previewId: string }
  | { type: 'thinking'; previewId: string; block: Anthropic.ThinkingBlockParam | Anthropic.RedactedThinkingBlockParam }
  | { type: 'tool_use'; name: string; input: Record<string, unknown> }
  | { type: 'invalid_tool_use'; name: string; raw: string; error: string }
  | { type: 'passthrough'; block: ModelBlock };

export interface StreamSink {
  /** A text or thinking block started: return the id its event will carry (for event_start/event_delta previews). */
  started(kind: 'text' | 'thinking'): string;
  delta(previewId: string, text: string): void;
  completed(block: CompletedBlock): Promise<void>;
}

export interface StreamOutcome {
  usage: ModelUsage;
  stopReason: Anthropic.StopReason | null;
  stopDetails: Anthropic.RefusalStopDetails | null;
  /** The type of the last block the response completed (a tool call cut by max_tokens is the last block). */
  lastBlock: CompletedBlock['type'] | null;
  /** Searches the provider ran in this reply (usage.server_tool_use.web_search_requests, a running total). */
  webSearchRequests: number;
}

type Open =
  | { kind: 'text'; id: string; text: string }
  | { kind: 'thinking'; id: string; thinking: string; signature: string }
  | { kind: 'redacted_thinking'; id: string; data: string }
  | { kind: 'tool_use'; name: string; json: string; initial: unknown }
  | { kind: 'other'; block: Record<string, unknown>; json: string };

export async function consumeStream(events: AsyncIterable<ModelStreamEvent>, sink: StreamSink, usage: ModelUsage): Promise<StreamOutcome> {
  const open = new Map<number, Open>();
  const outcome: StreamOutcome = { usage, stopReason: null, stopDetails: null, lastBlock: null, webSearchRequests: 0 };
  let stopped = false;
  for await (const ev of events) {
    switch (ev.type) {
      case 'message_start': {
        const u = ev.message.usage;
        usage.input_tokens = u.input_tokens ?? 0;
        usage.cache_creation_input_tokens = u.cache_creation_input_tokens ?? 0;
        usage.cache_read_input_tokens = u.cache_read_input_tokens ?? 0;
        usage.output_tokens = u.output_tokens ?? 0;
        outcome.webSearchRequests = u.server_tool_use?.web_search_requests ?? 0;
        break;
      }
      case 'content_block_start':
        open.set(ev.index, openBlock(ev.content_block, sink));
        break;
      case 'content_block_delta': {
        const block = open.get(ev.index);
        const d = ev.delta;
        if (d.type === 'signature_delta') {
          if (block?.kind !== 'thinking') throw new ModelError('stream', 'model stream failed: a signature arrived outside a thinking block');
          block.signature += d.signature;
        } else if (d.type === 'thinking_delta') {
          if (block?.kind !== 'thinking') throw new ModelError('stream', 'model stream failed: thinking text arrived outside a thinking block');
          block.thinking += d.thinking;
        } else if (block?.kind === 'text' && d.type === 'text_delta') {
          block.text += d.text;
          sink.delta(block.id, d.text);
        } else if ((block?.kind === 'tool_use' || block?.kind === 'other') && d.type === 'input_json_delta') block.json += d.partial_json;
        break;
      }
      case 'content_block_stop': {
        const block = open.get(ev.index);
        open.delete(ev.index);
        if (block) {
          const done = complete(block);
          outcome.lastBlock = done.type;
          await sink.completed(done);
        }
        break;
      }
      case 'message_delta':
        outcome.stopReason = ev.delta.stop_reason ?? outcome.stopReason;
        outcome.stopDetails = ev.delta.stop_details ?? outcome.stopDetails;
        if (ev.usage.output_tokens != null) usage.output_tokens = ev.usage.output_tokens;
        if (ev.usage.input_tokens != null) usage.input_tokens = ev.usage.input_tokens;
        // Cumulative like the rest; a Chat Completions provider reports its cached prompt tokens only here, at the end.
        if (ev.usage.cache_read_input_tokens != null) usage.cache_read_input_tokens = ev.usage.cache_read_input_tokens;
        if (ev.usage.cache_creation_input_tokens != null) usage.cache_creation_input_tokens = ev.usage.cache_creation_input_tokens;
        if (ev.usage.server_tool_use?.web_search_requests != null) outcome.webSearchRequests = ev.usage.server_tool_use.web_search_requests;
        break;
      case 'message_stop':
        stopped = true;
        break;
    }
  }
  // A stream cut short (inside a thinking block, say) is a failed request: its blocks are never replayed.
  if (!stopped) {
    const inside = [...open.values()][0]?.kind;
    throw new ModelError('stream', `model stream failed: the stream ended before message_stop${inside ? ` (inside a ${inside} block)` : ''}`);
  }
  return outcome;
}

function openBlock(b: Anthropic.ContentBlock, sink: StreamSink): Open {
  switch (b.type) {
    case 'text': {
      const block: Open = { kind: 'text', id: sink.started('text'), text: b.text };
      if (b.text) sink.delta(block.id, b.text);
      return block;
    }
    case 'thinking':
      return { kind: 'thinking', id: sink.started('thinking'), thinking: b.thinking ?? '', signature: b.signature ?? '' };
    case 'redacted_thinking':
      return { kind: 'redacted_thinking', id: sink.started('thinking'), data: b.data };
    case 'tool_use':
      return { kind: 'tool_use', name: b.name, json: '', initial: b.input };
    default:
      return { kind: 'other', block: { ...b }, json: '' };
  }
}

function complete(block: Open): CompletedBlock {
  switch (block.kind) {
    case 'text':
      return { type: 'text', text: block.text, previewId: block.id };
    case 'thinking':
      if (!block.signature) throw new ModelError('stream', 'model stream failed: a thinking block ended without its signature');
      return { type: 'thinking', previewId: block.id, block: { type: 'thinking', thinking: block.thinking, signature: block.signature } };
    case 'redacted_thinking':
      return { type: 'thinking', previewId: block.id, block: { type: 'redacted_thinking', data: block.data } };
    case 'tool_use':
      return parseToolUse(block.name, block.json, block.initial);
    case 'other':
      return { type: 'passthrough', block: passthrough(block) };
  }
}

// Server-tool blocks come back as the API sent them; a streamed input (server_tool_use) is put back in place. Fields
// only responses carry are left as they are: the API accepts its own blocks.
function passthrough(block: { block: Record<string, unknown>; json: string }): ModelBlock {
  const out = { ...block.block };
  if (block.json.trim() !== '') {
    try {
      out.input = JSON.parse(block.json);
    } catch {
      throw new ModelError('stream', `model stream failed: the ${String(out.type)} block's input was not valid JSON`);
    }
  }
  return out as unknown as ModelBlock;
}

export function parseToolUse(name: string, json: string, initial: unknown): CompletedBlock {
  if (json.trim() === '') {
    const input = isObject(initial) ? initial : {};
    return { type: 'tool_use', name, input };
  }
  try {
    const parsed: unknown = JSON.parse(json);
    if (isObject(parsed)) return { type: 'tool_use', name, input: parsed };
    return { type: 'invalid_tool_use', name, raw: json, error: 'tool input must be a JSON object' };
  } catch (err) {
    return { type: 'invalid_tool_use', name, raw: json, error: err instanceof Error ? err.message : String(err) };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
