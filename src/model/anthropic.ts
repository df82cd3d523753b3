import type Anthropic from '@anthropic-ai/sdk';
import { brokeOff, causeOf, notAnEventStream, parseRetryAfter } from './http-errors';
import { httpFetch } from './http-fetch';
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

type Sdk = typeof Anthropic;
/** The SDK once a request loaded it: a CLI command that never calls the model never parses its megabyte of code. */
let sdk: Sdk | undefined;
async function loadSdk(): Promise<Sdk> {
  return (sdk ??= (await import('@anthropic-ai/sdk')).default);
}

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
  let cached: { key: string; client: Anthropic } | undefined;
  const clientFor = (key: string, Sdk: Sdk): Anthropic => {
    if (cached?.key !== key) {
      // The harness owns retries (it must log session.status_rescheduled), so the SDK never retries on its own.
      // httpFetch: the global fetch cost every model request more of the loop's CPU (http-fetch.ts).
      cached = { key, client: new Sdk({ apiKey: key, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs ?? 600_000, fetch: httpFetch }) };
    }
    return cached.client;
  };

  return {
    serverWebSearch: options.serverWebSearch ?? isAnthropicApi(options.baseURL),
    async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
      const key = await options.apiKey();
      if (!key) throw new ModelError('auth', MISSING_KEY_MESSAGE);
      const client = clientFor(key, await loadSdk());
      try {
        const { data: stream, response } = await client.messages.create({ ...withoutUnsignedReasoning(request), stream: true }, { signal }).withResponse();
        const notAStream = await notAnEventStream(response, client.baseURL);
        if (notAStream) {
          stream.controller.abort();
          throw notAStream;
        }
        for await (const event of stream) yield event;
      } catch (err) {
        if (signal.aborted) throw err;
        throw classifyModelError(err, client.baseURL);
      }
    },
  };
}

const DEFAULT_BASE_URL = 'https://api.anthropic.com';

function isAnthropicApi(baseURL: string | undefined): boolean {
  if (!baseURL) return true;
  try {
    return new URL(baseURL).hostname === new URL(DEFAULT_BASE_URL).hostname;
  } catch {
    return false;
  }
}

/**
 * A model failure in plain words for the person reading the session (the API's own message kept in brackets, never
 * its raw JSON body), classified for the retry policy. `baseURL` names the model API in "cannot reach" errors.
 */
export function classifyModelError(err: unknown, baseURL: string = DEFAULT_BASE_URL): ModelError {
  if (err instanceof ModelError) return err;
  // Without the SDK loaded, no error can be one of its own.
  const Anthropic = sdk;
  if (!Anthropic) return brokeOff(err);
  if (err instanceof Anthropic.APIError && typeof err.status === 'number') {
    const retryAfterMs = parseRetryAfter(err.headers);
    const said = `${err.status}${apiErrorType(err) ? ` ${apiErrorType(err)}` : ''}: ${apiMessage(err)}`;
    if (err.status === 429) return new ModelError('rate_limited', `The model is rate limited (${said}).`, retryAfterMs, 429);
    if (err.status === 529) return new ModelError('overloaded', `The model is overloaded (${said}).`, retryAfterMs, 529);
    if (err.status === 401 || err.status === 403) {
      return new ModelError('auth', `The API key was refused (${said}). Set a valid key: the "Hangar: Set API Key" command (VS Code), \`hangar set-key\` or ANTHROPIC_API_KEY (CLI).`, undefined, err.status);
    }
    if (err.status >= 500 || err.status === 408 || err.status === 409) return new ModelError('server', `The model API failed (${said}).`, retryAfterMs, err.status);
    return new ModelError('invalid_request', `The model API refused the request (${said}).`, undefined, err.status);
  }
  if (err instanceof Anthropic.APIConnectionTimeoutError) return new ModelError('network', `The model at ${baseURL} did not answer in time.`, undefined, undefined, baseURL);
  if (err instanceof Anthropic.APIConnectionError) return new ModelError('network', `Can't reach the model at ${baseURL} (${causeOf(err)}).`, undefined, undefined, baseURL);
  return brokeOff(err);
}

/** The API's own error message from its JSON body (`{type:"error", error:{type, message}}`), else the SDK's text. */
function apiMessage(err: InstanceType<typeof Anthropic.APIError>): string {
  const body = err.error as { error?: { message?: unknown } } | undefined;
  return typeof body?.error?.message === 'string' ? body.error.message : err.message.replace(/^\d{3}\s+/, '');
}

function apiErrorType(err: InstanceType<typeof Anthropic.APIError>): string | undefined {
  const body = err.error as { error?: { type?: unknown } } | undefined;
  return typeof body?.error?.type === 'string' ? body.error.type : undefined;
}
