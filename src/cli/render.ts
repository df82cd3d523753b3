import { styleText } from 'node:util';
import { costBasis, formatCost } from '../format/cost';
import { summarizeToolInput } from '../format/tool-input';
import { DEFAULT_MAX_ITERATIONS } from '../wire/limits';
import type { EventOf, OutcomeResult, SessionEvent, SessionSummary, StopReason, ToolResultBlock } from '../wire';
import { assertNever } from '../wire/exhaustive';
import { cliHint } from './invocation';

/** How a session or thread that went idle says why. */
export const IDLE_WORDS: Record<StopReason['type'], string> = {
  end_turn: 'finished',
  requires_action: 'waits for you',
  retries_exhausted: 'stopped after an error',
  budget_reached: 'stopped: budget reached',
  refusal: 'stopped: the model refused',
};

// Human-readable event lines for the terminal. Long tool output is folded to a few lines; the full text stays in
// the log, and the fold names the command that prints it.

type Style = Parameters<typeof styleText>[0];
export type Paint = (style: Style, text: string) => string;

export const paint = (enabled: boolean): Paint => (style, text) => (enabled ? styleText(style, text) : text);

const MAX_RESULT_LINES = 8;

/** One event as terminal text (null: nothing to show); `sessionId` goes into the hint under folded output. */
export function renderEvent(e: SessionEvent, p: Paint, sessionId: string): string | null {
  switch (e.type) {
    case 'user.message':
      return `${p('cyan', '› you')}  ${textOf(e.content)}`;
    case 'user.interrupt':
      return p('yellow', '⏹ interrupt');
    case 'user.tool_confirmation':
      return p('yellow', `✓ ${e.result}${e.deny_message ? `: ${e.deny_message}` : ''}`);
    case 'agent.message':
      return `${p('green', '● agent')}  ${textOf(e.content)}`;
    case 'agent.thinking':
      return p('dim', '… thinking');
    case 'agent.tool_use':
    case 'agent.mcp_tool_use':
    case 'agent.custom_tool_use': {
      const server = e.type === 'agent.mcp_tool_use' ? `${e.mcp_server_name}/` : '';
      const ask = e.type !== 'agent.custom_tool_use' && e.evaluated_permission === 'ask' ? p('yellow', ' (needs your approval)') : '';
      return `${p('magenta', `⚙ ${server}${e.name}`)} ${summarizeInput(e.name, e.input)}${ask}`;
    }
    case 'agent.tool_result':
    case 'agent.mcp_tool_result':
    case 'user.custom_tool_result':
      return foldOutput(resultText(e.content ?? []), e.is_error === true, p, sessionId);
    case 'session.error':
      return p('red', `✖ ${e.error.type}: ${e.error.message} (${e.error.retry_status.type})`);
    case 'session.status_rescheduled':
      return p('yellow', '↻ retrying the model request');
    case 'session.status_idle':
      return e.stop_reason.type === 'end_turn' ? null : p('yellow', `■ ${IDLE_WORDS[e.stop_reason.type]}`);
    case 'session.status_terminated':
      return p('red', '■ terminated');
    case 'user.define_outcome':
      return `${p('cyan', '› outcome')}  ${e.description} ${p('dim', `(up to ${e.max_iterations ?? DEFAULT_MAX_ITERATIONS} evaluations)`)}`;
    case 'span.outcome_evaluation_start':
      return p('dim', `… grading iteration ${e.iteration + 1}`);
    case 'span.outcome_evaluation_end':
      return renderVerdict(e, p);
    case 'hangar.rewind':
      return p('yellow', `↶ rewound to checkpoint ${e.checkpoint_id}: the files are back as they were, the conversation continues from there`);
    // Nothing to do for these; a new event type must be added here or handled above.
    case 'agent.thread_context_compacted':
    case 'agent.thread_message_sent':
    case 'agent.thread_message_received':
    case 'session.status_running':
    case 'session.deleted':
    case 'session.updated':
    case 'session.thread_created':
    case 'session.thread_status_running':
    case 'session.thread_status_idle':
    case 'session.thread_status_terminated':
    case 'span.model_request_start':
    case 'span.model_request_end':
    case 'span.outcome_evaluation_ongoing':
    case 'hangar.checkpoint':
      return null;
    default:
      return assertNever(e, 'event');
  }
}

