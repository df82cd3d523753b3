import type { ModelUsage, NewEvent, SessionEvent, StreamPreview } from '../wire';
import { newId } from '../wire';
import type { ModelClient } from '../model/types';
import { ModelError } from '../model/types';
import { classifyModelError } from '../model/anthropic';
import { buildRequest, type ContextInput } from './context';
import { backoffMs, errorTypeFor, sleep, type RetryPolicy } from './retry';
import { consumeStream, type CompletedBlock } from './stream';
import type { ToolRouter } from './tools';

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
  onPreview?: (p: StreamPreview) => void;
  /** Old tool outputs cut so far; a growing count is logged as agent.thread_context_compacted. */
  elidedSoFar: () => number;
  setElided: (n: number) => void;
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
    try {
      const { request, elided } = buildRequest(deps.events(), deps.context());
      if (elided > deps.elidedSoFar()) {
        deps.setElided(elided);
        await deps.append([{ type: 'agent.thread_context_compacted' }]);
      }
      await consumeStream(deps.model.stream(request, signal), sink(deps), usage);
      await deps.append([{ type: 'span.model_request_end', model_request_start_id: startId, is_error: false, model_usage: usage }]);
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
      const me = err instanceof ModelError ? err : classifyModelError(err);
      const errorType = errorTypeFor(me);
      if (me.retryable && attempt < deps.retry.maxRetries) {
        await deps.append([
          { type: 'session.error', error: { type: errorType, message: me.message, retry_status: { type: 'retrying' } } },
          { type: 'session.status_rescheduled' },
        ]);
        if (!(await sleep(backoffMs(deps.retry, attempt, me), signal))) return 'aborted';
        continue;
      }
      const message = me.retryable ? `${me.message} (gave up after ${attempt + 1} attempts)` : me.message;
      await deps.append([
        { type: 'session.error', error: { type: errorType, message, retry_status: { type: 'exhausted' } } },
        { type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } },
      ]);
      return 'exhausted';
    }
  }
}

function sink(deps: TurnDeps) {
  return {
    started(kind: 'text' | 'thinking'): string {
      const id = newId('sevt');
      deps.onPreview?.({ type: 'event_start', event: { type: kind === 'text' ? 'agent.message' : 'agent.thinking', id } });
      return id;
    },
    delta(previewId: string, text: string): void {
      deps.onPreview?.({ type: 'event_delta', event_id: previewId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text } } });
    },
    completed: (block: CompletedBlock) => deps.append(eventsForBlock(block, deps.tools)),
  };
}

export function eventsForBlock(block: CompletedBlock, tools: ToolRouter): NewEvent[] {
  switch (block.type) {
    case 'text':
      return block.text.length > 0 ? [{ id: block.previewId, type: 'agent.message', content: [{ type: 'text', text: block.text }] }] : [];
    case 'thinking':
      return [{ id: block.previewId, type: 'agent.thinking' }];
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
        return [
          { id, type: 'agent.tool_use', name: block.name, input: block.input, evaluated_permission: 'deny' },
          errorResult(id, `There is no tool named "${block.name}" (or it is disabled for this agent). Available tools: ${available}.`),
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
