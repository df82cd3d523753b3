import * as z from 'zod';
import { parseWith, type ParseResult } from './parse';
import { EventDelta, EventStart, ModelErrorDetail, ModelPricing, Session, SessionEvent, ToolOutputPreview } from '../wire';

// The session panel's message protocol: one discriminated union per direction, validated on both sides (the
// webview is a separate trust domain; neither side assumes the other sent something well formed). Imported by the
// extension host and by the webview bundle, so it must stay free of `vscode` and Node imports.
//
// The webview only makes requests: each carries an id, and the host answers every one with a `reply` of the same
// id, ok or with the error, once it has acted (for `send` and `confirm`: once the event is in the log). So the
// webview never assumes an answer landed, and can take back what it showed optimistically when it did not. The
// host's other messages are pushes that need no answer.

/** A sub-agent thread as the host knows it; the webview also discovers threads from `session_thread_id` on events. */
export const PanelThread = z.object({
  session_thread_id: z.string().min(1),
  agent_name: z.string(),
  status: z.enum(['running', 'idle', 'terminated']).optional(),
});
export type PanelThread = z.infer<typeof PanelThread>;

export const ChangedFile = z.object({
  path: z.string().min(1),
  status: z.enum(['added', 'modified', 'deleted']),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
});
export type ChangedFile = z.infer<typeof ChangedFile>;

// ---- host → webview ----
/**
 * The summarised thinking of the `agent.thinking` events among `events`, by event id. The API never serves it (the
 * wire event is an envelope); the host reads it from the log record's private part, which it never sends as such.
 */
export const ThinkingTexts = z.record(z.string(), z.string());
export type ThinkingTexts = z.infer<typeof ThinkingTexts>;
/**
 * How the model request behind a `session.error` among `events` failed (by event id): its kind, attempt and the wait
 * before the next attempt, from the log record's private part, so the panel can say what to do and count down.
 */
export const ErrorDetails = z.record(z.string(), ModelErrorDetail);
export type ErrorDetails = z.infer<typeof ErrorDetails>;
/**
 * The sub-agent thread each of `events` belongs to (by event id; absent: the primary thread's), from the log record's
 * private part: the wire marks only cross-posted events with `session_thread_id`, the panel puts every one in its tab.
 */
export const EventThreads = z.record(z.string(), z.string().min(1));
export type EventThreads = z.infer<typeof EventThreads>;
/**
 * The model each sub-agent model request among `events` asked (by `span.model_request_end` id; absent: the session
 * agent's model), from the log record's private part: a roster or inline sub-agent may run on another model, and its
 * requests cost that model's price.
 */
export const RequestModels = z.record(z.string(), z.string().min(1));
export type RequestModels = z.infer<typeof RequestModels>;
/** The pricing of each model `requestModels` names, by model id, in the catalogue in effect (user overrides included). */
export const ModelPricings = z.record(z.string(), ModelPricing);
export type ModelPricings = z.infer<typeof ModelPricings>;
/** The fields an `init` or `events` message carries beside its events: what the webview cannot read off the wire events. */
const EventExtras = {
  thinking: ThinkingTexts.optional(),
  errors: ErrorDetails.optional(),
  eventThreads: EventThreads.optional(),
  requestModels: RequestModels.optional(),
  modelPricing: ModelPricings.optional(),
};
/** Every model a request names comes with its pricing: the webview would otherwise price it as the session's model. */
function pricesEveryRequest(m: { requestModels?: RequestModels | undefined; modelPricing?: ModelPricings | undefined }, ctx: z.RefinementCtx): void {
  for (const [id, model] of Object.entries(m.requestModels ?? {})) {
    if (!m.modelPricing?.[model]) ctx.addIssue({ code: 'custom', message: `model request ${id} names model ${model}, which modelPricing does not price`, path: ['requestModels', id] });
  }
}
/** A tool as "allow for this session" names it: built-in, or an MCP server's. */
export const PanelToolRef = z.object({ name: z.string().min(1).max(128), mcp_server_name: z.string().min(1).max(255).optional() });
export type PanelToolRef = z.infer<typeof PanelToolRef>;
/**
 * The whole log; sent on open, after every webview reload, and after the runtime restarts (the webview rebuilds its
 * view from it). `pricing` is the session model's pricing in the catalogue in effect, user overrides included.
 */
