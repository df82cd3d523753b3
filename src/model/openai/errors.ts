// Chat Completions failures in plain words, classified for the retry policy (src/harness/retry.ts) like the
// Anthropic client's: the provider's own message in brackets, never a raw body (and never a page of HTML).
import type OpenAI from 'openai';
import { brokeOff, causeOf, looksLikeHtml, parseRetryAfter } from '../http-errors';
import { ModelError } from '../types';

type Sdk = typeof OpenAI;

export interface ErrorContext {
  baseUrl: string;
  /** The model id the provider was asked for. */
  model: string;
  /** What the person sets the key with, for the 401/403 message. */
  keyHint: string;
}

export function classifyOpenAiError(err: unknown, sdk: Sdk | undefined, ctx: ErrorContext): ModelError {
  if (err instanceof ModelError) return err;
  if (!sdk) return brokeOff(err);
  if (err instanceof sdk.APIConnectionTimeoutError) return new ModelError('network', `The model at ${ctx.baseUrl} did not answer in time.`, undefined, undefined, ctx.baseUrl);
  if (err instanceof sdk.APIConnectionError) return new ModelError('network', `Can't reach the model at ${ctx.baseUrl} (${causeOf(err)}). Check that the server runs and the base URL is right.`, undefined, undefined, ctx.baseUrl);
  if (err instanceof sdk.APIError && typeof err.status === 'number') return statusError(err, ctx);
  // A chunk that is not JSON: the SDK throws the parser's SyntaxError.
  if (err instanceof SyntaxError) return new ModelError('stream', `The model's reply broke off: the provider sent an event that is not JSON (${err.message}).`);
  return brokeOff(err);
}

function statusError(err: InstanceType<Sdk['APIError']>, ctx: ErrorContext): ModelError {
  const status = err.status as number;
  const html = looksLikeHtml(err.message);
  const said = html ? `${status}, an HTML page instead of the API's JSON` : `${status}: ${apiMessage(err)}`;
  const retryAfterMs = parseRetryAfter(err.headers);
  if (status === 429) return new ModelError('rate_limited', `The model is rate limited (${said}).`, retryAfterMs, status);
  if (status === 401 || status === 403) return new ModelError('auth', `${ctx.baseUrl} refused the API key (${said}). ${ctx.keyHint}`, undefined, status);
  if (status === 404) {
    const where = html ? ` The base URL may lack its API path (often /v1).` : '';
    return new ModelError('invalid_request', `The model "${ctx.model}" was not found at ${ctx.baseUrl} (${said}). Check the model name against the provider's model list.${where}`, undefined, status);
  }
  if (status === 503) return new ModelError('overloaded', `The model is overloaded or still loading (${said}).`, retryAfterMs, status);
  if (status >= 500 || status === 408 || status === 409) return new ModelError('server', `The model API failed (${said}).`, retryAfterMs, status);
  return new ModelError('invalid_request', `The model API refused the request (${said}).`, undefined, status);
}

/** The provider's message: `{error:{message}}` (OpenAI, vLLM, LM Studio), `{error:"…"}` (some servers), else the SDK's. */
function apiMessage(err: InstanceType<Sdk['APIError']>): string {
  const body: unknown = err.error;
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return err.message.replace(/^\d{3}\s+/, '');
}
