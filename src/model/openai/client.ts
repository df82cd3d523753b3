import type OpenAI from 'openai';
import { notAnEventStream } from '../http-errors';
import type { ModelClient, ModelRequest, ModelStreamEvent } from '../types';
import { classifyOpenAiError, type ErrorContext } from './errors';
import { ChunkTranslator } from './events';
import { toChatRequest, type MaxTokensField } from './request';

export interface OpenAiCompatibleOptions {
  /** The API root, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`. */
  baseUrl: string;
  /**
   * The key sent as `Authorization: Bearer`, or a function resolving it on each request (a key set after start-up is
   * used). None: no Authorization header, as local servers want.
   */
  apiKey?: string | (() => Promise<string | undefined>);
  /** The provider's model id sent with every request; default: the request's own `model`. */
  model?: string;
  /** Extra headers on every request (Azure's `api-key`, OpenRouter's `HTTP-Referer`, …). */
  headers?: Record<string, string>;
  /** Query parameters on every request (Azure's `api-version`). */
  query?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  /** Milliseconds before a request without any response headers is abandoned. */
  timeoutMs?: number;
  /** Default: max_completion_tokens for OpenAI's and Azure's APIs, max_tokens (what local servers read) elsewhere. */
  maxTokensField?: MaxTokensField;
  /** Appended to "refused the API key": where the person sets this provider's key. */
  keyHint?: string;
}

type Sdk = typeof OpenAI;
/** Loaded with the first request, so a CLI command that never calls a model never parses the SDK. */
let sdk: Sdk | undefined;
async function loadSdk(): Promise<Sdk> {
  return (sdk ??= (await import('openai')).default);
}

/**
 * A ModelClient over any OpenAI-compatible Chat Completions API (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter,
 * OpenAI, Azure OpenAI): it takes the harness's Messages request and yields Messages stream events, so the harness
 * runs unchanged. Thinking and prompt caching are not sent; web search is never the provider's.
 */
export function createOpenAiCompatibleClient(options: OpenAiCompatibleOptions): ModelClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const maxTokensField = options.maxTokensField ?? defaultMaxTokensField(baseUrl);
  let cached: { key: string | undefined; client: OpenAI } | undefined;
  const clientFor = (key: string | undefined, Sdk: Sdk): OpenAI => {
    if (!cached || cached.key !== key) {
      cached = {
        key,
        client: new Sdk({
          // The SDK wants some key; without one the Authorization header is removed below.
          apiKey: key ?? 'none',
          baseURL: baseUrl,
          // Only what the options say: OPENAI_ORG_ID, OPENAI_PROJECT_ID from the environment would go to any provider.
          organization: null,
          project: null,
          defaultHeaders: { ...options.headers, ...(key ? {} : { Authorization: null }) },
          ...(options.query ? { defaultQuery: options.query } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          // The harness owns retries (it logs session.status_rescheduled), so the SDK never retries on its own.
          maxRetries: 0,
          timeout: options.timeoutMs ?? 600_000,
          logLevel: 'off',
        }),
      };
    }
    return cached.client;
  };

  return {
    serverWebSearch: false,
    async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
      const model = options.model ?? request.model;
      const ctx: ErrorContext = { baseUrl, model, keyHint: options.keyHint ?? 'Set a valid key for this provider.' };
      const key = typeof options.apiKey === 'function' ? await options.apiKey() : options.apiKey;
      const Sdk = await loadSdk();
      const client = clientFor(key || undefined, Sdk);
      const translator = new ChunkTranslator(model);
      try {
        const { data, response } = await client.chat.completions.create(toChatRequest(request, model, maxTokensField), { signal }).withResponse();
        const notAStream = await notAnEventStream(response, baseUrl);
        if (notAStream) {
          data.controller.abort();
          throw notAStream;
        }
        for await (const chunk of data) yield* translator.push(chunk);
      } catch (err) {
        if (signal.aborted) throw err;
        throw classifyOpenAiError(err, Sdk, ctx);
      }
      // The SDK ends an aborted stream quietly; the harness sees it end without message_stop, as with Anthropic.
      if (signal.aborted) return;
      yield* translator.end();
    },
  };
}

function defaultMaxTokensField(baseUrl: string): MaxTokensField {
  try {
    const host = new URL(baseUrl).hostname;
    return host === 'api.openai.com' || host.endsWith('.openai.azure.com') ? 'max_completion_tokens' : 'max_tokens';
  } catch {
    return 'max_tokens';
  }
}
