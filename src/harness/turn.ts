import type { ModelUsage, NewEvent, SessionEvent, StreamPreview } from '../wire';
import { newId } from '../wire';
import type { ModelClient } from '../model/types';
import { classifyModelError } from '../model/anthropic';
import { buildRequest, type ContextInput } from './context';
import { refusedParameter, type Fallbacks, type RequestSettings } from './model-settings';
import { backoffMs, errorTypeFor, sleep, type RetryPolicy } from './retry';
import { consumeStream, type CompletedBlock, type ModelBlock, type StreamOutcome } from './stream';
import type { ToolRouter } from './tools';
import { serverToolEvent } from './server-tools';

// One model request (with its retries): span start → blocks appended as they complete → span end.

export interface TurnDeps {
  events: () => readonly SessionEvent[];
  append: (events: NewEvent[]) => Promise<void>;
  /** session.status_running when the session is not running yet (logged with the span start: one write). */
  runningEvents: () => NewEvent[];
  model: ModelClient;
  tools: ToolRouter;
  retry: RetryPolicy;
  context: () => ContextInput;
  settings: () => RequestSettings;
  /** The model refused a thinking or effort parameter: later requests go without it. */
  fallBack: (kind: keyof Fallbacks) => void;
  onPreview?: (p: StreamPreview) => void;
}

export type TurnResult = 'done' | 'aborted' | 'exhausted';

/** Abort reasons: a user interrupt ends the turn; a close leaves it for the next wake() to continue. */
export const ABORT_INTERRUPT = 'interrupt';
export const ABORT_CLOSE = 'close';

const zeroUsage = (): ModelUsage => ({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });

export async function modelTurn(deps: TurnDeps, signal: AbortSignal): Promise<TurnResult> {
  for (let attempt = 0; ; attempt++) {
    const startId = newId('sevt');
    await deps.append([...deps.runningEvents(), { id: startId, type: 'span.model_request_start' }]);
    const usage = zeroUsage();
    const settings = deps.settings();
    const tracker = new SpanTracker();
    try {
      const input = { ...deps.context(), maxTokens: settings.maxTokens, thinking: settings.thinking, outputConfig: settings.outputConfig };
      const request = buildRequest(deps.events(), input);
      const outcome = await consumeStream(deps.model.stream(request, signal), sink(deps, tracker), usage);
      await deps.append(closeSpan(startId, usage, outcome, tracker, settings.maxTokens));
      return 'done';
    } catch (err) {
      // The process is stopping: leave the span open, so the next wake() closes it as cut off and asks again.
      if (signal.aborted && signal.reason === ABORT_CLOSE) return 'aborted';
      if (signal.aborted) {
        // Interrupted: what completed stays (the user saw it); the preview of the open block ends with the span.
        await deps.append([{ type: 'span.model_request_end', model_request_start_id: startId, is_error: false, model_usage: usage }]);
        return 'aborted';
      }
      await deps.append([{ type: 'span.model_request_end', model_request_start_id: startId, is_error: true, model_usage: usage }]);
      const me = classifyModelError(err);
      const refused = refusedParameter(me, settings);
      if (refused) {
        // Say so and fall back: the same request without the parameter the model would not take.
        deps.fallBack(refused);
        await deps.append([
          { type: 'session.error', error: { type: 'model_request_failed_error', message: `The model refused the ${refused} setting (${me.message}); continuing without it.`, retry_status: { type: 'retrying' } } },
        ]);
        attempt -= 1;
        continue;
      }
      const errorType = errorTypeFor(me);
      const detail = { kind: me.kind, attempt: attempt + 1, ...(me.url ? { url: me.url } : {}) };
      if (me.retryable && attempt < deps.retry.maxRetries) {
        const waitMs = backoffMs(deps.retry, attempt, me);
        await deps.append([
          { type: 'session.error', error: { type: errorType, message: me.message, retry_status: { type: 'retrying' } }, _hangar: { model_error: { ...detail, retry_in_ms: Math.round(waitMs) } } },
          { type: 'session.status_rescheduled' },
        ]);
        if (!(await sleep(waitMs, signal))) return 'aborted';
        continue;
      }
      // Only a retried error "gave up"; one that retrying cannot fix (a refused key, a bad request) just stopped.
      const message = me.retryable ? `${me.message} Gave up after ${attempt + 1} attempts.` : me.message;
      await deps.append([
        { type: 'session.error', error: { type: errorType, message, retry_status: { type: 'exhausted' } }, _hangar: { model_error: detail } },
        { type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } },
      ]);
      return 'exhausted';
    }
  }
}

