import type Anthropic from '@anthropic-ai/sdk';
import type { SessionEvent, ToolResultBlock } from '../wire';
import type { ModelRequest } from '../model/types';
import { assertNever } from '../wire/exhaustive';
import type { ModelTool } from './tools';
import { outcomeTaskText, revisionText } from './grader';
import { rubricText } from '../wire/outcome';
import { conversationEvents } from './rewind';

// Builds the Messages API request from the log. The log is not the context window:
// - the model's own blocks (thinking with its signature, server-tool blocks) are replayed exactly as they came, in
//   order (ARCHITECTURE.md invariant 9);
// - failed model requests, refused replies and replies cut by the context window are left out (their tool calls
//   never ran);
// - after a compaction, everything up to its cut point is replaced by the summary;
// - after a rewind, the conversation is the one its checkpoint ended, then what followed the rewind (rewind.ts);
// - consecutive turns of one role are merged, and tool results always lead the user turn that follows the
//   assistant's tool calls.

type Block = Anthropic.ContentBlockParam;
type Message = Anthropic.MessageParam;

export interface ContextInput {
  model: string;
  maxTokens: number;
  system: string;
  tools: ModelTool[];
  thinking?: Anthropic.ThinkingConfigParam;
  outputConfig?: Anthropic.OutputConfig;
}

const CACHE = { type: 'ephemeral' } as const;
/** A reply that stopped for these reasons is not part of the conversation the model continues. */
const DROPPED_STOPS = new Set(['refusal', 'model_context_window_exceeded']);

export const SUMMARY_PREFIX = 'The earlier part of this session was compacted to fit the context window. Summary of it:\n\n';

export function buildRequest(events: readonly SessionEvent[], input: ContextInput): ModelRequest {
  const messages = buildMessages(events);
  markCacheBreakpoints(messages);
  const tools = input.tools.map((t, i) => (i === input.tools.length - 1 ? { ...t, cache_control: CACHE } : t));
  return {
    model: input.model,
    max_tokens: input.maxTokens,
    system: [{ type: 'text', text: input.system, cache_control: CACHE }],
    messages,
    ...(tools.length > 0 ? { tools } : {}),
    ...(input.thinking ? { thinking: input.thinking } : {}),
    ...(input.outputConfig ? { output_config: input.outputConfig } : {}),
  };
}

/** Spans whose content stays out of the context: failed requests, dropped replies and Hangar's own requests. */
export function droppedSpans(events: readonly SessionEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.type !== 'span.model_request_end') continue;
    if (e.is_error || DROPPED_STOPS.has(e._hangar?.stop_reason ?? '') || e._hangar?.purpose) out.add(e.model_request_start_id);
  }
  return out;
}

/** The last compaction that carries a summary: where the context starts. */
export function lastCompaction(events: readonly SessionEvent[]): { index: number; summary: string; throughIndex: number } | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type !== 'agent.thread_context_compacted' || e._hangar?.summary === undefined) continue;
    const through = e._hangar.through;
    const throughIndex = through === undefined ? -1 : events.findIndex((x) => x.id === through);
    return { index: i, summary: e._hangar.summary, throughIndex };
  }
  return null;
}

