import type Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_BASE_URL, streamMessages } from './anthropic-messages';
import { brokeOff } from './http-errors';
import { ModelError, UNSIGNED_REASONING, type ModelClient, type ModelRequest, type ModelStreamEvent } from './types';

export interface AnthropicModelOptions {
  /** Resolved lazily on every request so a key set after start-up (e.g. through a VS Code command) is used. */
  apiKey: () => Promise<string | undefined>;
  baseURL?: string;
  /** Milliseconds before a request without any response headers is abandoned. */
  timeoutMs?: number;
  /**
   * Whether the endpoint runs Anthropic's server-side web search (`web_search_20250305`). Default: only Anthropic's
   * own API does; another Messages endpoint (a gateway, the scripted model) must say so.
   */
  serverWebSearch?: boolean;
}

export const MISSING_KEY_MESSAGE =
  'No Anthropic API key is set. Provide one with the ANTHROPIC_API_KEY environment variable or `hangar set-key` (CLI), ' +
  'the "Hangar: Set API Key" command (VS Code), or run `hangar demo` to try the scripted model without a key.';

const unsigned = (b: Anthropic.ContentBlockParam) => b.type === 'thinking' && b.signature === UNSIGNED_REASONING;

/**
 * The request without thinking that another provider's model did (a session that switched to Claude): it has no
 * signature the API would accept, and Claude does not need another model's reasoning. When the switch came in the
 * middle of a tool loop, the loop's first assistant message no longer starts with a thinking block, which the API
 * refuses while thinking is on; it allows thinking off, so thinking is off until that loop ends (the next user
 * message starts a turn Claude thinks in again).
 */
function withoutUnsignedReasoning(request: ModelRequest): ModelRequest {
  if (!request.messages.some((m) => typeof m.content !== 'string' && m.content.some(unsigned))) return request;
  const messages = request.messages.map((m) => (typeof m.content === 'string' ? m : ({ ...m, content: m.content.filter((b) => !unsigned(b)) } as typeof m)));
  const thinkingOn = request.thinking !== undefined && request.thinking.type !== 'disabled';
  return { ...request, messages, ...(thinkingOn && openLoopStartedUnsigned(request.messages) ? { thinking: { type: 'disabled' as const } } : {}) };
}

/** Whether the tool loop still open (after the last user message that is not only tool results) began with another model's reasoning. */
function openLoopStartedUnsigned(messages: ModelRequest['messages']): boolean {
  const userTurn = messages.findLastIndex((m) => m.role === 'user' && (typeof m.content === 'string' || !m.content.some((b) => b.type === 'tool_result')));
  const first = messages.slice(userTurn + 1).find((m) => m.role === 'assistant');
  const head = first && typeof first.content !== 'string' ? first.content[0] : undefined;
  return head !== undefined && unsigned(head);
}

export function createAnthropicModel(options: AnthropicModelOptions): ModelClient {
  const endpoint = { baseURL: options.baseURL, timeoutMs: options.timeoutMs ?? 600_000 };
  return {
    serverWebSearch: options.serverWebSearch ?? isAnthropicApi(options.baseURL),
    async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
      const key = await options.apiKey();
      if (!key) throw new ModelError('auth', MISSING_KEY_MESSAGE);
      yield* streamMessages(endpoint, key, withoutUnsignedReasoning(request), signal);
    },
  };
}

function isAnthropicApi(baseURL: string | undefined): boolean {
  if (!baseURL) return true;
  try {
    return new URL(baseURL).hostname === new URL(DEFAULT_BASE_URL).hostname;
  } catch {
    return false;
  }
}

/**
 * Any failure of a model request as a ModelError for the retry policy. The clients throw ModelErrors for everything
 * they recognise (anthropic-messages.ts words the API's answers); anything else is a reply that broke off.
 */
export function classifyModelError(err: unknown): ModelError {
  return err instanceof ModelError ? err : brokeOff(err);
}
