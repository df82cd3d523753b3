import * as z from 'zod';
import { lazySchema } from './lazy';
import { AgentMessageBlock, TextBlock, ToolResultBlock, UserContentBlock } from './content';
import { ModelErrorDetail, SessionErrorObject } from './errors';
import { BudgetLimit } from './budget';
import type { ToolOutputPreview } from './tool-output';
import { InlineAgent } from './inline-agent';
import { CheckpointTrigger } from './checkpoint';
import { CheckRun, OutcomeCheck, OutcomeResult, TextRubric, FileRubric, UserDefineOutcomeParams } from './outcome';

// Session events (reference §3). Every persisted event has id, type and processed_at.
//
// `_hangar` is Hangar's private part of a log record, never served (publicEvent strips it): the model's own blocks an
// event stands for (thinking with its signature, server-tool blocks), replayed unmodified to the model (ARCHITECTURE.md
// invariant 9), and the harness's bookkeeping (stop reason, compaction summary). Keeping and showing are two
// projections of one record.
export const HangarPrivate = lazySchema(() => z.object({
  /** Content blocks exactly as the Messages API returned them, in order, replayed before this event's own block. */
  blocks: z.array(z.looseObject({ type: z.string() })).optional(),
  /**
   * agent.tool_use / agent.tool_result of a server tool the model's provider ran inside its reply (web search): its
   * `blocks` end with the provider's own block; the harness never runs, asks about or answers it.
   */
  server_tool: z.literal(true).optional(),
  /** span.model_request_end: the model's stop_reason. */
  stop_reason: z.string().optional(),
  /**
   * span.model_request_end: searches the model's provider ran inside the reply (its usage.server_tool_use), billed
   * apart from tokens. The wire's span usage has no such field; the session's usage.server_tool_use sums them.
   */
  web_search_requests: z.number().int().positive().optional(),
  /** span.model_request_start / _end: a request made for Hangar itself (a compaction summary), not part of the turn. */
  purpose: z.literal('compaction').optional(),
  /** agent.thread_context_compacted: the summary of everything up to and including event `through`. */
  summary: z.string().optional(),
  through: z.string().optional(),
  /** session.error of a failed model request: how it failed and when it is tried again. */
  model_error: ModelErrorDetail.optional(),
  /** Multi-agent: the sub-agent thread this event belongs to (absent: the primary thread). */
  thread: z.string().optional(),
  /** Multi-agent: the coordinator's send_to_agent call this event is the effect of (thread creation, the message). */
  delegation: z.string().optional(),
  /** session.thread_created of an inline agent's thread: the definition the coordinator's model gave, resolved. */
  inline_agent: InlineAgent.optional(),
  /** Multi-agent: the input event (a thread's task or follow-up) that this message answers. */
  answers: z.string().optional(),
  /** span.model_request_end of a sub-agent thread: the model it asked, which prices the usage. */
  model: z.string().optional(),
  /**
   * session.updated of a file resource added to a live session: what the model is told about it, with its next user
   * turn (the wire's session.updated has no resources field, so the public event is the envelope alone).
   */
  attached: z.string().optional(),
  /** span.outcome_evaluation_end: the check commands run before grading, as the grader saw them. */
  checks: z.array(CheckRun).optional(),
}));
export type HangarPrivate = z.infer<typeof HangarPrivate>;
const envelope = () => ({ id: z.string(), processed_at: z.string().nullable(), _hangar: HangarPrivate.optional() });
const threadRef = () => ({ session_thread_id: z.string().nullish() });

export const EvaluatedPermission = lazySchema(() => z.enum(['allow', 'ask', 'deny']));
export const ToolEvaluation = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('always_allow') }),
  z.object({ type: z.literal('always_ask') }),
  z.object({
    type: z.literal('auto'),
    evaluated_permission: z.object({ type: EvaluatedPermission, reason_code: z.string().optional() }),
  }),
]));
export type ToolEvaluation = z.infer<typeof ToolEvaluation>;

