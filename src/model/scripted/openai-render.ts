// A scripted reply as an OpenAI-compatible Chat Completions server sends it: a whole chat.completion (stream:false)
// or `data:` chunks ending in `[DONE]` (stream:true), tool-call arguments split over several chunks, the usage chunk
// after the finish reason when include_usage asks for it; and the faults such a server (or the network) produces.
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { slices } from './render';
import { pause, sendHtmlPage } from './respond';
import { stopReasonOf, type Block, type FaultReply, type MessageReply, type StopReason, type UsageOverride } from './script';
import { outputTokensOf, tokensOf } from './usage';

export interface ChatExchange {
  res: ServerResponse;
  signal: AbortSignal;
  stream: boolean;
  includeUsage: boolean;
  model: string;
}

/** A tool call with its id, the arguments as the model writes them (invalid JSON stays invalid); a reasoning model's reasoning. */
export type ChatBlock = { type: 'reasoning'; text: string } | { type: 'text'; text: string } | { type: 'tool_call'; id: string; name: string; arguments: string };

const FINISH: Record<StopReason, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  tool_use: 'tool_calls',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  refusal: 'content_filter',
};

const randomId = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;

/** The blocks a Chat Completions model can emit: thinking as unsigned reasoning (nothing redacted), no server-side search. */
export function chatBlocks(blocks: readonly Block[]): ChatBlock[] {
  return blocks.flatMap((b): ChatBlock[] => {
    if (b.type === 'thinking') return [{ type: 'reasoning', text: b.thinking }];
    if (b.type === 'text') return [{ type: 'text', text: b.text }];
    if (b.type === 'tool_use') return [{ type: 'tool_call', id: b.id ?? randomId('call_'), name: b.name, arguments: JSON.stringify(b.input) }];
    if (b.type === 'tool_use_raw') return [{ type: 'tool_call', id: b.id ?? randomId('call_'), name: b.name, arguments: b.raw_json }];
    return [];
  });
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** Usage as OpenAI reports it; a script's Messages-side override maps onto it (cache reads are cached prompt tokens). */
export function chatUsage(promptChars: number, cachedTokens: number, blocks: readonly ChatBlock[], override: UsageOverride = {}): ChatUsage {
  const cached = override.cache_read_input_tokens ?? cachedTokens;
  const prompt = override.input_tokens !== undefined ? override.input_tokens + cached : Math.max(tokensOf(promptChars), cached);
  const completion = override.output_tokens ?? outputTokensOf(blocks.map((b) => (b.type === 'tool_call' ? { type: 'tool_use_raw', id: b.id, name: b.name, raw_json: b.arguments } : { type: 'text', text: b.text })));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

interface Envelope {
  id: string;
  created: number;
  model: string;
}

const chunk = (env: Envelope, delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
  id: env.id,
  object: 'chat.completion.chunk',
  created: env.created,
  model: env.model,
  system_fingerprint: null,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});

const TEXT_CHUNK = 24;

/** Every chunk of a streamed reply, in order; `delta` marks the ones the server paces with chunk_delay_ms. */
export function chatChunks(env: Envelope, reply: MessageReply, blocks: readonly ChatBlock[], usage: ChatUsage | undefined): { data: unknown; delta: boolean }[] {
  const out: { data: unknown; delta: boolean }[] = [{ data: chunk(env, { role: 'assistant', content: '', refusal: null }), delta: false }];
  let call = 0;
  for (const b of blocks) {
    if (b.type !== 'tool_call') {
      const field = b.type === 'text' ? 'content' : 'reasoning_content';
      for (const t of slices(b.text, TEXT_CHUNK)) out.push({ data: chunk(env, { [field]: t }), delta: true });
      continue;
    }
    const index = call++;
    out.push({ data: chunk(env, { tool_calls: [{ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] }), delta: true });
    // Like OpenAI: the arguments in several pieces, a piece never naming the call again.
    for (const p of slices(b.arguments, Math.max(1, Math.ceil(b.arguments.length / 4)))) out.push({ data: chunk(env, { tool_calls: [{ index, function: { arguments: p } }] }), delta: true });
  }
  out.push({ data: chunk(env, {}, FINISH[stopReasonOf(reply)]), delta: false });
  if (usage) out.push({ data: { id: env.id, object: 'chat.completion.chunk', created: env.created, model: env.model, system_fingerprint: null, choices: [], usage }, delta: false });
  return out;
}

/** The body of a non-streaming reply. */
export function chatCompletion(env: Envelope, reply: MessageReply, blocks: readonly ChatBlock[], usage: ChatUsage): string {
  const text = blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  const reasoning = blocks.flatMap((b) => (b.type === 'reasoning' ? [b.text] : [])).join('');
  const calls = blocks.flatMap((b) => (b.type === 'tool_call' ? [{ id: b.id, type: 'function', function: { name: b.name, arguments: b.arguments } }] : []));
  const message = { role: 'assistant', content: text || null, refusal: null, ...(reasoning ? { reasoning_content: reasoning } : {}), ...(calls.length > 0 ? { tool_calls: calls } : {}) };
  return JSON.stringify({ id: env.id, object: 'chat.completion', created: env.created, model: env.model, system_fingerprint: null, choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[stopReasonOf(reply)] }], usage });
}

