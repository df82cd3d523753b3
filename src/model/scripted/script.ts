// The scripted model's vocabulary: what a test can make the "model" answer, and the request shape it accepts.
// Scripts come from test code and from the `hangar demo` CLI, so every reply is validated before it is served.
import * as z from 'zod';

export const TextBlockSchema = z.object({ type: z.literal('text'), text: z.string() });
/**
 * Thinking the model shows. When the request turns thinking on, a reply that does not start with thinking gets one
 * added (as current models think before every step); when thinking is off, thinking blocks are left out.
 */
export const ThinkingBlockSchema = z.object({ type: z.literal('thinking'), thinking: z.string() });
/** Thinking the safety system encrypted: the server fills in the opaque `data`. */
export const RedactedThinkingBlockSchema = z.object({ type: z.literal('redacted_thinking') });
export const ToolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  id: z.string().min(1).optional(),
});
/** Streams `raw_json` verbatim as the tool input: the way to make the model emit invalid tool JSON. */
export const RawToolUseBlockSchema = z.object({
  type: z.literal('tool_use_raw'),
  name: z.string().min(1),
  raw_json: z.string(),
  id: z.string().min(1).optional(),
});
/**
 * A web search the provider runs inside the reply (Anthropic's `web_search` server tool): served as a
 * `server_tool_use` block and its `web_search_tool_result` (the results, or the error code), which the client must
 * send back unmodified. It does not end the turn: the reply goes on with the next block.
 */
export const WebSearchBlockSchema = z.object({
  type: z.literal('web_search'),
  query: z.string().min(1),
  results: z.array(z.object({ url: z.string().min(1), title: z.string(), page_age: z.string().nullish() })).default([]),
  error_code: z.enum(['too_many_requests', 'invalid_input', 'max_uses_exceeded', 'query_too_long', 'unavailable']).optional(),
});
export const BlockSchema = z.discriminatedUnion('type', [
  TextBlockSchema,
  ThinkingBlockSchema,
  RedactedThinkingBlockSchema,
  ToolUseBlockSchema,
  RawToolUseBlockSchema,
  WebSearchBlockSchema,
]);
export type Block = z.infer<typeof BlockSchema>;

export const UsageOverrideSchema = z.object({
  input_tokens: z.number().int().nonnegative().optional(),
  output_tokens: z.number().int().nonnegative().optional(),
  cache_creation_input_tokens: z.number().int().nonnegative().optional(),
  cache_read_input_tokens: z.number().int().nonnegative().optional(),
});
export type UsageOverride = z.infer<typeof UsageOverrideSchema>;

const delayMs = z.number().int().nonnegative();

export const StopReasonSchema = z.enum(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'pause_turn', 'refusal', 'model_context_window_exceeded']);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const RefusalSchema = z.object({
  category: z.enum(['cyber', 'bio', 'frontier_llm', 'reasoning_extraction', 'general_harms']).nullable(),
  explanation: z.string().nullable(),
});
export type Refusal = z.infer<typeof RefusalSchema>;

export const MessageReplySchema = z.object({
  kind: z.literal('message'),
  blocks: z.array(BlockSchema),
  /** Defaults to tool_use when a block calls a tool, else end_turn (stop_sequence when `stop_sequence` is set). */
  stop_reason: StopReasonSchema.optional(),
  /** The custom stop sequence that was "generated". */
  stop_sequence: z.string().min(1).optional(),
  /** `stop_details` of a refusal; defaults to category null when stop_reason is refusal. */
  refusal: RefusalSchema.optional(),
  /** Wait before the response headers: time to first byte. */
  delay_ms: delayMs.optional(),
  /** Wait between streamed deltas. */
  chunk_delay_ms: delayMs.optional(),
  usage: UsageOverrideSchema.optional(),
});
export type MessageReply = z.infer<typeof MessageReplySchema>;

export const FaultKindSchema = z.enum([
  'rate_limit',
  'overloaded',
  'server_error',
  'drop_mid_stream',
  'malformed_sse',
  'hang',
  /** The stream ends (cleanly, no message_stop) in the middle of a thinking block that never got its signature. */
  'cut_in_thinking',
  /** A signature_delta arrives for a block index that no content_block_start opened. */
  'orphan_signature',
  /** A 200 answer with a web page instead of the API's JSON or event stream (a base URL naming a web UI). */
  'html_page',
  /** The stream ends cleanly after some text, but the reply never says why it ended (no stop or finish reason). */
  'no_finish_reason',
  /** A 404 for the request's model, worded as the API words it. */
  'model_not_found',
]);
export type FaultKind = z.infer<typeof FaultKindSchema>;

export const FaultReplySchema = z.object({
  kind: z.literal('fault'),
  fault: FaultKindSchema,
  /** Value of the retry-after header of a rate_limit fault. */
  retry_after_s: z.number().int().nonnegative().optional(),
  delay_ms: delayMs.optional(),
});
export type FaultReply = z.infer<typeof FaultReplySchema>;

export const ReplySchema = z.discriminatedUnion('kind', [MessageReplySchema, FaultReplySchema]);
export type Reply = z.infer<typeof ReplySchema>;

export const EXHAUSTED_TEXT = 'scripted model: script exhausted';

