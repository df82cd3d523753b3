// Turns a scripted message reply into what the real Messages API sends: a whole Message object
// (stream:false) or the SSE event sequence (stream:true), with the same field names and order.
import { randomBytes } from 'node:crypto';
import { stopReasonOf, type Block, type MessageReply } from './script';
import type { Signer } from './signing';
import type { Usage } from './usage';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** An id shaped like the API's (`msg_01…`, `toolu_01…`, `req_01…`): prefix, "01", 22 base62 chars. */
export function newId(prefix: 'msg' | 'toolu' | 'srvtoolu' | 'req'): string {
  const bytes = randomBytes(22);
  let s = '';
  for (const b of bytes) s += BASE62[b % 62];
  return `${prefix}_01${s}`;
}

/** A block with its tool id and thinking signature resolved, so the streamed and whole forms agree. */
export type ResolvedBlock =
  | Extract<Block, { type: 'text' }>
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | (Extract<Block, { type: 'tool_use' | 'tool_use_raw' }> & { id: string })
  | { type: 'server_tool_use'; id: string; name: 'web_search'; input: { query: string } }
  | { type: 'web_search_tool_result'; tool_use_id: string; content: SearchResultContent };

type SearchResultContent =
  | { type: 'web_search_result'; url: string; title: string; encrypted_content: string; page_age: string | null }[]
  | { type: 'web_search_tool_result_error'; error_code: string };

export interface Emission {
  /** Whether the request has the model think (see validate.ts#thinkingOn). */
  thinking: boolean;
  /** `thinking.display: "omitted"`: thinking text is withheld, the signature still comes. */
  omitThinking: boolean;
  signer: Signer;
}

const isThinking = (b: Block): boolean => b.type === 'thinking' || b.type === 'redacted_thinking';

function plannedThought(blocks: readonly Block[]): string {
  const tool = blocks.find((b) => b.type === 'tool_use' || b.type === 'tool_use_raw');
  return tool ? `The next step is to call ${tool.name}.` : 'I can answer now.';
}

/**
 * The blocks the model emits for a scripted reply: with thinking on, a reply starts with thinking (one is planned
 * when the script has none), as current models think before each step; with thinking off, there is no thinking.
 */
export function emittedBlocks(blocks: readonly Block[], thinking: boolean): Block[] {
  if (!thinking) return blocks.filter((b) => !isThinking(b));
  if (blocks[0] && isThinking(blocks[0])) return [...blocks];
  return [{ type: 'thinking', thinking: plannedThought(blocks) }, ...blocks];
}

/** Emitted blocks with tool ids, signatures and redacted data filled in. */
export function resolveBlocks(blocks: readonly Block[], em: Emission): ResolvedBlock[] {
  return emittedBlocks(blocks, em.thinking).flatMap((b): ResolvedBlock | ResolvedBlock[] => {
    switch (b.type) {
      case 'web_search': {
        const id = newId('srvtoolu');
        const content: SearchResultContent = b.error_code
          ? { type: 'web_search_tool_result_error', error_code: b.error_code }
          : b.results.map((r) => ({ type: 'web_search_result', url: r.url, title: r.title, encrypted_content: em.signer.searchResultContent(r.url), page_age: r.page_age ?? null }));
        return [
          { type: 'server_tool_use', id, name: 'web_search', input: { query: b.query } },
          { type: 'web_search_tool_result', tool_use_id: id, content },
        ];
      }
      case 'thinking': {
        const shown = em.omitThinking ? '' : b.thinking;
        return { type: 'thinking', thinking: shown, signature: em.signer.signThinking(shown) };
      }
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: em.signer.redactedData() };
      case 'tool_use':
      case 'tool_use_raw':
        return { ...b, id: b.id ?? newId('toolu') };
      case 'text':
        return b;
    }
  });
}

/** The message's closing fields: stop_reason, stop_sequence and (for refusals) stop_details. */
function stopFields(reply: MessageReply): Record<string, unknown> {
  const stop_reason = stopReasonOf(reply);
  const stop_details = stop_reason === 'refusal' ? { type: 'refusal', category: null, explanation: null, ...reply.refusal } : null;
  return { stop_reason, stop_sequence: stop_reason === 'stop_sequence' ? (reply.stop_sequence ?? null) : null, stop_details };
}

function apiUsage(u: Usage): Record<string, unknown> {
  return {
    input_tokens: u.input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: u.output_tokens,
    service_tier: 'standard',
  };
}

/** The provider's count of the searches it ran in this reply, as the Messages API reports it (only when there were some). */
function serverToolUse(blocks: readonly ResolvedBlock[]): { server_tool_use?: { web_search_requests: number } } {
  const searches = blocks.filter((b) => b.type === 'server_tool_use').length;
  return searches > 0 ? { server_tool_use: { web_search_requests: searches } } : {};
}

function envelope(id: string, model: string): Record<string, unknown> {
  return { id, type: 'message', role: 'assistant', model, content: [] as unknown[], stop_reason: null, stop_sequence: null, stop_details: null };
}

