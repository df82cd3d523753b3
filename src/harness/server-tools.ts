import type Anthropic from '@anthropic-ai/sdk';
import type { NewEvent, ToolResultBlock } from '../wire';
import { newId } from '../wire';
import type { ModelBlock } from './stream';

// Server tools the model's provider runs inside its reply (Anthropic's web search): the search and its results are
// logged as the agent.tool_use / agent.tool_result the reference shows for web_search, so every surface shows them
// like any other call, and each event keeps its block privately (`_hangar.blocks`) to be replayed unmodified
// (ARCHITECTURE.md invariant 9). `_hangar.server_tool` tells the harness that the provider ran it: it is never run,
// asked about or answered here, and its result is part of the assistant's turn, not a user turn.

/** The event for one server-tool block, or null for blocks that stay private (replayed with the next event). */
export function serverToolEvent(block: ModelBlock, uses: Map<string, string>): NewEvent | null {
  if (block.type === 'server_tool_use' && block.name === 'web_search') {
    const id = newId('sevt');
    uses.set(block.id, id);
    const input = typeof block.input === 'object' && block.input !== null ? (block.input as Record<string, unknown>) : {};
    return { id, type: 'agent.tool_use', name: 'web_search', input, evaluated_permission: 'allow', evaluation: { type: 'always_allow' }, _hangar: { blocks: [], server_tool: true } };
  }
  if (block.type === 'web_search_tool_result') {
    const useId = uses.get(block.tool_use_id);
    if (!useId) return null;
    const { content, is_error } = searchResults(block.content);
    return { type: 'agent.tool_result', tool_use_id: useId, content, is_error, _hangar: { blocks: [], server_tool: true } };
  }
  return null;
}

/** The provider's results as the wire's search_result blocks; their page text stays encrypted with the provider. */
function searchResults(content: Anthropic.WebSearchToolResultBlockParamContent): { content: ToolResultBlock[]; is_error: boolean } {
  if (!Array.isArray(content)) return { content: [{ type: 'text', text: `The web search failed (${content.error_code}).` }], is_error: true };
  return {
    content: content.map((r) => ({ type: 'search_result', source: r.url, title: r.title, content: [{ type: 'text', text: r.page_age ? `Page age: ${r.page_age}` : r.url }] })),
    is_error: false,
  };
}
