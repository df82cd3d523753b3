import * as z from 'zod';
import { lazySchema } from './lazy';

// session.error sub-types (reference §3.5) and the HTTP error envelope (§1.3).
export const RetryStatus = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('retrying') }),
  z.object({ type: z.literal('exhausted') }),
  z.object({ type: z.literal('terminal') }),
]));
export type RetryStatus = z.infer<typeof RetryStatus>;

export const SESSION_ERROR_TYPES = [
  'unknown_error',
  'model_overloaded_error',
  'model_rate_limited_error',
  'model_request_failed_error',
  'mcp_connection_failed_error',
  'mcp_authentication_failed_error',
  'billing_error',
  'credential_host_unreachable_error',
  'tool_use_limit_reached_error',
  'compaction_limit_reached_error',
] as const;

/**
 * How a model request failed, as the harness classified it for its retry policy: kept privately with the
 * session.error it logged (`_hangar.model_error`), so a surface can say what to do (set the key, wait, check the URL).
 */
export const MODEL_ERROR_KINDS = ['rate_limited', 'overloaded', 'server', 'network', 'stream', 'auth', 'invalid_request'] as const;
export const ModelErrorKind = lazySchema(() => z.enum(MODEL_ERROR_KINDS));
export type ModelErrorKind = z.infer<typeof ModelErrorKind>;
export const ModelErrorDetail = lazySchema(() => z.object({
  kind: ModelErrorKind,
  /** Which attempt of the request failed (1 = the first). */
  attempt: z.number().int().positive(),
  /** With retry_status retrying: how long the harness waits before the next attempt. */
  retry_in_ms: z.number().nonnegative().optional(),
  /** The model API's address, when it could not be reached. */
  url: z.string().optional(),
}));
export type ModelErrorDetail = z.infer<typeof ModelErrorDetail>;

export const SessionErrorObject = lazySchema(() => z.object({
  type: z.enum(SESSION_ERROR_TYPES),
  message: z.string(),
  retry_status: RetryStatus,
  mcp_server_name: z.string().optional(),
  credential_id: z.string().optional(),
  vault_id: z.string().optional(),
}));
export type SessionErrorObject = z.infer<typeof SessionErrorObject>;

export const API_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'overloaded_error',
  // Memory stores' typed 409s (reference §1.3): a path taken or overlapping, a content_sha256 precondition not met.
  'memory_path_conflict_error',
  'memory_precondition_failed_error',
] as const;
export type ApiErrorType = (typeof API_ERROR_TYPES)[number];

export const ApiErrorEnvelope = lazySchema(() => z.object({
  type: z.literal('error'),
  error: z.object({
    type: z.enum(API_ERROR_TYPES),
    message: z.string(),
    details: z.object({ error_code: z.string() }).optional(),
    /** memory_path_conflict_error: the memory in the way. */
    conflicting_memory_id: z.string().optional(),
    conflicting_path: z.string().optional(),
  }),
  request_id: z.string().optional(),
}));
export type ApiErrorEnvelope = z.infer<typeof ApiErrorEnvelope>;
