import type Anthropic from '@anthropic-ai/sdk';

// Keeps a long session inside the context window without a model call: once the request grows past the budget,
// the oldest tool outputs are cut to a short head with a note (the log keeps them whole). The most recent turns are
// never touched, and the cut is deterministic, so the same log always yields the same request.

export const DEFAULT_CONTEXT_BUDGET_CHARS = 600_000;
const KEEP_RECENT_MESSAGES = 6;
const KEEP_HEAD_CHARS = 400;

export function compactMessages(messages: Anthropic.MessageParam[], budgetChars: number): { messages: Anthropic.MessageParam[]; elided: number } {
  let size = JSON.stringify(messages).length;
  if (size <= budgetChars) return { messages, elided: 0 };
  let elided = 0;
  const out = messages.map((m) => ({ ...m }));
  for (let i = 0; i < out.length - KEEP_RECENT_MESSAGES && size > budgetChars; i++) {
    const m = out[i]!;
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    m.content = m.content.map((b) => {
      if (b.type !== 'tool_result' || size <= budgetChars) return b;
      const text = typeof b.content === 'string' ? b.content : (b.content ?? []).map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
      if (text.length <= KEEP_HEAD_CHARS * 2) return b;
      const cut = `${text.slice(0, KEEP_HEAD_CHARS)}\n[… ${text.length - KEEP_HEAD_CHARS} characters of this old tool output were left out to fit the context window; run the tool again if you need them]`;
      size -= text.length - cut.length;
      elided += 1;
      return { ...b, content: cut };
    });
  }
  return { messages: out, elided };
}
