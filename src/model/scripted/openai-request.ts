// The Chat Completions request the scripted OpenAI-compatible server accepts: its shape, the checks a real server
// makes before the model sees it (with OpenAI's wording), and the same request as a Messages body, so a responder or
// a test written for the Messages server reads either server's requests the same way.
import * as z from 'zod';
import type { MessagesRequest } from './script';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const ImagePart = z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().min(1), detail: z.string().optional() }) });
const UserContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [TextPart, ImagePart])).min(1)]);
const TextContent = z.union([z.string(), z.array(TextPart)]);
const ToolCall = z.object({ id: z.string().min(1), type: z.literal('function'), function: z.object({ name: z.string().min(1), arguments: z.string() }) });

// Strict like OpenAI ("Additional properties are not allowed"): a reasoning model's reasoning_content sent back in an
// assistant message is refused, as DeepSeek's API refuses it.
export const ChatMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: TextContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('developer'), content: TextContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('user'), content: UserContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('assistant'), content: TextContent.nullish(), tool_calls: z.array(ToolCall).optional(), refusal: z.string().nullish(), name: z.string().optional() }),
  z.strictObject({ role: z.literal('tool'), content: TextContent, tool_call_id: z.string().min(1) }),
]);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

const FunctionTool = z.object({
  type: z.literal('function'),
  function: z.object({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
});

const positive = z.number().int().positive();
export const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1, "'messages' must contain at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: positive.nullish(),
  max_completion_tokens: positive.nullish(),
  tools: z.array(FunctionTool).optional(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.literal(1).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().optional(),
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).nullish(),
  // Unknown fields are refused, as OpenAI does ("Unrecognized request argument supplied"), so an Anthropic-only
  // parameter that leaks into a Chat Completions request fails here as it would there.
}).strict();
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A JSON body's shape problem in OpenAI's words. */
export function shapeError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  if (issue.code === 'unrecognized_keys') return `Unrecognized request argument supplied: ${issue.keys.join(', ')}`;
  const where = issue.path.length > 0 ? `Invalid value for '${issue.path.join('.')}': ` : '';
  return `${where}${issue.message}`;
}

/** The checks a real server makes on a well-shaped request; undefined when it passes. */
export function checkChatRequest(body: ChatRequest, takesEffort: boolean): string | undefined {
  // OpenAI's answer when a model that does not reason is given an effort.
  if (body.reasoning_effort != null && !takesEffort) return "Unsupported parameter: 'reasoning_effort' is not supported with this model.";
  if (body.stream_options && body.stream !== true) return "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
  if (body.max_tokens != null && body.max_completion_tokens != null) return "Invalid request: 'max_tokens' and 'max_completion_tokens' cannot both be set.";
  const names = new Set<string>();
  for (const [i, t] of (body.tools ?? []).entries()) {
    if (!TOOL_NAME.test(t.function.name)) return `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
    if (names.has(t.function.name)) return `Invalid 'tools': duplicate function name '${t.function.name}'.`;
    names.add(t.function.name);
  }
  const choice = body.tool_choice;
  if (choice && choice !== 'none' && !body.tools?.length) return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
  if (typeof choice === 'object' && !names.has(choice.function.name)) return `Invalid value for 'tool_choice': no function named '${choice.function.name}' was specified in the 'tools' parameter.`;
  if (body.parallel_tool_calls !== undefined && !body.tools?.length) return "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.";
  return checkToolSequence(body.messages);
}

/** Every assistant tool call is answered by a tool message right after it, and a tool message answers one. */
function checkToolSequence(messages: readonly ChatMessage[]): string | undefined {
  let open: string[] = [];
  for (const [i, m] of messages.entries()) {
    if (m.role === 'tool') {
      if (!open.includes(m.tool_call_id)) return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages.[${i}])`;
      open = open.filter((id) => id !== m.tool_call_id);
      continue;
    }
    if (open.length > 0) {
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${open.join(', ')}`;
    }
    if (m.role === 'assistant') {
      if (!m.content && !m.tool_calls?.length) return `Invalid value for 'messages.[${i}].content': an assistant message needs content or tool_calls.`;
      open = (m.tool_calls ?? []).map((c) => c.id);
    }
  }
  if (open.length > 0) return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${open.join(', ')}`;
  return undefined;
}

const textOf = (c: z.infer<typeof TextContent> | null | undefined): string => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text).join(''));

type Block = Record<string, unknown> & { type: string };

/**
 * The request as a Messages body: system and developer messages become `system`, tool calls `tool_use` blocks and
 * tool messages `tool_result` blocks at the head of the next user turn. Recorded beside the raw request.
 */
export function asMessagesRequest(body: ChatRequest): MessagesRequest {
  const system = body.messages.flatMap((m) => (m.role === 'system' || m.role === 'developer' ? [textOf(m.content)] : [])).join('\n\n');
  const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  const userTurn = (): Block[] => {
    const last = messages.at(-1);
    if (last?.role === 'user') return last.content;
    const turn = { role: 'user' as const, content: [] as Block[] };
    messages.push(turn);
    return turn.content;
  };
  for (const m of body.messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        break;
      case 'tool':
        userTurn().push({ type: 'tool_result', tool_use_id: m.tool_call_id, content: textOf(m.content) });
        break;
      case 'user': {
        const content = userTurn();
        if (typeof m.content === 'string') content.push({ type: 'text', text: m.content });
        else for (const p of m.content) content.push(p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image', source: { type: 'url', url: p.image_url.url } });
        break;
      }
      case 'assistant': {
        const content: Block[] = [];
        const text = textOf(m.content);
        if (text) content.push({ type: 'text', text });
        for (const c of m.tool_calls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.function.name, input: parseArguments(c.function.arguments) });
        messages.push({ role: 'assistant', content });
        break;
      }
    }
  }
  return {
    model: body.model,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages,
    ...(system ? { system } : {}),
    ...(body.tools ? { tools: body.tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters ?? {} })) } : {}),
    ...(body.stream != null ? { stream: body.stream } : {}),
  };
}

/** What a server assumes when a request sets no output limit. */
const DEFAULT_MAX_TOKENS = 4096;

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
