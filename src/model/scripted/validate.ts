// The checks the real Messages API makes before a request reaches the model, with its 400 wording, so that a
// harness that would be refused in production is refused here too. Each rule returns the API's message or undefined.
import type { ResolvedModel } from '../../wire/models';
import type { MessagesRequest, RequestBlock } from './script';
import type { Signer } from './signing';
import { checkMessages } from './validate-messages';

const THINKING_DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';
const MIN_BUDGET_TOKENS = 1024;
const MAX_CACHE_BREAKPOINTS = 4;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/** Whether the model thinks on this request: asked for, or always on for models that cannot turn it off. */
export function thinkingOn(body: MessagesRequest, model: ResolvedModel): boolean {
  const type = body.thinking?.type;
  if (type === undefined) return model.thinking === 'adaptive_always';
  return type !== 'disabled';
}

function checkThinkingParam(body: MessagesRequest, model: ResolvedModel): string | undefined {
  const t = body.thinking;
  if (!t) return undefined;
  if (model.thinking === 'none') return t.type === 'disabled' ? undefined : `"thinking" is not supported for this model.`;
  switch (t.type) {
    case 'enabled':
      if (model.thinking !== 'budget') {
        return `"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`;
      }
      if (t.budget_tokens < MIN_BUDGET_TOKENS) return `thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_BUDGET_TOKENS}`;
      if (t.budget_tokens >= body.max_tokens) {
        return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${THINKING_DOCS}#max-tokens-and-context-window-size`;
      }
      return undefined;
    case 'adaptive':
      return model.thinking === 'budget' ? 'adaptive thinking is not supported on this model' : undefined;
    case 'disabled':
      return model.thinking === 'adaptive_always' ? `"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.` : undefined;
    case 'between_tools':
      return model.thinking === 'adaptive' ? undefined : `"thinking.type.between_tools" is not supported for this model.`;
  }
}

function checkEffort(body: MessagesRequest, model: ResolvedModel): string | undefined {
  const effort = body.output_config?.effort;
  if (effort == null) return undefined;
  if (model.efforts.length === 0) return 'This model does not support the effort parameter.';
  if (!model.efforts.includes(effort)) {
    return `output_config.effort: "${effort}" is not supported by this model. Supported values: ${model.efforts.join(', ')}.`;
  }
  return undefined;
}

// Models from 4.7 on dropped the sampling parameters (the SDK no longer has them); the 4.6 models and the
// budget-thinking generation still take them. The catalogue has no field for this yet.
const TAKES_SAMPLING = new Set(['claude-sonnet-4-6', 'claude-opus-4-6']);
const SAMPLING_PARAMS = ['temperature', 'top_p', 'top_k'] as const;

function checkSampling(body: MessagesRequest, model: ResolvedModel): string | undefined {
  const sent = SAMPLING_PARAMS.find((p) => body[p] !== undefined);
  if (sent && model.thinking !== 'budget' && model.thinking !== 'none' && !TAKES_SAMPLING.has(model.key)) return `\`${sent}\` is deprecated for this model.`;
  if (!thinkingOn(body, model)) return undefined;
  if (body.temperature !== undefined && body.temperature !== 1) {
    return `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${THINKING_DOCS}#feature-compatibility`;
  }
  if (body.top_k !== undefined) return `\`top_k\` must be unset when thinking is enabled. Please consult our documentation at ${THINKING_DOCS}#feature-compatibility`;
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool';
  if (forced && body.thinking?.type === 'enabled') return 'Thinking may not be enabled when tool_choice forces tool use.';
  return undefined;
}

function checkTools(body: MessagesRequest): string | undefined {
  const seen = new Set<string>();
  for (const [i, tool] of (body.tools ?? []).entries()) {
    // Server tools (`type: "web_search_20250305"`, …) carry a fixed name and no schema.
    const type: unknown = tool.type;
    if (type !== undefined && type !== 'custom') continue;
    const at = `tools.${i}.custom`;
    if (!TOOL_NAME.test(tool.name)) return `${at}.name: String should match pattern '${TOOL_NAME.source}'`;
    if (seen.has(tool.name)) return 'tools: Tool names must be unique.';
    seen.add(tool.name);
    const schema: unknown = tool.input_schema;
    if (schema === undefined) return `${at}.input_schema: Field required`;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return `${at}.input_schema: Input should be a valid dictionary`;
    if ((schema as { type?: unknown }).type !== 'object') return `${at}.input_schema.type: Input should be 'object'`;
  }
  return undefined;
}

function countBreakpoints(blocks: readonly RequestBlock[]): number {
  let n = 0;
  for (const b of blocks) {
    if (b.cache_control != null) n += 1;
    const nested: unknown = b.content;
    if (Array.isArray(nested)) n += countBreakpoints(nested.filter((c): c is RequestBlock => typeof c === 'object' && c !== null && 'type' in c));
  }
  return n;
}

function checkCacheBreakpoints(body: MessagesRequest): string | undefined {
  // A top-level cache_control (automatic caching) places one breakpoint of its own.
  let n = (body.cache_control != null ? 1 : 0) + (body.tools ?? []).filter((t) => t.cache_control != null).length;
  if (Array.isArray(body.system)) n += countBreakpoints(body.system);
  for (const m of body.messages) if (typeof m.content !== 'string') n += countBreakpoints(m.content);
  return n > MAX_CACHE_BREAKPOINTS ? `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${n}.` : undefined;
}

function checkMaxTokens(body: MessagesRequest, model: ResolvedModel): string | undefined {
  return body.max_tokens > model.maxOutputTokens
    ? `max_tokens: ${body.max_tokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${body.model}`
    : undefined;
}

/** The first rule the request breaks, in the API's words; undefined when the real API would accept it. */
export function validateRequest(body: MessagesRequest, model: ResolvedModel, signer: Signer): string | undefined {
  return (
    checkMaxTokens(body, model) ??
    checkThinkingParam(body, model) ??
    checkEffort(body, model) ??
    checkSampling(body, model) ??
    checkTools(body) ??
    checkCacheBreakpoints(body) ??
    checkMessages(body.messages, thinkingOn(body, model), signer)
  );
}
