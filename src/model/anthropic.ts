import Anthropic from '@anthropic-ai/sdk';
import { ModelError, type ModelClient, type ModelRequest, type ModelStreamEvent } from './types';

export interface AnthropicModelOptions {
  /** Resolved lazily on every request so a key set after start-up (e.g. through a VS Code command) is used. */
  apiKey: () => Promise<string | undefined>;
  baseURL?: string;
  /** Milliseconds before a request without any response headers is abandoned. */
  timeoutMs?: number;
}

export const MISSING_KEY_MESSAGE =
  'No Anthropic API key is set. Provide one with the ANTHROPIC_API_KEY environment variable or `hangar set-key` (CLI), ' +
  'the "Hangar: Set API Key" command (VS Code), or run `hangar demo` to try the scripted model without a key.';

export function createAnthropicModel(options: AnthropicModelOptions): ModelClient {
  let cached: { key: string; client: Anthropic } | undefined;
  const clientFor = (key: string): Anthropic => {
    if (cached?.key !== key) {
      // The harness owns retries (it must log session.status_rescheduled), so the SDK never retries on its own.
      cached = { key, client: new Anthropic({ apiKey: key, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs ?? 600_000 }) };
    }
    return cached.client;
  };

  return {
    async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
      const key = await options.apiKey();
      if (!key) throw new ModelError('auth', MISSING_KEY_MESSAGE);
      try {
        const stream = await clientFor(key).messages.create({ ...request, stream: true }, { signal });
        for await (const event of stream) yield event;
      } catch (err) {
        if (signal.aborted) throw err;
        throw classifyModelError(err);
      }
    },
  };
}

export function classifyModelError(err: unknown): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof Anthropic.APIError && typeof err.status === 'number') {
    const retryAfterMs = parseRetryAfter(err.headers);
    const msg = `model API answered ${err.status}: ${err.message}`;
    if (err.status === 429) return new ModelError('rate_limited', msg, retryAfterMs, 429);
    if (err.status === 529) return new ModelError('overloaded', msg, retryAfterMs, 529);
    if (err.status === 401 || err.status === 403) return new ModelError('auth', `${msg}. Check the API key.`, undefined, err.status);
    if (err.status >= 500 || err.status === 408 || err.status === 409) return new ModelError('server', msg, retryAfterMs, err.status);
    return new ModelError('invalid_request', msg, undefined, err.status);
  }
  if (err instanceof Anthropic.APIConnectionError) return new ModelError('network', `cannot reach the model API: ${err.message}`);
  if (err instanceof Anthropic.APIError) return new ModelError('stream', `model stream failed: ${err.message}`);
  const message = err instanceof Error ? err.message : String(err);
  return new ModelError('stream', `model stream failed: ${message}`);
}

function parseRetryAfter(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
