import { z } from 'zod';

// session.error sub-types (reference §3.5) and the HTTP error envelope (§1.3).
export const RetryStatus = z.discriminatedUnion('type', [
  z.object({ type: z.literal('retrying') }),
  z.object({ type: z.literal('exhausted') }),
  z.object({ type: z.literal('terminal') }),
]);
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

export const SessionErrorObject = z.object({
  type: z.enum(SESSION_ERROR_TYPES),
  message: z.string(),
  retry_status: RetryStatus,
  mcp_server_name: z.string().optional(),
  credential_id: z.string().optional(),
  vault_id: z.string().optional(),
});
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
] as const;
export type ApiErrorType = (typeof API_ERROR_TYPES)[number];

export const ApiErrorEnvelope = z.object({
  type: z.literal('error'),
  error: z.object({
    type: z.enum(API_ERROR_TYPES),
    message: z.string(),
    details: z.object({ error_code: z.string() }).optional(),
  }),
  request_id: z.string().optional(),
});
export type ApiErrorEnvelope = z.infer<typeof ApiErrorEnvelope>;
