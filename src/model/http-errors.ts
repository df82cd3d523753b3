// What every provider's error classification shares: the retry-after headers, the network cause under an SDK's
// "Connection error.", and a reply that broke off for any other reason.
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