export function buildMessages(log: readonly SessionEvent[]): Message[] {
  const events = conversationEvents(log);
  const dropSpans = droppedSpans(events);
  const compaction = lastCompaction(events);
  const messages: Message[] = [];
  const known = new Set<string>();
  let span: string | null = null;
  let assistant: Block[] = [];
  let toolResults: Block[] = [];
  let userBlocks: Block[] = compaction ? [{ type: 'text', text: SUMMARY_PREFIX + compaction.summary }] : [];

  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role && Array.isArray(last.content)) {
      const merged = role === 'user' ? orderUserBlocks([...last.content, ...blocks]) : [...last.content, ...blocks];
      messages[messages.length - 1] = { role, content: merged };
    } else messages.push({ role, content: role === 'user' ? orderUserBlocks(blocks) : blocks });
  };
  const flushUser = () => {
    push('user', [...toolResults, ...userBlocks]);
    toolResults = [];
    userBlocks = [];
  };
  const flushAssistant = () => {
    // A turn of thinking alone (an interrupted reply) says nothing the model needs and is not a valid turn.
    if (assistant.some((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking')) push('assistant', assistant);
    assistant = [];
  };
  const inDroppedSpan = () => span !== null && dropSpans.has(span);
  const modelBlocks = (e: SessionEvent) => {
    if (!inDroppedSpan() && e._hangar?.blocks) assistant.push(...(e._hangar.blocks as unknown as Block[]));
  };
  const toolUse = (e: SessionEvent, id: string, name: string, input: Record<string, unknown>) => {
    if (inDroppedSpan()) return;
    modelBlocks(e);
    known.add(id);
    assistant.push({ type: 'tool_use', id, name, input });
  };
  const toolResult = (id: string, content: readonly ToolResultBlock[] | null | undefined, isError: boolean | null | undefined) => {
    if (!known.has(id)) return;
    toolResults.push({ type: 'tool_result', tool_use_id: id, content: toResultContent(content), ...(isError ? { is_error: true } : {}) });
  };

  const from = compaction ? compaction.throughIndex + 1 : 0;
  for (let i = from; i < events.length; i++) {
    const e = events[i]!;
    switch (e.type) {
      case 'span.model_request_start':
        flushUser();
        span = e.id;
        assistant = [];
        break;
      case 'span.model_request_end':
        modelBlocks(e);
        if (!dropSpans.has(e.model_request_start_id)) flushAssistant();
        assistant = [];
        span = null;
        break;
      case 'agent.thinking':
        modelBlocks(e);
        break;
      case 'agent.message':
        if (inDroppedSpan()) break;
        modelBlocks(e);
        for (const b of e.content) if (b.type === 'text' && b.text.length > 0) assistant.push({ type: 'text', text: b.text });
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use':
        // A server tool's call (and its result, below) is the provider's own block in the assistant's turn.
        if (e._hangar?.server_tool) modelBlocks(e);
        else toolUse(e, e.id, e.name, e.input);
        break;
      case 'agent.tool_result':
        if (e._hangar?.server_tool) modelBlocks(e);
        else toolResult(e.tool_use_id, e.content, e.is_error);
        break;
      case 'agent.mcp_tool_result':
        toolResult(e.mcp_tool_use_id, e.content, e.is_error);
        break;
      case 'user.custom_tool_result':
        toolResult(e.custom_tool_use_id, e.content, e.is_error);
        break;
      case 'user.message':
        for (const b of e.content) userBlocks.push(b as Block);
        break;
      // An outcome's task, and a verdict the agent must act on, are what the user side says to it.
      case 'user.define_outcome':
        userBlocks.push({ type: 'text', text: outcomeTaskText(e.description, rubricText(e.rubric), e.checks ?? []) });
        break;
      case 'span.outcome_evaluation_end':
        if (e.result === 'needs_revision' || e.result === 'max_iterations_reached') userBlocks.push({ type: 'text', text: revisionText(e.result, e.explanation) });
        break;
      // A file the user attached while the session lives: the model learns of it with its next user turn.
      case 'session.updated':
        if (e._hangar?.attached) userBlocks.push({ type: 'text', text: e._hangar.attached });
        break;
      // Nothing to do for these; a new event type must be added here or handled above.
      case 'user.interrupt':
      case 'user.tool_confirmation':
      case 'agent.thread_context_compacted':
      case 'agent.thread_message_sent':
      case 'agent.thread_message_received':
      case 'session.status_running':
      case 'session.status_idle':
      case 'session.status_rescheduled':
      case 'session.status_terminated':
      case 'session.error':
      case 'session.deleted':
      case 'session.thread_created':
      case 'session.thread_status_running':
      case 'session.thread_status_idle':
      case 'session.thread_status_terminated':
      case 'span.outcome_evaluation_start':
      case 'span.outcome_evaluation_ongoing':
      case 'hangar.checkpoint':
      case 'hangar.rewind':
        break;
      default:
        assertNever(e, 'event');
    }
  }
  if (span && !dropSpans.has(span)) flushAssistant();
  flushUser();
  return messages;
}

function orderUserBlocks(blocks: readonly Block[]): Block[] {
  return [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')];
}

function toResultContent(content: readonly ToolResultBlock[] | null | undefined): Anthropic.ToolResultBlockParam['content'] {
  if (!content || content.length === 0) return '';
  const out: Anthropic.ToolResultBlockParam['content'] = [];
  for (const b of content) {
    if (b.type === 'text') out.push({ type: 'text', text: b.text });
    else if (b.type === 'image' && b.source.type === 'base64')
      out.push({ type: 'image', source: { type: 'base64', data: b.source.data, media_type: b.source.media_type as 'image/png' } });
    // web_search results (src/web/search.ts): the API takes them as they are, and the model can cite them.
    else if (b.type === 'search_result')
      out.push({ type: 'search_result', source: b.source, title: b.title, content: b.content.map((c) => ({ type: 'text', text: c.text })), ...(b.citations ? { citations: b.citations } : {}) });
    else out.push({ type: 'text', text: `[${b.type} block omitted]` });
  }
  return out;
}

// Prompt caching: tools and system carry their own breakpoints; the last two user turns get one each, so the next
// request reads the prefix this one wrote.
function markCacheBreakpoints(messages: Message[]): void {
  let marked = 0;
  for (let i = messages.length - 1; i >= 0 && marked < 2; i--) {
    const m = messages[i];
    if (!m || m.role !== 'user' || !Array.isArray(m.content) || m.content.length === 0) continue;
    const lastIndex = m.content.length - 1;
    const last = m.content[lastIndex];
    if (!last || last.type === 'thinking' || last.type === 'redacted_thinking') continue;
    const content = [...m.content];
    content[lastIndex] = { ...last, cache_control: CACHE } as Block;
    messages[i] = { ...m, content };
    marked += 1;
  }
}
