// The harness's Messages API request as a Chat Completions request: the system prompt becomes a system message,
// tool_use blocks become the assistant's tool_calls and tool_result blocks `tool` messages. What Chat Completions has
// no field for (thinking, prompt-cache breakpoints, server tools) is left out rather than sent and refused; the
// agent's effort goes as reasoning_effort.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import type { ModelRequest } from '../types';

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
type UserPart = OpenAI.Chat.ChatCompletionContentPartText | OpenAI.Chat.ChatCompletionContentPartImage;
export type ChatRequest = OpenAI.Chat.ChatCompletionCreateParamsStreaming;

/** Which field carries the output limit: OpenAI's own API wants max_completion_tokens, most local servers max_tokens. */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

export function toChatRequest(request: ModelRequest, model: string, maxTokensField: MaxTokensField): ChatRequest {
  const messages: ChatMessage[] = [];
  const system = systemText(request.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of request.messages) messages.push(...(m.role === 'assistant' ? assistantMessages(m.content) : userMessages(m.content)));
  const tools = (request.tools ?? []).flatMap(functionTool);
  const out: ChatRequest = {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    [maxTokensField]: request.max_tokens,
  };
  if (tools.length > 0) {
    out.tools = tools;
    const choice = toolChoice(request.tool_choice);
    if (choice) out.tool_choice = choice;
    if (request.tool_choice && 'disable_parallel_tool_use' in request.tool_choice && request.tool_choice.disable_parallel_tool_use) out.parallel_tool_calls = false;
  }
  if (request.stop_sequences && request.stop_sequences.length > 0) out.stop = request.stop_sequences;
  const effort = reasoningEffort(request.output_config?.effort);
  if (effort) out.reasoning_effort = effort;
  return out;
}

/**
 * The agent's effort as reasoning_effort (OpenAI, vLLM, OpenRouter, Ollama's compatible API). The catalogue lets an
 * OpenAI-compatible model take only low, medium and high (wire/models.ts), so another level never reaches here.
 */
function reasoningEffort(effort: Anthropic.OutputConfig['effort'] | undefined): 'low' | 'medium' | 'high' | undefined {
  return effort === 'low' || effort === 'medium' || effort === 'high' ? effort : undefined;
}

function systemText(system: ModelRequest['system']): string {
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return system.map((b) => b.text).join('\n\n');
}

type ContentBlock = Anthropic.ContentBlockParam;

function assistantMessages(content: string | ContentBlock[]): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'assistant', content }];
  const text = content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  const calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = content.flatMap((b) =>
    b.type === 'tool_use' ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }] : [],
  );
  // Thinking blocks (signed by another provider, or none) and server-tool blocks have no Chat Completions form.
  if (!text && calls.length === 0) return [];
  return [{ role: 'assistant', content: text || null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }];
}

/**
 * Tool results first, each as a `tool` message right after the assistant's calls (Chat Completions requires that
 * order); then the rest of the user's turn. Images in a tool result follow as a user message, since a `tool`
 * message carries text only.
 */
function userMessages(content: string | ContentBlock[]): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: ChatMessage[] = [];
  const parts: UserPart[] = [];
  const resultImages: UserPart[] = [];
  for (const b of content) {
    if (b.type === 'tool_result') {
      const { text, images } = resultContent(b.content);
      out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: b.is_error ? `Error: ${text}` : text });
      resultImages.push(...images);
    } else {
      parts.push(...userPart(b));
    }
  }
  if (resultImages.length > 0) out.push({ role: 'user', content: [{ type: 'text', text: 'Images from the tool results above:' }, ...resultImages] });
  if (parts.length > 0) out.push({ role: 'user', content: parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n\n') : parts });
  return out;
}

function userPart(b: ContentBlock): UserPart[] {
  switch (b.type) {
    case 'text':
      return [{ type: 'text', text: b.text }];
    case 'image':
      return [imagePart(b)];
    case 'document':
      return [{ type: 'text', text: b.source.type === 'text' ? b.source.data : `[${b.title ?? 'document'} omitted: this model's API takes no documents]` }];
    case 'search_result':
      return [{ type: 'text', text: searchResultText(b) }];
    default:
      return [];
  }
}

function resultContent(content: Anthropic.ToolResultBlockParam['content']): { text: string; images: UserPart[] } {
  if (content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: UserPart[] = [];
  for (const b of content) {
    if (b.type === 'text') texts.push(b.text);
    else if (b.type === 'image') {
      images.push(imagePart(b));
      texts.push(`[image ${images.length} follows in the next message]`);
    } else if (b.type === 'search_result') texts.push(searchResultText(b));
    else texts.push(`[${b.type} block omitted]`);
  }
  return { text: texts.join('\n'), images };
}

function imagePart(b: Anthropic.ImageBlockParam): UserPart {
  if (b.source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${b.source.media_type};base64,${b.source.data}` } };
  if (b.source.type === 'url') return { type: 'image_url', image_url: { url: b.source.url } };
  return { type: 'text', text: '[an uploaded image omitted: this model API takes images inline only]' };
}

function searchResultText(b: Anthropic.SearchResultBlockParam): string {
  return [`${b.title} (${b.source})`, ...b.content.map((c) => c.text)].join('\n');
}

function functionTool(tool: Anthropic.ToolUnion): OpenAI.Chat.ChatCompletionFunctionTool[] {
  // Server tools (Anthropic's web search and the like) run on Anthropic's side only.
  if ('type' in tool && tool.type !== undefined && tool.type !== null && tool.type !== 'custom') return [];
  if (!('input_schema' in tool)) return [];
  return [{ type: 'function', function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.input_schema as Record<string, unknown> } }];
}

function toolChoice(choice: ModelRequest['tool_choice']): OpenAI.Chat.ChatCompletionToolChoiceOption | undefined {
  switch (choice?.type) {
    case undefined:
      return undefined;
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}