export const envelope = (model: string): Envelope => ({ id: randomId('chatcmpl-'), created: Math.floor(Date.now() / 1000), model });

const frame = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
const DONE = 'data: [DONE]\n\n';

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

export async function sendChatMessage(ex: ChatExchange, reply: MessageReply, blocks: readonly ChatBlock[], usage: ChatUsage): Promise<void> {
  const env = envelope(ex.model);
  if (!ex.stream) {
    ex.res.writeHead(200, { 'content-type': 'application/json' });
    ex.res.end(chatCompletion(env, reply, blocks, usage));
    return;
  }
  startStream(ex.res);
  for (const c of chatChunks(env, reply, blocks, ex.includeUsage ? usage : undefined)) {
    if (!(await pause(c.delta ? (reply.chunk_delay_ms ?? 0) : 0, ex.signal))) return;
    ex.res.write(frame(c.data));
  }
  ex.res.end(DONE);
}

type ErrorStatus = 400 | 401 | 404 | 413 | 429 | 500 | 503;
const ERROR_TYPES: Record<ErrorStatus, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  503: 'service_unavailable',
};

/** OpenAI's error envelope: `{"error":{"message","type","param","code"}}`. */
export function sendChatError(res: ServerResponse, status: ErrorStatus, message: string, code: string | null = null, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: ERROR_TYPES[status], param: null, code } }));
}

/** What a stream has sent when it breaks: the reply has started and is half written. */
function opening(env: Envelope): string {
  return frame(chunk(env, { role: 'assistant', content: '' })) + frame(chunk(env, { content: 'Let me look at' }));
}

export async function sendChatFault(ex: ChatExchange, reply: FaultReply): Promise<void> {
  const { res } = ex;
  const env = envelope(ex.model);
  switch (reply.fault) {
    case 'rate_limit':
      sendChatError(res, 429, 'scripted model: Rate limit reached for requests. Please try again later.', 'rate_limit_exceeded', { 'retry-after': String(reply.retry_after_s ?? 1) });
      return;
    case 'overloaded':
      sendChatError(res, 503, 'The server is overloaded or not ready yet.');
      return;
    case 'server_error':
      sendChatError(res, 500, 'The server had an error while processing your request.');
      return;
    case 'model_not_found':
      sendChatError(res, 404, `The model \`${ex.model}\` does not exist or you do not have access to it.`, 'model_not_found');
      return;
    case 'html_page':
      sendHtmlPage(res);
      return;
    case 'drop_mid_stream':
      if (ex.stream) {
        startStream(res);
        // Let the chunks reach the client before the socket dies, as a real mid-stream drop would.
        await new Promise<void>((resolve) => res.write(opening(env), () => resolve()));
      }
      res.socket?.destroy();
      return;
    case 'malformed_sse':
      if (!ex.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"chatcmpl-truncated","object":"chat.compl');
        return;
      }
      startStream(res);
      res.end(`${opening(env)}data: {"id":"${env.id}","object":"chat.completion.chunk","choi\n\n`);
      return;
    case 'orphan_signature':
      sendChatError(res, 500, 'scripted model: the orphan_signature fault has no Chat Completions form (no thinking signatures); script another fault');
      return;
    // Chat Completions has no thinking blocks: a stream cut where the thinking would be ends without a finish reason.
    case 'cut_in_thinking':
    case 'no_finish_reason':
      if (!ex.stream) {
        res.socket?.destroy();
        return;
      }
      startStream(res);
      res.end(`${opening(env)}${DONE}`);
      return;
    case 'hang':
      if (ex.signal.aborted) return;
      await new Promise<void>((resolve) => ex.signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
  }
}
