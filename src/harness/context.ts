import type Anthropic from '@anthropic-ai/sdk';
import type { SessionEvent, ToolResultBlock } from '../wire';
import type { ModelRequest } from '../model/types';
import { DEFAULT_CONTEXT_BUDGET_CHARS, compactMessages } from './compaction';

// Builds the Messages API request from the log. The log is not the context window: failed model requests are
// left out (their tool calls never ran), consecutive turns of one role are merged, and tool results always lead
// the user turn that follows the assistant's tool calls.

type Block = Anthropic.ContentBlockParam;
type Message = Anthropic.MessageParam;

export interface ContextInput {
  model: string;
  maxTokens: number;
  system: string;
  tools: Anthropic.Tool[];
  /** Request size (characters of messages) past which old tool outputs are cut; see compaction.ts. */
  budgetChars?: number;
}

export interface BuiltRequest {
  request: ModelRequest;
  /** How many old tool outputs were cut to fit the budget. */
  elided: number;
}

const CACHE = { type: 'ephemeral' } as const;

export function buildRequest(events: readonly SessionEvent[], input: ContextInput): BuiltRequest {
  const { messages, elided } = compactMessages(buildMessages(events), input.budgetChars ?? DEFAULT_CONTEXT_BUDGET_CHARS);
  markCacheBreakpoints(messages);
  const tools = input.tools.map((t, i) => (i === input.tools.length - 1 ? { ...t, cache_control: CACHE } : t));
  const request: ModelRequest = {
    model: input.model,
    max_tokens: input.maxTokens,
    system: [{ type: 'text', text: input.system, cache_control: CACHE }],
    messages,
    ...(tools.length > 0 ? { tools } : {}),
  };
  return { request, elided };
}

export function buildMessages(events: readonly SessionEvent[]): Message[] {
  const failedSpans = new Set<string>();
  for (const e of events) if (e.type === 'span.model_request_end' && e.is_error) failedSpans.add(e.model_request_start_id);

  const messages: Message[] = [];
  const dropped = new Set<string>();
  let span: string | null = null;
  let assistant: Block[] = [];
  let toolResults: Block[] = [];
  let userBlocks: Block[] = [];

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
  const toolUse = (id: string, name: string, input: Record<string, unknown>) => {
    if (span && failedSpans.has(span)) dropped.add(id);
    else assistant.push({ type: 'tool_use', id, name, input });
  };
  const toolResult = (id: string, content: readonly ToolResultBlock[] | null | undefined, isError: boolean | null | undefined) => {
    if (dropped.has(id)) return;
    toolResults.push({ type: 'tool_result', tool_use_id: id, content: toResultContent(content), ...(isError ? { is_error: true } : {}) });
  };

  for (const e of events) {
    switch (e.type) {
      case 'span.model_request_start':
        flushUser();
        span = e.id;
        assistant = [];
        break;
      case 'span.model_request_end':
        if (!failedSpans.has(e.model_request_start_id)) push('assistant', assistant);
        assistant = [];
        span = null;
        break;
      case 'agent.message':
        if (!(span && failedSpans.has(span))) {
          for (const b of e.content) if (b.type === 'text' && b.text.length > 0) assistant.push({ type: 'text', text: b.text });
        }
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use':
        toolUse(e.id, e.name, e.input);
        break;
      case 'agent.tool_result':
        toolResult(e.tool_use_id, e.content, e.is_error);
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
      default:
        break;
    }
  }
  if (span) push('assistant', assistant);
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