export const InitMessage = z.object({
  type: z.literal('init'),
  session: Session,
  events: z.array(SessionEvent),
  ...EventExtras,
  pricing: ModelPricing,
  threads: z.array(PanelThread).optional(),
  /** Where the session's sandbox runs, as its record says (the header shows it). */
  sandbox: z.enum(['docker', 'local']).optional(),
}).superRefine(pricesEveryRequest);
/** Newly appended events, batched, in log order. */
export const EventsMessage = z.object({ type: z.literal('events'), events: z.array(SessionEvent), ...EventExtras }).superRefine(pricesEveryRequest);
/** A stream-only live preview; replaced by the final agent.message / agent.thinking event with the same id, or (a running tool's output) by its result. */
export const PreviewMessage = z.object({
  type: z.literal('preview'),
  preview: z.discriminatedUnion('type', [EventStart, EventDelta, ToolOutputPreview]),
  /** The sub-agent thread whose preview it is (absent: the primary thread's). */
  thread: z.string().min(1).optional(),
});
/** The session resource changed (status, usage, title). */
export const SessionMessage = z.object({ type: z.literal('session'), session: Session });
/** Something went wrong that answers no request (the log could not be read, a request without a usable id). */
export const ErrorMessage = z.object({ type: z.literal('error'), message: z.string() });
export type ErrorMessage = z.infer<typeof ErrorMessage>;
/** The sandbox's changed files relative to the workspace. */
export const ChangesMessage = z.object({ type: z.literal('changes'), files: z.array(ChangedFile) });
/**
 * The tools this session always allows where its agent would ask (the user's "allow for this session"). `threads`: each
 * sub-agent thread's own, by thread id (a sub-agent's allowances are its roster agent's, so its threads share them).
 */
export const AllowedMessage = z.object({ type: z.literal('allowed'), tools: z.array(PanelToolRef), threads: z.record(z.string().min(1), z.array(PanelToolRef)).optional() });
/** Workspace files the composer offers after `@` (repository-relative, `/`-separated); sent after `init`/`newSession`. */
export const FilesMessage = z.object({ type: z.literal('files'), paths: z.array(z.string().min(1).max(4_096)).max(20_000) });
/** Text for the composer, inserted where the caret is ("Hangar: Add Selection to Chat"). */
export const InsertMessage = z.object({ type: z.literal('insert'), text: z.string().min(1).max(100_000) });
/** Show this thread's tab (a sub-agent node of the Sessions tree was opened). */
export const ShowThreadMessage = z.object({ type: z.literal('showThread'), session_thread_id: z.string().min(1) });
/** No session is shown (the side-bar chat before the first one, or after "New Session"): the composer starts one. */
export const NewSessionMessage = z.object({ type: z.literal('newSession') });

/** Names one webview request; the webview makes them unique within its lifetime. */
export const RequestId = z.string().min(1).max(64);
/** The host's answer to the webview request with the same id. */
export const ReplyMessage = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('reply'), id: RequestId, ok: z.literal(true) }),
  z.object({ type: z.literal('reply'), id: RequestId, ok: z.literal(false), error: z.string().min(1) }),
]);
export type ReplyMessage = z.infer<typeof ReplyMessage>;

export const HostMessage = z.discriminatedUnion('type', [InitMessage, EventsMessage, PreviewMessage, SessionMessage, ErrorMessage, ChangesMessage, AllowedMessage, FilesMessage, InsertMessage, ShowThreadMessage, NewSessionMessage, ReplyMessage]);
export type HostMessage = z.infer<typeof HostMessage>;

// ---- webview → host ----
export const ReadyMessage = z.object({ type: z.literal('ready'), id: RequestId });
/** A user message: starts a turn when idle, steers the running turn otherwise; from a sub-agent's tab, to that thread. */
export const SendMessage = z.object({
  type: z.literal('send'),
  id: RequestId,
  text: z.string().max(100_000).refine((t) => t.trim().length > 0, 'text must not be empty'),
  session_thread_id: z.string().min(1).optional(),
});
/** Stops the session; from a sub-agent's tab (`session_thread_id`), only that thread. */
export const InterruptMessage = z.object({ type: z.literal('interrupt'), id: RequestId, session_thread_id: z.string().min(1).optional() });
export const ConfirmMessage = z
  .object({
    type: z.literal('confirm'),
    id: RequestId,
    tool_use_id: z.string().min(1),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().max(10_000).optional(),
  })
  .refine((m) => m.result === 'deny' || m.deny_message === undefined, { message: 'deny_message is only allowed with result "deny"', path: ['deny_message'] });
