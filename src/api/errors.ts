import * as z from 'zod';
import type { ApiErrorEnvelope, ApiErrorType } from '../wire';
import { RuntimeError } from '../runtime/errors';
import { InvalidEventError as RefusedEventError } from '../harness/delivery';
import { SandboxOutOfSpaceError } from '../sandbox/errors';
import {
  AlreadyExistsError,
  DuplicateEventIdError,
  InvalidCursorError,
  InvalidEventError,
  InvalidIdError,
  InvalidQueryError,
  LeaseHeldError,
  LockTimeoutError,
  LogNotFoundError,
  VersionConflictError,
} from '../log';

// Every failure becomes the Managed Agents error envelope (reference §1.3) with a status the SDK maps to its typed
// errors, and `x-should-retry` so the SDK replays only what a retry can fix.

export interface ApiFailure {
  status: number;
  type: ApiErrorType;
  message: string;
  code?: string;
  /** Overrides the default retry advice (false for 4xx but 408/429; true for 503). */
  retry?: boolean;
  headers?: Record<string, string>;
  fields?: RuntimeError['fields'];
}

export const fail = (status: number, type: ApiErrorType, message: string, code?: string) => new RuntimeError(status, type, message, code);
export const badRequest = (message: string, code?: string) => fail(400, 'invalid_request_error', message, code);

/** Parses `value` or fails with a 400 that names each problem and where it is. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(`Invalid ${where}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function toFailure(err: unknown): ApiFailure {
  if (err instanceof RuntimeError) return { status: err.status, type: err.type, message: err.message, code: err.code, fields: err.fields };
  if (err instanceof RefusedEventError || err instanceof InvalidEventError) return { status: 400, type: 'invalid_request_error', message: err.message };
  if (err instanceof InvalidCursorError) return { status: 400, type: 'invalid_request_error', message: `${err.message}; pass a next_page value from an earlier response with the same order and filters.` };
  if (err instanceof InvalidQueryError) return { status: 400, type: 'invalid_request_error', message: err.message };
  if (err instanceof InvalidIdError || err instanceof LogNotFoundError) return { status: 404, type: 'not_found_error', message: `${err.message}. List the collection to see valid ids.` };
  if (err instanceof VersionConflictError || err instanceof AlreadyExistsError || err instanceof DuplicateEventIdError) return { status: 409, type: 'invalid_request_error', message: err.message };
  if (err instanceof LeaseHeldError) return { status: 409, type: 'invalid_request_error', message: `${err.message}; change it from that process or wait until it stops.` };
  // 507 Insufficient Storage: the user's disk to free (the message says whose and how), not the runtime's fault; a retry
  // before that fails the same way.
  if (err instanceof SandboxOutOfSpaceError) return { status: 507, type: 'api_error', message: err.message, retry: false };
  if (err instanceof LockTimeoutError) return { status: 503, type: 'overloaded_error', message: `${err.message}; retry shortly.`, retry: true };
  const detail = err instanceof Error ? err.message : String(err);
  return { status: 500, type: 'api_error', message: `Internal error in the Hangar runtime: ${detail}` };
}

export function envelope(f: ApiFailure, requestId: string): ApiErrorEnvelope {
  return { type: 'error', error: { type: f.type, message: f.message, ...(f.code ? { details: { error_code: f.code } } : {}), ...f.fields }, request_id: requestId };
}

/** The SDK retries 408, 409, 429 and 5xx unless told otherwise; only rate limits and a busy server are worth it. */
export function shouldRetry(f: ApiFailure): boolean {
  if (f.retry !== undefined) return f.retry;
  return f.status === 408 || f.status === 429 || f.status === 503;
}
