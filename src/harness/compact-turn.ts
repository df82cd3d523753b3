import type { ModelUsage, NewEvent, ResolvedModel, SessionEvent } from '../wire';
import { newId } from '../wire';
import type { ModelClient, ModelRequest } from '../model/types';
import { compactionCut, measureTokens, nearsWindow, summaryRequest } from './compaction';
import { consumeStream } from './stream';

// The compaction request: span start (marked as Hangar's own) → summary streamed → span end and
// agent.thread_context_compacted (summary kept privately) in one write. A kill before that write leaves an open span
// that wake() closes as failed; the next step measures again and retries.

export interface CompactDeps {
  events: () => readonly SessionEvent[];
  append: (events: NewEvent[]) => Promise<void>;
  runningEvents: () => NewEvent[];
  model: ModelClient;
}

export function needsCompaction(events: readonly SessionEvent[], buildRequest: () => ModelRequest, maxTokens: number, spec: ResolvedModel, forced: boolean): boolean {
  if (!forced && !nearsWindow(measureTokens(events, buildRequest), maxTokens, spec)) return false;
  return compactionCut(events) !== null;
}

/** True when a compaction was logged (or failed and was logged): the caller steps again. */
export async function compact(deps: CompactDeps, spec: ResolvedModel, model: string, maxTokens: number, signal: AbortSignal): Promise<boolean> {
  const through = compactionCut(deps.events());
  if (!through) return false;
  const startId = newId('sevt');
  await deps.append([...deps.runningEvents(), { id: startId, type: 'span.model_request_start', _hangar: { purpose: 'compaction' } }]);
  const usage: ModelUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  let summary = '';
  try {
    const request = summaryRequest(deps.events(), through, spec, model, maxTokens);
    const sink = {
      started: () => newId('sevt'),
      delta: () => undefined,
      completed: async (b: { type: string; text?: string }) => {
        if (b.type === 'text' && b.text) summary += (summary ? '\n\n' : '') + b.text;
      },
    };
    await consumeStream(deps.model.stream(request, signal), sink, usage);
    if (!summary.trim()) throw new Error('the summary came back empty');
  } catch (err) {
    if (signal.aborted) return true;
    await deps.append([
      { type: 'span.model_request_end', model_request_start_id: startId, is_error: true, model_usage: usage, _hangar: { purpose: 'compaction' } },
      { type: 'session.error', error: { type: 'model_request_failed_error', message: `Compacting the context failed (${err instanceof Error ? err.message : String(err)}); the request goes without it.`, retry_status: { type: 'retrying' } } },
    ]);
    return false;
  }
  await deps.append([
    { type: 'span.model_request_end', model_request_start_id: startId, is_error: false, model_usage: usage, _hangar: { purpose: 'compaction' } },
    { type: 'agent.thread_context_compacted', _hangar: { summary, through } },
  ]);
  return true;
}