/** What one reply produced so far: blocks waiting for an event to ride on, and its tool calls. */
class SpanTracker {
  pending: ModelBlock[] = [];
  /** Server-tool use ids of this reply (srvtoolu_…) → the event ids they were logged as. */
  readonly serverUses = new Map<string, string>();
  readonly toolUses: { id: string; kind: 'builtin' | 'mcp' | 'custom'; resolved: boolean }[] = [];

  /** Hands the waiting blocks (server-tool blocks) to the next event, which replays them before its own block. */
  take(extra: ModelBlock[] = []): { _hangar?: { blocks: Record<string, unknown>[] & { type: string }[] } } {
    const blocks = [...this.pending, ...extra];
    this.pending = [];
    return blocks.length > 0 ? { _hangar: { blocks: blocks as unknown as { type: string }[] } } : {};
  }
}

const CUT_BY_LIMIT = (max: number) =>
  `This call was cut off by the output limit (max_tokens ${max}) before its input was complete, so it did not run. Call it again, with a shorter input if it was long.`;
const NOT_RUN = 'The reply that asked for this call was not kept (the model refused or ran out of context), so the call did not run.';

// The span end carries the stop reason (privately): the state decides from it whether the turn goes on (pause_turn,
// a context window to compact) and the context whether the reply is kept. Tool calls that must not run get a result.
function closeSpan(startId: string, usage: ModelUsage, outcome: StreamOutcome, t: SpanTracker, maxTokens: number): NewEvent[] {
  const stop = outcome.stopReason ?? 'end_turn';
  const end: NewEvent = { type: 'span.model_request_end', model_request_start_id: startId, is_error: false, model_usage: usage, _hangar: { stop_reason: stop, ...(outcome.webSearchRequests > 0 ? { web_search_requests: outcome.webSearchRequests } : {}), ...(t.pending.length > 0 ? { blocks: t.take()._hangar?.blocks } : {}) } };
  const out: NewEvent[] = [end];
  const open = t.toolUses.filter((u) => !u.resolved);
  if (stop === 'max_tokens' && (outcome.lastBlock === 'tool_use' || outcome.lastBlock === 'invalid_tool_use')) {
    const last = open[open.length - 1];
    if (last) out.push(resultEvent(last.kind, last.id, CUT_BY_LIMIT(maxTokens), true));
  } else if (stop === 'max_tokens') {
    out.push({ type: 'session.error', error: { type: 'model_request_failed_error', message: `The reply reached the output limit (max_tokens ${maxTokens}) and was cut off. Send a message to continue.`, retry_status: { type: 'exhausted' } } });
  }
  if (stop === 'refusal' || stop === 'model_context_window_exceeded') for (const u of open) out.push(resultEvent(u.kind, u.id, NOT_RUN, true));
  if (stop === 'refusal') {
    const d = outcome.stopDetails;
    const why = [d?.category, d?.explanation].filter(Boolean).join(': ');
    out.push(
      { type: 'session.error', error: { type: 'model_request_failed_error', message: `The model declined to continue${why ? ` (${why})` : ''}. Its reply is left out of the context; send a new message to go on.`, retry_status: { type: 'exhausted' } } },
      { type: 'session.status_idle', stop_reason: { type: 'refusal' }, stop_details: { type: 'refusal', category: d?.category ?? null, explanation: d?.explanation ?? null } },
    );
  }
  return out;
}

