import { ModelError } from '../model/types';

// Retry policy for model requests: exponential backoff with full jitter, honouring retry-after.
export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 30_000 };

export function backoffMs(policy: RetryPolicy, attempt: number, err: ModelError): number {
  if (err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs, policy.maxDelayMs * 4);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

export function errorTypeFor(err: ModelError): 'model_rate_limited_error' | 'model_overloaded_error' | 'model_request_failed_error' {
  if (err.kind === 'rate_limited') return 'model_rate_limited_error';
  if (err.kind === 'overloaded') return 'model_overloaded_error';
  return 'model_request_failed_error';
}

/** Resolves after ms, or early (false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