const VERDICT_STYLE: Record<OutcomeResult, Style> = { satisfied: 'green', needs_revision: 'yellow', max_iterations_reached: 'red', failed: 'red', interrupted: 'yellow' };

/** One iteration's verdict: the result, the grader's explanation and the checks that ran. */
function renderVerdict(e: EventOf<'span.outcome_evaluation_end'>, p: Paint): string {
  const checks = (e._hangar?.checks ?? []).map((c) => `  ${c.exit_code === 0 ? '✓' : '✗'} ${c.command} (${c.exit_code === null ? 'did not finish' : `exit ${c.exit_code}`})`);
  return [p(VERDICT_STYLE[e.result], `◆ iteration ${e.iteration + 1}: ${e.result.replace(/_/g, ' ')}`), ...checks, p('dim', `  ${e.explanation.replace(/\n/g, '\n  ')}`)].join('\n');
}

function textOf(content: readonly { type: string; text?: string }[]): string {
  return content.map((b) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join('\n');
}

function resultText(content: readonly ToolResultBlock[]): string {
  return content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}

/** The shared summary (src/format/tool-input.ts) on one terminal line. */
export function summarizeInput(name: string, input: Record<string, unknown>): string {
  const s = summarizeToolInput(name, input);
  const line = s.text.split('\n')[0] ?? '';
  return name === 'bash' ? `${s.glyph} ${line}` : line;
}

/**
 * The output's first lines (a final newline ends the last line, it does not start one), and how many more there are.
 * The lines shown are cut out and the rest only counted: `hangar events` folds every tool result of a session.
 */
function foldOutput(text: string, isError: boolean, p: Paint, sessionId: string): string {
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  let shown = '';
  let from = 0;
  for (let k = 0; k < MAX_RESULT_LINES; k++) {
    const nl = text.indexOf('\n', from);
    const to = nl === -1 || nl >= end ? end : nl;
    shown += `${k === 0 ? '' : '\n'}  │ ${text.slice(from, to)}`;
    from = to + 1;
    if (from > end) break;
  }
  let more = 0;
  for (let nl = from - 1; nl !== -1 && nl < end; nl = text.indexOf('\n', nl + 1)) more++;
  if (more > 0) shown += `\n  │ … ${more} more lines (all of it: ${cliHint('--json', 'events', sessionId)})`;
  return p(isError ? 'red' : 'dim', shown);
}

export function formatSummary(s: SessionSummary, wallMs: number): string {
  const tokens = s.usage.input_tokens + s.usage.output_tokens + s.usage.cache_read_input_tokens + s.usage.cache_creation.ephemeral_5m_input_tokens;
  return [
    `turns ${s.turns}`,
    `model requests ${s.modelRequests}`,
    `tool calls ${s.toolCalls}`,
    `tokens ${formatCount(tokens)} (in ${formatCount(s.usage.input_tokens)}, out ${formatCount(s.usage.output_tokens)}, cache read ${formatCount(s.usage.cache_read_input_tokens)})`,
    `cost ${formatCost(s.costCents, s.costEstimated)} (${costBasis(s.costEstimated)})`,
    `wall ${(wallMs / 1000).toFixed(1)}s`,
  ].join(' · ');
}

export function formatCount(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

export function statusLine(s: SessionSummary, startedAt: number, spinner: string): string {
  const secs = Math.floor((Date.now() - startedAt) / 1000);
  const tokens = s.usage.input_tokens + s.usage.output_tokens + s.usage.cache_read_input_tokens;
  return `${spinner} ${s.status} · ${s.modelRequests} requests · ${s.toolCalls} tools · ${formatCount(tokens)} tokens · ${formatCost(s.costCents, s.costEstimated)} · ${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
}