function sink(deps: TurnDeps, tracker: SpanTracker) {
  return {
    started(kind: 'text' | 'thinking'): string {
      const id = newId('sevt');
      deps.onPreview?.({ type: 'event_start', event: { type: kind === 'text' ? 'agent.message' : 'agent.thinking', id } });
      return id;
    },
    delta(previewId: string, text: string): void {
      deps.onPreview?.({ type: 'event_delta', event_id: previewId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text } } });
    },
    completed: async (block: CompletedBlock) => {
      if (block.type === 'passthrough') {
        const server = serverToolEvent(block.block, tracker.serverUses);
        if (!server) {
          tracker.pending.push(block.block);
          return;
        }
        // The event replays the blocks waiting before it, then its own.
        server._hangar = { ...server._hangar, blocks: [...(tracker.take([block.block])._hangar?.blocks ?? [])] };
        await deps.append([server]);
        return;
      }
      if (block.type === 'text' && block.text.length === 0) return;
      const events = eventsForBlock(block, deps.tools);
      const first = events[0];
      if (first) Object.assign(first, tracker.take(block.type === 'thinking' ? [block.block] : []));
      for (const e of events) {
        if (e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use') {
          tracker.toolUses.push({ id: e.id!, kind: e.type === 'agent.tool_use' ? 'builtin' : e.type === 'agent.mcp_tool_use' ? 'mcp' : 'custom', resolved: events.length > 1 });
        }
      }
      await deps.append(events);
    },
  };
}

export function eventsForBlock(block: CompletedBlock, tools: ToolRouter): NewEvent[] {
  switch (block.type) {
    case 'text':
      return block.text.length > 0 ? [{ id: block.previewId, type: 'agent.message', content: [{ type: 'text', text: block.text }] }] : [];
    case 'thinking':
      // The wire event is an envelope; the block itself (text and signature) is attached privately by the sink.
      return [{ id: block.previewId, type: 'agent.thinking' }];
    case 'passthrough':
      return [];
    case 'invalid_tool_use': {
      const id = newId('sevt');
      const raw = block.raw.length > 2000 ? `${block.raw.slice(0, 2000)}…` : block.raw;
      return [
        { id, type: 'agent.tool_use', name: block.name, input: {}, evaluated_permission: 'deny' },
        errorResult(id, `The input for ${block.name} was not valid JSON (${block.error}), so the tool did not run. Call it again with a JSON object that matches its input schema. Received: ${raw}`),
      ];
    }
    case 'tool_use': {
      const id = newId('sevt');
      const c = tools.classify(block.name, block.input);
      if (!c) {
        const available = tools.definitions().map((t) => t.name).join(', ') || 'none';
        const why = tools.unavailable(block.name);
        const text = why ? `${block.name} is not available in this session: ${why}` : `There is no tool named "${block.name}" (or it is disabled for this agent).`;
        return [
          { id, type: 'agent.tool_use', name: block.name, input: block.input, evaluated_permission: 'deny' },
          errorResult(id, `${text} Available tools: ${available}.`),
        ];
      }
      const { permission, evaluation } = c.evaluated;
      if (c.kind === 'custom') return [{ id, type: 'agent.custom_tool_use', name: c.name, input: block.input }];
      const use: NewEvent =
        c.kind === 'mcp'
          ? { id, type: 'agent.mcp_tool_use', name: c.name, mcp_server_name: c.mcpServer ?? '', input: block.input, evaluated_permission: permission, evaluation }
          : { id, type: 'agent.tool_use', name: c.name, input: block.input, evaluated_permission: permission, evaluation };
      if (permission !== 'deny') return [use];
      return [use, resultEvent(c.kind, id, `The permission policy denied this ${c.name} call; it did not run.`, true)];
    }
  }
}

export function resultEvent(kind: 'builtin' | 'mcp' | 'custom', toolUseId: string, text: string, isError: boolean): NewEvent {
  const content = [{ type: 'text' as const, text }];
  return kind === 'mcp'
    ? { type: 'agent.mcp_tool_result', mcp_tool_use_id: toolUseId, content, is_error: isError }
    : { type: 'agent.tool_result', tool_use_id: toolUseId, content, is_error: isError };
}

function errorResult(toolUseId: string, text: string): NewEvent {
  return resultEvent('builtin', toolUseId, text, true);
}