export const CustomToolResultMessage = z.object({ type: z.literal('customToolResult'), id: RequestId, custom_tool_use_id: z.string().min(1), text: z.string().max(100_000), is_error: z.boolean() });
/** A path as it appears in the session (relative to the repository or absolute inside the sandbox mount). */
export const OpenFileMessage = z.object({ type: z.literal('openFile'), id: RequestId, path: z.string().min(1) });
/** Open a link from rendered markdown; the host decides (external browser for http(s), nothing else). */
export const OpenLinkMessage = z.object({ type: z.literal('openLink'), id: RequestId, href: z.string().min(1).max(4_000) });
export const ReviewChangesMessage = z.object({ type: z.literal('reviewChanges'), id: RequestId });
export const CopyMessage = z.object({ type: z.literal('copy'), id: RequestId, text: z.string() });
/** Allow every call of the tool for the rest of the session, the waiting ones included; `session_thread_id`: for that sub-agent's calls. */
export const AllowForSessionMessage = z.object({ type: z.literal('allowForSession'), id: RequestId, tool: PanelToolRef, session_thread_id: z.string().min(1).optional() });
/** Take back an "allow for this session": the tool's calls ask again; `session_thread_id`: that sub-agent's allowance. */
export const RevokeAllowanceMessage = z.object({ type: z.literal('revokeAllowance'), id: RequestId, tool: PanelToolRef, session_thread_id: z.string().min(1).optional() });
/** Run "Hangar: Set API Key" (the model refused the key). */
export const SetApiKeyMessage = z.object({ type: z.literal('setApiKey'), id: RequestId });
/** Take the session back to a checkpoint (the rewind action beside a step): its files, and the conversation from there. */
export const RewindMessage = z.object({ type: z.literal('rewind'), id: RequestId, checkpoint_id: z.string().min(1) });
/**
 * A new session from this one at an event (the fork action beside a step: the step's checkpoint event), through the
 * runtime's fork; the host opens the new session's panel.
 */
export const ForkMessage = z.object({ type: z.literal('fork'), id: RequestId, at: z.string().min(1).max(128) });
/** Start an agent on the repository with this task (the composer when no session is shown). */
export const StartMessage = z.object({ type: z.literal('start'), id: RequestId, text: SendMessage.shape.text });

export const WebviewMessage = z.discriminatedUnion('type', [
  ReadyMessage,
  SendMessage,
  InterruptMessage,
  ConfirmMessage,
  CustomToolResultMessage,
  OpenFileMessage,
  OpenLinkMessage,
  ReviewChangesMessage,
  CopyMessage,
  AllowForSessionMessage,
  RevokeAllowanceMessage,
  SetApiKeyMessage,
  StartMessage,
  RewindMessage,
  ForkMessage,
]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;
type WithoutId<M> = M extends unknown ? Omit<M, 'id'> : never;
/** A request as the webview's code writes it; the request channel adds the id. */
export type PanelRequest = WithoutId<WebviewMessage>;

export type HostMessageType = HostMessage['type'];
export type WebviewMessageType = WebviewMessage['type'];
export type HostMessageOf<T extends HostMessageType> = Extract<HostMessage, { type: T }>;
export type WebviewMessageOf<T extends WebviewMessageType> = Extract<WebviewMessage, { type: T }>;

/** Validates a message received by the webview. */
export function parseHostMessage(raw: unknown): ParseResult<HostMessage> {
  return parseWith(HostMessage, 'host→webview', raw);
}

/** Validates a message received by the extension host. */
export function parseWebviewMessage(raw: unknown): ParseResult<WebviewMessage> {
  return parseWith(WebviewMessage, 'webview→host', raw);
}

/**
 * The id of a request that failed validation, when it has a usable one, so the host can still answer it and the
 * webview can take back what it showed; undefined otherwise.
 */
export function requestIdOf(raw: unknown): string | undefined {
  const id = typeof raw === 'object' && raw !== null && 'id' in raw ? (raw as { id: unknown }).id : undefined;
  return RequestId.safeParse(id).success ? (id as string) : undefined;
}
