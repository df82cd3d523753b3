import type { ModelUsage } from '../wire';
import type { ModelStreamEvent } from '../model/types';

// Turns a raw Messages API stream into completed blocks, so each block is logged the moment it completes and the
// surfaces can show text deltas live.

export type CompletedBlock =
  | { type: 'text'; text: string; previewId: string }
  | { type: 'thinking'; previewId: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown> }
  | { type: 'invalid_tool_use'; name: string; raw: string; error: string };

export interface StreamSink {
  /** A text or thinking block started: return the id its event will carry (for event_start/event_delta previews). */
  started(kind: 'text' | 'thinking'): string;
  delta(previewId: string, text: string): void;
  completed(block: CompletedBlock): Promise<void>;
}

export interface StreamOutcome {
  usage: ModelUsage;
  stopReason: string | null;
}

type Open =
  | { kind: 'text'; id: string; text: string }
  | { kind: 'thinking'; id: string }
  | { kind: 'tool_use'; name: string; json: string; initial: unknown }
  | { kind: 'other' };

export async function consumeStream(events: AsyncIterable<ModelStreamEvent>, sink: StreamSink, usage: ModelUsage): Promise<StreamOutcome> {
  const open = new Map<number, Open>();
  let stopReason: string | null = null;
  for await (const ev of events) {
    switch (ev.type) {
      case 'message_start': {
        const u = ev.message.usage;
        usage.input_tokens = u.input_tokens ?? 0;
        usage.cache_creation_input_tokens = u.cache_creation_input_tokens ?? 0;
        usage.cache_read_input_tokens = u.cache_read_input_tokens ?? 0;
        usage.output_tokens = u.output_tokens ?? 0;
        break;
      }
      case 'content_block_start': {
        const b = ev.content_block;
        if (b.type === 'text') {
          const block: Open = { kind: 'text', id: sink.started('text'), text: b.text };
          open.set(ev.index, block);
          if (b.text) sink.delta(block.id, b.text);
        } else if (b.type === 'thinking' || b.type === 'redacted_thinking') open.set(ev.index, { kind: 'thinking', id: sink.started('thinking') });
        else if (b.type === 'tool_use') open.set(ev.index, { kind: 'tool_use', name: b.name, json: '', initial: b.input });
        else open.set(ev.index, { kind: 'other' });
        break;
      }
      case 'content_block_delta': {
        const block = open.get(ev.index);
        if (block?.kind === 'text' && ev.delta.type === 'text_delta') {
          block.text += ev.delta.text;
          sink.delta(block.id, ev.delta.text);
        } else if (block?.kind === 'tool_use' && ev.delta.type === 'input_json_delta') block.json += ev.delta.partial_json;
        break;
      }
      case 'content_block_stop': {
        const block = open.get(ev.index);
        open.delete(ev.index);
        if (block) await complete(block, sink);
        break;
      }
      case 'message_delta':
        stopReason = ev.delta.stop_reason ?? stopReason;
        if (ev.usage.output_tokens != null) usage.output_tokens = ev.usage.output_tokens;
        if (ev.usage.input_tokens != null) usage.input_tokens = ev.usage.input_tokens;
        break;
      case 'message_stop':
        break;
    }
  }
  return { usage, stopReason };
}

async function complete(block: Open, sink: StreamSink): Promise<void> {
  if (block.kind === 'text') await sink.completed({ type: 'text', text: block.text, previewId: block.id });
  else if (block.kind === 'thinking') await sink.completed({ type: 'thinking', previewId: block.id });
  else if (block.kind === 'tool_use') await sink.completed(parseToolUse(block.name, block.json, block.initial));
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
