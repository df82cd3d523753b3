import type Anthropic from '@anthropic-ai/sdk';
import type { ResolvedModel, SessionEvent } from '../wire';
import type { ModelRequest } from '../model/types';
import { buildMessages, droppedSpans, lastCompaction } from './context';

// Summarising compaction. When a session nears its model's context window, one model request (its own context: a
// plain transcript, no tools) summarises the conversation up to a cut point; the summary is logged privately on
// agent.thread_context_compacted and later requests are built as [summary + events after the cut]. The log itself
// is never edited, and the cut point is derived from the log alone, so the same log always yields the same request.

/** Compact when the measured request plus its output limit passes this share of the context window. */
export const COMPACT_AT = 0.9;
const CHARS_PER_TOKEN = 4;
const MAX_SUMMARY_TOKENS = 8_192;
const TRANSCRIPT_ITEM_CHARS = 2_000;

export const SUMMARY_SYSTEM =
  'You are summarising a coding agent session so the agent can continue it with less context. Write a dense summary: ' +
  "the user's goals and constraints, what was done (files read or changed, commands run and their outcomes), decisions " +
  'and their reasons, open problems, and the exact next steps. Keep names, paths and error messages verbatim.';

/**
 * The request's size in tokens: the last reply's usage (what the model counted) plus an estimate for what came after
 * it; a session without a usable reply since the last compaction is estimated from the request as a whole, which
 * only then is built (every step measures, and building the whole context is most of a measure's work).
 */
export function measureTokens(events: readonly SessionEvent[], buildRequest: () => ModelRequest): number {
  const dropped = droppedSpans(events);
  const since = lastCompaction(events)?.index ?? -1;
  for (let i = events.length - 1; i > since; i--) {
    const e = events[i]!;
    if (e.type !== 'span.model_request_end' || dropped.has(e.model_request_start_id)) continue;
    const u = e.model_usage;
    const counted = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens + u.output_tokens;
    if (counted === 0) break;
    let after = 0;
    for (let j = i + 1; j < events.length; j++) after += JSON.stringify(events[j]).length;
    return counted + Math.ceil(after / CHARS_PER_TOKEN);
  }
  const request = buildRequest();
  const chars = JSON.stringify(request.messages).length + JSON.stringify(request.system ?? '').length + JSON.stringify(request.tools ?? []).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

export function nearsWindow(measured: number, maxTokens: number, spec: ResolvedModel): boolean {
  return measured + maxTokens > spec.contextWindow * COMPACT_AT;
}

/**
 * Where a compaction cuts: just before the last reply the model kept (that reply and what follows stay verbatim, so
 * its thinking blocks and tool calls reach the model unmodified). Null when there is nothing new to summarise.
 */
export function compactionCut(events: readonly SessionEvent[]): string | null {
  const dropped = droppedSpans(events);
  const since = lastCompaction(events)?.index ?? -1;
  for (let i = events.length - 1; i > since + 1; i--) {
    const e = events[i]!;
    if (e.type === 'span.model_request_start' && !dropped.has(e.id) && !e._hangar?.purpose) {
      const closed = events.some((x, j) => j > i && x.type === 'span.model_request_end' && x.model_request_start_id === e.id);
      if (closed) return events[i - 1]!.id;
    }
  }
  return null;
}

/** The summarisation request: the context up to the cut as a plain transcript, most recent part kept when long. */
export function summaryRequest(events: readonly SessionEvent[], through: string, spec: ResolvedModel, model: string, maxTokens: number): ModelRequest {
  const cut = events.findIndex((e) => e.id === through);
  const transcript = renderTranscript(buildMessages(events.slice(0, cut + 1)));
  const budgetChars = Math.max(10_000, Math.floor(spec.contextWindow * 0.5 * CHARS_PER_TOKEN));
  const kept = transcript.length > budgetChars ? `[… the oldest ${transcript.length - budgetChars} characters are left out …]\n${transcript.slice(-budgetChars)}` : transcript;
  return {
    model,
    max_tokens: Math.min(MAX_SUMMARY_TOKENS, maxTokens, spec.maxOutputTokens),
    system: SUMMARY_SYSTEM,
    messages: [{ role: 'user', content: `<transcript>\n${kept}\n</transcript>\n\nSummarise this session as instructed.` }],
    ...(spec.thinking === 'adaptive' || spec.thinking === 'budget' ? { thinking: { type: 'disabled' } } : {}),
  };
}

function renderTranscript(messages: readonly Anthropic.MessageParam[]): string {
  const lines: string[] = [];
  for (const m of messages) {
    const blocks = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
    for (const b of blocks) {
      const line = renderBlock(b);
      if (line) lines.push(`${m.role === 'user' ? 'User' : 'Agent'}: ${line}`);
    }
  }
  return lines.join('\n');
}

function renderBlock(b: Anthropic.ContentBlockParam): string | null {
  switch (b.type) {
    case 'text':
      return clip(b.text);
    case 'tool_use':
      return `[called ${b.name} ${clip(JSON.stringify(b.input))}]`;
    case 'tool_result': {
      const text = typeof b.content === 'string' ? b.content : (b.content ?? []).map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
      return `[${b.is_error ? 'error' : 'result'}: ${clip(text)}]`;
    }
    case 'thinking':
    case 'redacted_thinking':
      return null;
    default:
      return `[${b.type}]`;
  }
}

function clip(text: string): string {
  if (text.length <= TRANSCRIPT_ITEM_CHARS) return text;
  const half = TRANSCRIPT_ITEM_CHARS / 2;
  return `${text.slice(0, half)} […${text.length - TRANSCRIPT_ITEM_CHARS} characters…] ${text.slice(-half)}`;
}
