// What every provider's error classification shares: the retry-after headers, the network cause under an SDK's
// "Connection error.", an answer that is not an event stream, and a reply that broke off for any other reason.
import { ModelError } from './types';

export function brokeOff(err: unknown): ModelError {
  const message = err instanceof Error ? err.message : String(err);
  return new ModelError('stream', `The model's reply broke off (${message}).`);
}

/** The network cause under the SDK's "Connection error." (ECONNREFUSED, ENOTFOUND, …). */
export function causeOf(err: Error): string {
  for (let c: unknown = err.cause; c instanceof Error; c = c.cause) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (!(c.cause instanceof Error)) return c.message;
  }
  return err.message;
}

export function parseRetryAfter(headers: Headers | undefined): number | undefined {
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

export function looksLikeHtml(text: string): boolean {
  return /^\s*(\d{3}\s+)?\s*<(!doctype html|html|head|body)/i.test(text);
}

/**
 * The failure for a 2xx answer to a streaming request that is not an event stream, or undefined when it is one. A
 * web page means the base URL names a web UI or a proxy's page, not the API: retrying cannot help.
 */
export async function notAnEventStream(response: Response, baseUrl: string): Promise<ModelError | undefined> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) return undefined;
  const text = type.includes('html') ? '<html' : await response.text().catch(() => '');
  if (looksLikeHtml(text)) {
    return new ModelError('invalid_request', `${baseUrl} answered with an HTML page instead of the API's event stream. Check the base URL: it must name the model API (an OpenAI-compatible one often ends in /v1), not a web UI.`);
  }
  return new ModelError('invalid_request', `${baseUrl} answered ${type || 'without a content type'} instead of an event stream; the provider may not support streaming.`);
}