// The request side: only what the server needs is checked; everything else passes through untouched
// so tests can inspect the exact body the harness sent.
const CacheControlSchema = z.looseObject({ type: z.literal('ephemeral') });
export const RequestBlockSchema = z.looseObject({ type: z.string(), cache_control: CacheControlSchema.nullish() });
export const RequestMessageSchema = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(RequestBlockSchema)]),
});
// The API words a missing field "Field required"; the harness's error handling is tested against that.
const required = { error: (iss: { input?: unknown }) => (iss.input === undefined ? 'Field required' : undefined) };
const display = z.enum(['summarized', 'omitted']).nullish();
export const ThinkingParamSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number(required).int(), display }),
  z.looseObject({ type: z.literal('adaptive'), display }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('between_tools') }),
]);
export type ThinkingParam = z.infer<typeof ThinkingParamSchema>;
const EFFORT_VALUES = ['low', 'medium', 'high', 'xhigh', 'max'] as const;
export const MessagesRequestSchema = z.looseObject({
  model: z.string(required).min(1),
  max_tokens: z.number(required).int().positive(),
  messages: z.array(RequestMessageSchema, required).min(1, 'at least one message is required'),
  system: z.union([z.string(), z.array(RequestBlockSchema)]).optional(),
  tools: z.array(z.looseObject({ name: z.string(required), cache_control: CacheControlSchema.nullish() })).optional(),
  stream: z.boolean().optional(),
  thinking: ThinkingParamSchema.optional(),
  output_config: z
    .looseObject({ effort: z.enum(EFFORT_VALUES, { error: () => `Input should be ${EFFORT_VALUES.map((e) => `'${e}'`).join(', ')}` }).nullish() })
    .optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().optional(),
  cache_control: CacheControlSchema.nullish(),
  tool_choice: z.looseObject({ type: z.string() }).optional(),
  stop_sequences: z.array(z.string()).optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;
export type RequestBlock = z.infer<typeof RequestBlockSchema>;

export interface RecordedRequest {
  /** 0-based order of arrival among valid requests. */
  seq: number;
  /** performance.now() when the request arrived. */
  at: number;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: MessagesRequest;
  /** The reply served; undefined while a responder is still computing it. */
  reply?: Reply;
  /** True when the script had run out and the "exhausted" message was served. */
  exhausted: boolean;
}

/** Computes the reply from the request instead of reading a fixed list. */
export type Responder = (request: RecordedRequest) => Reply | Promise<Reply>;

/** Requests that failed validation and got a 400/413, kept for tests of bad input. */
export interface RejectedRequest {
  at: number;
  status: number;
  message: string;
  /** The parsed body, when it parsed (the request broke a rule of the API rather than its shape). */
  body?: MessagesRequest;
}

export function parseReplies(replies: readonly unknown[]): Reply[] {
  return replies.map((r, i) => {
    const parsed = ReplySchema.safeParse(r);
    if (!parsed.success) throw new Error(`scripted model: reply ${i} is invalid: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

/** The stop reason the real API would give: tool_use when the message calls a tool. */
export function stopReasonOf(reply: MessageReply): StopReason {
  if (reply.stop_reason) return reply.stop_reason;
  if (reply.stop_sequence) return 'stop_sequence';
  return reply.blocks.some((b) => b.type === 'tool_use' || b.type === 'tool_use_raw') ? 'tool_use' : 'end_turn';
}

export function exhaustedReply(): MessageReply {
  return { kind: 'message', blocks: [{ type: 'text', text: EXHAUSTED_TEXT }], stop_reason: 'end_turn' };
}

/** Shorthands for writing scripts. */
export const reply = {
  text: (text: string, extra: Partial<MessageReply> = {}): MessageReply => ({
    kind: 'message',
    blocks: [{ type: 'text', text }],
    ...extra,
  }),
  tool: (name: string, input: Record<string, unknown>, text?: string): MessageReply => ({
    kind: 'message',
    blocks: [...(text ? [{ type: 'text' as const, text }] : []), { type: 'tool_use', name, input }],
  }),
  /** An outcome grader's answer: its forced submit_verdict call (src/harness/grader.ts). */
  verdict: (result: 'satisfied' | 'needs_revision' | 'failed', explanation: string): MessageReply => ({
    kind: 'message',
    blocks: [{ type: 'tool_use', name: 'submit_verdict', input: { result, explanation } }],
  }),
  fault: (fault: FaultKind, extra: Partial<FaultReply> = {}): FaultReply => ({ kind: 'fault', fault, ...extra }),
  /** A refusal by the safety classifiers: stop_reason refusal with its stop_details. */
  refusal: (text = '', category: Refusal['category'] = null): MessageReply => ({
    kind: 'message',
    blocks: text ? [{ type: 'text', text }] : [],
    stop_reason: 'refusal',
    refusal: { category, explanation: null },
  }),
  /** A long turn the API paused: the client sends the reply back as-is to let the model continue. */
  pause: (text: string): MessageReply => ({ kind: 'message', blocks: [{ type: 'text', text }], stop_reason: 'pause_turn' }),
  /** max_tokens hit while the model was writing a tool call's input: the JSON stops halfway. */
  toolCutByMaxTokens: (name: string, input: Record<string, unknown>, text?: string): MessageReply => {
    const json = JSON.stringify(input);
    return {
      kind: 'message',
      blocks: [...(text ? [{ type: 'text' as const, text }] : []), { type: 'tool_use_raw', name, raw_json: json.slice(0, Math.max(1, Math.floor(json.length / 2))) }],
      stop_reason: 'max_tokens',
    };
  },
};