export const ModelUsage = lazySchema(() => z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_creation_input_tokens: z.number().int().nonnegative(),
  cache_read_input_tokens: z.number().int().nonnegative(),
  speed: z.enum(['standard', 'fast']).nullish(),
}));
export type ModelUsage = z.infer<typeof ModelUsage>;

export const StopReason = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('end_turn') }),
  z.object({ type: z.literal('requires_action'), event_ids: z.array(z.string()) }),
  z.object({ type: z.literal('retries_exhausted') }),
  z.object({ type: z.literal('budget_reached') }),
  z.object({ type: z.literal('refusal') }),
]));
export type StopReason = z.infer<typeof StopReason>;

// ---- client → server (echoed and persisted) ----
// A message to one sub-agent thread names it (Hangar's steering of a sub-agent: the reference's user.message params have
// no thread field, its echoes add `session_thread_id` where routed to a sub-agent; see ARCHITECTURE.md, deviations).
export const UserMessageEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('user.message'), content: z.array(UserContentBlock).min(1), ...threadRef() }));
export const UserInterruptEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('user.interrupt'), ...threadRef() }));
export const UserToolConfirmationEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('user.tool_confirmation'),
  tool_use_id: z.string().min(1),
  result: z.enum(['allow', 'deny']),
  deny_message: z.string().nullish(),
  ...threadRef(),
}));
export const UserCustomToolResultEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('user.custom_tool_result'),
  custom_tool_use_id: z.string().min(1),
  content: z.array(ToolResultBlock).nullish(),
  is_error: z.boolean().nullish(),
  ...threadRef(),
}));
// Echoed with its outcome_id; a file rubric is echoed resolved to its text (the reference allows both). `checks` is Hangar's.
export const UserDefineOutcomeEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('user.define_outcome'),
  outcome_id: z.string(),
  description: z.string(),
  rubric: z.discriminatedUnion('type', [TextRubric, FileRubric]),
  max_iterations: z.number().int().nullable(),
  checks: z.array(OutcomeCheck).optional(),
}));

// ---- server → client ----
export const AgentMessageEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('agent.message'), content: z.array(AgentMessageBlock) }));
export const AgentThinkingEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('agent.thinking') }));
const toolUseFields = () => ({
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  evaluated_permission: EvaluatedPermission.optional(),
  evaluation: ToolEvaluation.optional(),
  ...threadRef(),
});
export const AgentToolUseEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('agent.tool_use'), ...toolUseFields() }));
export const AgentToolResultEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('agent.tool_result'),
  tool_use_id: z.string(),
  content: z.array(ToolResultBlock).optional(),
  is_error: z.boolean().nullish(),
}));
export const AgentMcpToolUseEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('agent.mcp_tool_use'), mcp_server_name: z.string(), ...toolUseFields() }));
export const AgentMcpToolResultEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('agent.mcp_tool_result'),
  mcp_tool_use_id: z.string(),
  content: z.array(ToolResultBlock).optional(),
  is_error: z.boolean().nullish(),
}));
export const AgentCustomToolUseEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('agent.custom_tool_use'),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  ...threadRef(),
}));
export const AgentThreadContextCompactedEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('agent.thread_context_compacted') }));
export const AgentThreadMessageSentEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('agent.thread_message_sent'),
  to_session_thread_id: z.string(),
  to_agent_name: z.string().nullish(),
  content: z.array(UserContentBlock),
}));
export const AgentThreadMessageReceivedEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('agent.thread_message_received'),
  from_session_thread_id: z.string(),
  from_agent_name: z.string().nullish(),
  content: z.array(UserContentBlock),
}));