// A raw tool input cannot be embedded as a JS value, so the whole message carries a placeholder
// that is replaced by the raw text after serialisation: invalid JSON stays invalid, verbatim.
const RAW_MARK = '\u0000scripted-raw-json:';

/** The JSON body of a non-streaming reply. */
export function messageBody(id: string, model: string, reply: MessageReply, blocks: ResolvedBlock[], usage: Usage): string {
  const raws: string[] = [];
  const content = blocks.map((b) => {
    switch (b.type) {
      case 'text':
        return { type: 'text', text: b.text, citations: null };
      case 'thinking':
        return { type: 'thinking', thinking: b.thinking, signature: b.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: b.data };
      case 'tool_use':
        return { type: 'tool_use', id: b.id, name: b.name, input: b.input, caller: { type: 'direct' } };
      case 'tool_use_raw':
        raws.push(b.raw_json);
        return { type: 'tool_use', id: b.id, name: b.name, input: `${RAW_MARK}${raws.length - 1}`, caller: { type: 'direct' } };
      case 'server_tool_use':
      case 'web_search_tool_result':
        return b;
    }
  });
  const msg = { ...envelope(id, model), content, ...stopFields(reply), usage: { ...apiUsage(usage), ...serverToolUse(blocks) } };
  return JSON.stringify(msg).replace(/"\\u0000scripted-raw-json:(\d+)"/g, (_m, i: string) => raws[Number(i)] ?? '');
}

export interface SseEvent {
  event: string;
  data: unknown;
  /** True for events that carry a delta: the server waits chunk_delay_ms before each. */
  delta?: boolean;
}

/** Slices a string into pieces of at most `size`, never between the halves of a surrogate pair. */
export function slices(s: string, size: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    let end = Math.min(s.length, i + size);
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    out.push(s.slice(i, end));
    i = end;
  }
  return out;
}

const TEXT_CHUNK = 24;

function blockEvents(b: ResolvedBlock, index: number): SseEvent[] {
  const delta = (d: Record<string, unknown>): SseEvent => ({
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index, delta: d },
    delta: true,
  });
  const start = (content_block: Record<string, unknown>): SseEvent => ({
    event: 'content_block_start',
    data: { type: 'content_block_start', index, content_block },
  });
  const events: SseEvent[] = [];
  switch (b.type) {
    case 'text':
      events.push(start({ type: 'text', text: '', citations: null }));
      for (const t of slices(b.text, TEXT_CHUNK)) events.push(delta({ type: 'text_delta', text: t }));
      break;
    case 'thinking':
      events.push(start({ type: 'thinking', thinking: '', signature: '' }));
      for (const t of slices(b.thinking, TEXT_CHUNK)) events.push(delta({ type: 'thinking_delta', thinking: t }));
      events.push(delta({ type: 'signature_delta', signature: b.signature }));
      break;
    case 'redacted_thinking':
      // Redacted thinking arrives whole in its start event, with no deltas.
      events.push(start({ type: 'redacted_thinking', data: b.data }));
      break;
    case 'tool_use':
    case 'tool_use_raw': {
      const json = b.type === 'tool_use' ? JSON.stringify(b.input) : b.raw_json;
      events.push(start({ type: 'tool_use', id: b.id, name: b.name, input: {}, caller: { type: 'direct' } }));
      // Like the API: an empty first chunk, then the JSON in several pieces.
      const pieces = ['', ...slices(json, Math.max(1, Math.ceil(json.length / 4)))];
      for (const p of pieces) events.push(delta({ type: 'input_json_delta', partial_json: p }));
      break;
    }
    case 'server_tool_use':
      // Like a tool call: the input streams as JSON.
      events.push(start({ type: 'server_tool_use', id: b.id, name: b.name, input: {} }));
      events.push(delta({ type: 'input_json_delta', partial_json: JSON.stringify(b.input) }));
      break;
    case 'web_search_tool_result':
      // The results arrive whole in the start event.
      events.push(start({ ...b }));
      break;
  }
  events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  return events;
}

export function messageStart(id: string, model: string, usage: Usage): SseEvent {
  // message_start reports the input side; output_tokens grows until message_delta.
  return { event: 'message_start', data: { type: 'message_start', message: { ...envelope(id, model), usage: apiUsage({ ...usage, output_tokens: 1 }) } } };
}

export const PING: SseEvent = { event: 'ping', data: { type: 'ping' } };

/** The complete event sequence of a streamed reply. */
export function streamEvents(id: string, model: string, reply: MessageReply, blocks: ResolvedBlock[], usage: Usage): SseEvent[] {
  const events: SseEvent[] = [messageStart(id, model, usage)];
  blocks.forEach((b, i) => {
    const evs = blockEvents(b, i);
    events.push(...(i === 0 ? [evs[0] as SseEvent, PING, ...evs.slice(1)] : evs));
  });
  if (blocks.length === 0) events.push(PING);
  const { output_tokens, input_tokens, cache_creation_input_tokens, cache_read_input_tokens } = usage;
  events.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { ...stopFields(reply), container: null },
      usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens, ...serverToolUse(blocks) },
    },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

export const sseFrame = (e: SseEvent): string => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
