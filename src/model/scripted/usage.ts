// Plausible token accounting, including prompt caching, so the harness's cache breakpoints can be tested.
// The prompt is laid out in the API's cache order (tools, system, messages); every block carrying
// cache_control is a breakpoint, and the prefix up to it is a cache entry keyed by its hash.
import { createHash } from 'node:crypto';
import type { ResolvedBlock } from './render';
import type { MessagesRequest, UsageOverride } from './script';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

// Tokens that follow the last breakpoint in every request (the assistant turn's framing), so
// input_tokens is never 0, as with the real API.
const TURN_FRAMING_TOKENS = 3;

export const tokensOf = (chars: number): number => Math.ceil(chars / 4);

interface Segment {
  text: string;
  breakpoint: boolean;
}

function segmentsOf(req: MessagesRequest): Segment[] {
  const segs: Segment[] = [{ text: `model:${req.model}`, breakpoint: false }];
  const push = (v: { cache_control?: unknown } | string): void => {
    segs.push({ text: JSON.stringify(v), breakpoint: typeof v !== 'string' && v.cache_control != null });
  };
  for (const tool of req.tools ?? []) push(tool);
  if (typeof req.system === 'string') push(req.system);
  else for (const b of req.system ?? []) push(b);
  for (const m of req.messages) {
    segs.push({ text: `role:${m.role}`, breakpoint: false });
    if (typeof m.content === 'string') push(m.content);
    else for (const b of m.content) push(b);
  }
  return segs;
}

/** Remembers every cached prefix it has seen; one per server, like one API key's cache. */
export class PromptCache {
  private readonly seen = new Set<string>();

  /** Input-side usage of one request; records its breakpoints as cached from now on. */
  account(req: MessagesRequest): Omit<Usage, 'output_tokens'> {
    const hash = createHash('sha256');
    let chars = 0;
    const prefixes: { key: string; chars: number }[] = [];
    for (const seg of segmentsOf(req)) {
      hash.update(seg.text);
      chars += seg.text.length;
      if (seg.breakpoint) prefixes.push({ key: hash.copy().digest('hex'), chars });
    }
    const total = tokensOf(chars);
    const hit = [...prefixes].reverse().find((p) => this.seen.has(p.key));
    const readTokens = hit ? tokensOf(hit.chars) : 0;
    const last = prefixes.at(-1);
    const cachedTokens = last ? tokensOf(last.chars) : 0;
    for (const p of prefixes) this.seen.add(p.key);
    return {
      input_tokens: total - Math.max(cachedTokens, readTokens) + TURN_FRAMING_TOKENS,
      cache_creation_input_tokens: Math.max(0, cachedTokens - readTokens),
      cache_read_input_tokens: readTokens,
    };
  }
}

// Redacted thinking is billed like any thinking; its size is not visible, so it counts as a short thought.
const REDACTED_THINKING_CHARS = 200;

export function outputTokensOf(blocks: readonly ResolvedBlock[]): number {
  let chars = 0;
  for (const b of blocks) {
    if (b.type === 'text') chars += b.text.length;
    else if (b.type === 'thinking') chars += b.thinking.length;
    else if (b.type === 'redacted_thinking') chars += REDACTED_THINKING_CHARS;
    else if (b.type === 'tool_use' || b.type === 'server_tool_use') chars += b.name.length + JSON.stringify(b.input).length;
    else if (b.type === 'tool_use_raw') chars += b.name.length + b.raw_json.length;
    // Search results are the provider's input to the model, not output: they cost no output tokens.
  }
  return Math.max(1, tokensOf(chars));
}

export function usageFor(cache: PromptCache, req: MessagesRequest, blocks: readonly ResolvedBlock[], override?: UsageOverride): Usage {
  return { ...cache.account(req), output_tokens: outputTokensOf(blocks), ...override };
}