export const SessionStatusRunningEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.status_running') }));
export const SessionStatusIdleEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('session.status_idle'),
  stop_reason: StopReason,
  stop_details: z.unknown().nullish(),
}));
export const SessionStatusRescheduledEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.status_rescheduled') }));
export const SessionStatusTerminatedEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.status_terminated') }));
export const SessionErrorEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.error'), error: SessionErrorObject }));
export const SessionDeletedEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.deleted') }));
export const SessionUpdatedEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('session.updated'),
  title: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).optional(),
  agent: z.unknown().optional(),
  budget: BudgetLimit.nullish(),
}));
const threadFields = () => ({ session_thread_id: z.string(), agent_name: z.string() });
export const SessionThreadCreatedEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.thread_created'), ...threadFields(), workflow_run_id: z.string().nullable() }));
export const SessionThreadStatusRunningEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.thread_status_running'), ...threadFields() }));
export const SessionThreadStatusIdleEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('session.thread_status_idle'),
  ...threadFields(),
  stop_reason: StopReason,
  stop_details: z.unknown().nullish(),
}));
export const SessionThreadStatusTerminatedEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('session.thread_status_terminated'), ...threadFields() }));

export const SpanModelRequestStartEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('span.model_request_start') }));
export const SpanModelRequestEndEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('span.model_request_end'),
  model_request_start_id: z.string(),
  is_error: z.boolean().nullable(),
  model_usage: ModelUsage,
}));

const outcomeSpan = () => ({ outcome_id: z.string(), iteration: z.number().int().nonnegative() });
export const SpanOutcomeEvaluationStartEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('span.outcome_evaluation_start'), ...outcomeSpan() }));
export const SpanOutcomeEvaluationOngoingEvent = lazySchema(() => z.object({ ...envelope(), type: z.literal('span.outcome_evaluation_ongoing'), ...outcomeSpan() }));
export const SpanOutcomeEvaluationEndEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('span.outcome_evaluation_end'),
  outcome_evaluation_start_id: z.string(),
  ...outcomeSpan(),
  result: OutcomeResult,
  explanation: z.string(),
  /** The grader's requests of this evaluation, summed (priced and counted like the agent's). */
  usage: ModelUsage,
}));

// ---- Hangar's own events (checkpoints and rewinds, issue #13) ----
// Logged like any event, but left out of the API's event list and stream (runtime/threads.ts#inSessionView) unless a
// client asks (`hangar_include[]=checkpoints`, hangar-include.ts): the SDK's event union has no such types. The API
// also serves them as GET /v1/sessions/{id}/checkpoints (wire/checkpoint.ts).
/**
 * The sandbox's files at this point of the conversation: a git tree in the sandbox's private git dir. Logged right
 * after the tool result it ends (in the same write), right before the idle it ends, or around a rewind.
 */
export const HangarCheckpointEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('hangar.checkpoint'),
  checkpoint_id: z.string(),
  tree: z.string().regex(/^[0-9a-f]{40}$/),
  /** What it marks: a tool call that changed files ended, an idle, the files just before a rewind, or a rewind done. */
  trigger: CheckpointTrigger,
  /** trigger tool_call: the call whose end it marks. */
  tool_use_id: z.string().nullish(),
}));
/**
 * The user took the session back to a checkpoint: its files were restored and the conversation continues from that
 * checkpoint (harness/rewind.ts). Logged before the files are touched, and followed by a checkpoint (trigger
 * `rewound`) once they are: a wake that finds no checkpoint after the last rewind restores the files again.
 */
export const HangarRewindEvent = lazySchema(() => z.object({
  ...envelope(),
  type: z.literal('hangar.rewind'),
  checkpoint_id: z.string(),
  tree: z.string().regex(/^[0-9a-f]{40}$/),
}));

