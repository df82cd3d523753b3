// The scripted model's vocabulary: what a test can make the "model" answer, and the request shape it accepts.
// Scripts come from test code and from the `hangar demo` CLI, so every reply is validated before it is served.
import { z } from 'zod';

export const TextBlockSchema = z.object({ type: z.literal('text'), text: z.string() });
export const ThinkingBlockSchema = z.object({ type: z.literal('thinking'), thinking: z.string() });
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
export const BlockSchema = z.discriminatedUnion('type', [
  TextBlockSchema,
  ThinkingBlockSchema,
  ToolUseBlockSchema,
  RawToolUseBlockSchema,
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

export const MessageReplySchema = z.object({
  kind: z.literal('message'),
  blocks: z.array(BlockSchema),
  stop_reason: z.enum(['end_turn', 'tool_use', 'max_tokens']).optional(),
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
export const MessagesRequestSchema = z.looseObject({
  model: z.string(required).min(1),
  max_tokens: z.number(required).int().positive(),
  messages: z.array(RequestMessageSchema, required).min(1, 'at least one message is required'),
  system: z.union([z.string(), z.array(RequestBlockSchema)]).optional(),
  tools: z.array(z.looseObject({ name: z.string(), cache_control: CacheControlSchema.nullish() })).optional(),
  stream: z.boolean().optional(),
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
}

export function parseReplies(replies: readonly unknown[]): Reply[] {
  return replies.map((r, i) => {
    const parsed = ReplySchema.safeParse(r);
    if (!parsed.success) throw new Error(`scripted model: reply ${i} is invalid: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

/** The stop reason the real API would give: tool_use when the message calls a tool. */
export function stopReasonOf(reply: MessageReply): 'end_turn' | 'tool_use' | 'max_tokens' {
  if (reply.stop_reason) return reply.stop_reason;
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
  fault: (fault: FaultKind, extra: Partial<FaultReply> = {}): FaultReply => ({ kind: 'fault', fault, ...extra }),
};
