// The conversation rules of the Messages API: every tool_use answered first thing in the next user message, no
// stray tool_result, and thinking blocks returned exactly as emitted, starting the assistant turn that is still open.
import type { MessagesRequest, RequestBlock } from './script';
import type { Signer } from './signing';

type Message = MessagesRequest['messages'][number];

const THINKING_DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';
const isThinking = (b: RequestBlock): boolean => b.type === 'thinking' || b.type === 'redacted_thinking';
const blocksOf = (m: Message): RequestBlock[] => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content);
const toolUseIds = (m: Message): string[] => blocksOf(m).flatMap((b) => (b.type === 'tool_use' && typeof b.id === 'string' ? [b.id] : []));
const hasToolResult = (m: Message): boolean => blocksOf(m).some((b) => b.type === 'tool_result');

function checkToolPairing(messages: readonly Message[]): string | undefined {
  for (const [i, m] of messages.entries()) {
    if (m.role === 'assistant') {
      const ids = toolUseIds(m);
      if (ids.length === 0) continue;
      const next = messages[i + 1];
      const answered = new Set(next?.role === 'user' ? blocksOf(next).flatMap((b) => (b.type === 'tool_result' ? [b.tool_use_id] : [])) : []);
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
      const leading = blocksOf(next as Message).slice(0, ids.length);
      if (!leading.every((b) => b.type === 'tool_result')) {
        return `messages.${i + 1}: Did not find ${ids.length} \`tool_result\` block(s) at the beginning of this message. Messages following \`tool_use\` blocks must begin with a matching number of \`tool_result\` blocks.`;
      }
    } else {
      const previous = messages[i - 1];
      const known = new Set(previous?.role === 'assistant' ? toolUseIds(previous) : []);
      for (const [j, b] of blocksOf(m).entries()) {
        if (b.type === 'tool_result' && !known.has(b.tool_use_id as string)) {
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Index of the first message of the assistant turn still open: everything after the last user message that is not
 * just answering tool calls. A tool-use loop is one assistant turn, however many requests it takes.
 */
function openTurnStart(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message;
    if (m.role === 'user' && !hasToolResult(m)) return i + 1;
  }
  return 0;
}

function checkThinkingBlocks(messages: readonly Message[], thinking: boolean, signer: Signer): string | undefined {
  const turn = openTurnStart(messages);
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'assistant') continue;
    for (const [j, b] of blocksOf(m).entries()) {
      const valid = b.type === 'thinking' ? signer.verifyThinking(b.thinking, b.signature) : b.type === 'redacted_thinking' ? signer.verifyRedacted(b.data) : true;
      if (valid) continue;
      if (i >= turn) {
        return `messages.${i}.content.${j}: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.`;
      }
      return b.type === 'thinking' ? `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block` : `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`;
    }
  }
  const last = messages.at(-1);
  if (!thinking) {
    const j = last?.role === 'assistant' ? blocksOf(last).findIndex(isThinking) : -1;
    return j >= 0
      ? `messages.${messages.length - 1}.content.${j}: When thinking is disabled, an \`assistant\` message in the final position cannot contain \`thinking\`. To use thinking blocks, enable \`thinking\` in your request.`
      : undefined;
  }
  const turnMessages = messages.slice(turn);
  if (!turnMessages.some((m) => m.role === 'assistant' && toolUseIds(m).length > 0)) return undefined;
  const first = turn + turnMessages.findIndex((m) => m.role === 'assistant');
  const head = blocksOf(messages[first] as Message)[0];
  if (head && isThinking(head)) return undefined;
  return (
    `messages.${first}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${head?.type ?? 'nothing'}\`. ` +
    'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). ' +
    'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. ' +
    `Please consult our documentation at ${THINKING_DOCS}`
  );
}

/**
 * Server web search blocks come back as the API sent them: each server_tool_use answered by its
 * web_search_tool_result in the same assistant message, and every result's encrypted_content intact for its URL.
 */
function checkServerToolBlocks(messages: readonly Message[], signer: Signer): string | undefined {
  for (const [i, m] of messages.entries()) {
    if (m.role !== 'assistant') continue;
    const blocks = blocksOf(m);
    const uses = new Set(blocks.flatMap((b) => (b.type === 'server_tool_use' ? [b.id] : [])));
    const answered = new Set<unknown>();
    for (const [j, b] of blocks.entries()) {
      if (b.type !== 'web_search_tool_result') continue;
      if (!uses.has(b.tool_use_id)) return `messages.${i}.content.${j}: \`web_search_tool_result\` block(s) provided when previous message does not contain a matching \`server_tool_use\` (id ${String(b.tool_use_id)}).`;
      answered.add(b.tool_use_id);
      const results: unknown = b.content;
      if (!Array.isArray(results)) continue;
      for (const [k, r] of results.entries()) {
        const result = r as { url?: unknown; encrypted_content?: unknown };
        if (!signer.verifySearchResult(result.url, result.encrypted_content)) return `messages.${i}.content.${j}.content.${k}.encrypted_content: Invalid \`encrypted_content\` in \`web_search_result\` block`;
      }
    }
    const missing = [...uses].filter((id) => !answered.has(id));
    if (missing.length > 0) return `messages.${i}: \`server_tool_use\` ids were found without \`web_search_tool_result\` blocks in the same message: ${missing.join(', ')}.`;
  }
  return undefined;
}

export function checkMessages(messages: readonly Message[], thinking: boolean, signer: Signer): string | undefined {
  return checkToolPairing(messages) ?? checkThinkingBlocks(messages, thinking, signer) ?? checkServerToolBlocks(messages, signer);
}