export const SessionEvent = lazySchema(() => z.discriminatedUnion('type', [
  UserMessageEvent,
  UserInterruptEvent,
  UserToolConfirmationEvent,
  UserCustomToolResultEvent,
  AgentMessageEvent,
  AgentThinkingEvent,
  AgentToolUseEvent,
  AgentToolResultEvent,
  AgentMcpToolUseEvent,
  AgentMcpToolResultEvent,
  AgentCustomToolUseEvent,
  AgentThreadContextCompactedEvent,
  AgentThreadMessageSentEvent,
  AgentThreadMessageReceivedEvent,
  SessionStatusRunningEvent,
  SessionStatusIdleEvent,
  SessionStatusRescheduledEvent,
  SessionStatusTerminatedEvent,
  SessionErrorEvent,
  SessionDeletedEvent,
  SessionUpdatedEvent,
  SessionThreadCreatedEvent,
  SessionThreadStatusRunningEvent,
  SessionThreadStatusIdleEvent,
  SessionThreadStatusTerminatedEvent,
  SpanModelRequestStartEvent,
  SpanModelRequestEndEvent,
  UserDefineOutcomeEvent,
  SpanOutcomeEvaluationStartEvent,
  SpanOutcomeEvaluationOngoingEvent,
  SpanOutcomeEvaluationEndEvent,
  HangarCheckpointEvent,
  HangarRewindEvent,
]));
export type SessionEvent = z.infer<typeof SessionEvent>;
export type SessionEventType = SessionEvent['type'];
export type EventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;

/** The event as the API and the SDK stream show it: without Hangar's private part. */
export function publicEvent<E extends { _hangar?: unknown }>(e: E): Omit<E, '_hangar'> {
  if (e._hangar === undefined) return e;
  const { _hangar: _private, ...rest } = e;
  return rest;
}
// What a producer hands the log: the log assigns id and (unless queued) processed_at.
export type NewEvent = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'id' | 'processed_at'> & { id?: string; processed_at?: string | null } : never) : never;

// ---- params sent by clients (POST /events, initial_events) ----
export const UserMessageParams = lazySchema(() => z.object({
  type: z.literal('user.message'),
  content: z.array(UserContentBlock).min(1, 'content needs at least one block'),
  /** Hangar: steers that sub-agent thread of a multi-agent session instead of the coordinator (absent: the coordinator). */
  session_thread_id: z.string().min(1).nullish(),
}));
export const UserInterruptParams = lazySchema(() => z.object({ type: z.literal('user.interrupt'), session_thread_id: z.string().nullish() }));
export const UserToolConfirmationParams = lazySchema(() => z
  .object({
    type: z.literal('user.tool_confirmation'),
    tool_use_id: z.string().min(1),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().max(10_000).nullish(),
    session_thread_id: z.string().nullish(),
  })
  .refine((p) => p.result === 'deny' || !p.deny_message, { message: 'deny_message is only allowed with result "deny"', path: ['deny_message'] }));
export const UserCustomToolResultParams = lazySchema(() => z.object({
  type: z.literal('user.custom_tool_result'),
  custom_tool_use_id: z.string().min(1),
  content: z.array(ToolResultBlock).nullish(),
  is_error: z.boolean().nullish(),
  session_thread_id: z.string().nullish(),
}));
export const EventParams = lazySchema(() => z.discriminatedUnion('type', [UserMessageParams, UserInterruptParams, UserToolConfirmationParams, UserCustomToolResultParams, UserDefineOutcomeParams]));
export type EventParams = z.infer<typeof EventParams>;
export const SendEventsParams = lazySchema(() => z.object({ events: z.array(EventParams).min(1, 'events needs at least one event').max(50) }));

// ---- stream-only previews (§3.3) ----
export const EventStart = lazySchema(() => z.object({ type: z.literal('event_start'), event: z.object({ type: z.enum(['agent.message', 'agent.thinking']), id: z.string() }) }));
export const EventDelta = lazySchema(() => z.object({
  type: z.literal('event_delta'),
  event_id: z.string(),
  delta: z.object({ type: z.literal('content_delta'), index: z.number().int().nonnegative(), content: TextBlock }),
}));
export type EventStart = z.infer<typeof EventStart>;
export type EventDelta = z.infer<typeof EventDelta>;
export type StreamPreview = EventStart | EventDelta | ToolOutputPreview;
