import * as z from 'zod';
import type { SessionEvent, ToolResultBlock } from '../wire';

// web_fetch fetches only URLs the conversation has already shown (reference §5.2 `url_sources`): in the user's
// input, in results of tools the client ran (custom tools), or in results of tools the server ran (the agent
// toolset, MCP, web_search, web_fetch itself). Each source is "all", "none", or all but / only some tools' results;
// unset means all. So a model cannot be talked into sending data to a URL that it made up (an address carrying
// secrets in its query): the URL must have come from somewhere the agent's configuration trusts.

const ToolRef = z.object({ type: z.literal('tool_reference'), name: z.string() });
const Source = z.union([
  z.enum(['all', 'none']).transform((type) => ({ type })),
  z.object({ type: z.enum(['all', 'none']) }),
  z.object({ type: z.enum(['only', 'except']), tools: z.array(ToolRef).min(1).max(128) }),
]);
type Source = z.infer<typeof Source>;
export const UrlSources = z
  .strictObject({
    user_input: Source.nullish(),
    client_tool_results: Source.nullish(),
    server_tool_results: Source.nullish(),
  })
  .refine((s) => !(['user_input', 'client_tool_results', 'server_tool_results'] as const).every((k) => s[k]?.type === 'none'), {
    error: 'every source is "none", so web_fetch could fetch nothing; allow at least one source, or disable web_fetch',
  });
export type UrlSources = z.infer<typeof UrlSources>;

type Kind = keyof UrlSources;
const KIND_WORDS: Record<Kind, string> = { user_input: 'user input', client_tool_results: 'client tool results', server_tool_results: 'server tool results' };

/** Whether the conversation offered `url` from a source `sources` allows; null = yes, else why not. */
export function urlNotOffered(url: URL, events: readonly SessionEvent[], sources: UrlSources | null): string | null {
  const wanted = comparable(url);
  const names = toolNames(events);
  const allowed = (kind: Kind, tool: string | null): boolean => {
    const s: Source | null | undefined = sources?.[kind];
    if (!s || s.type === 'all') return true;
    if (!('tools' in s)) return false;
    const listed = tool !== null && s.tools.some((t) => t.name === tool);
    return s.type === 'only' ? listed : !listed;
  };
  for (const e of events) {
    const offered = offeredBy(e, names);
    if (offered && allowed(offered.kind, offered.tool) && offered.texts.some((t) => mentions(t, wanted))) return null;
  }
  const from = (Object.keys(KIND_WORDS) as Kind[]).filter((k) => sources?.[k]?.type !== 'none').map((k) => KIND_WORDS[k]);
  return `web_fetch only fetches URLs that already appeared in this conversation (${from.join(', ') || 'no source is allowed by the agent\'s url_sources'}), and ${url.href} did not. Use a URL from the user's message or from a tool result (a web_search result, a page fetched before), or ask the user for it.`;
}

function offeredBy(e: SessionEvent, names: Map<string, string>): { kind: Kind; tool: string | null; texts: string[] } | null {
  switch (e.type) {
    case 'user.message':
    case 'agent.thread_message_received':
      return { kind: 'user_input', tool: null, texts: e.content.flatMap(blockTexts) };
    case 'user.custom_tool_result':
      return { kind: 'client_tool_results', tool: names.get(e.custom_tool_use_id) ?? null, texts: (e.content ?? []).flatMap(blockTexts) };
    case 'agent.tool_result':
      if (e.is_error) return null;
      return { kind: 'server_tool_results', tool: names.get(e.tool_use_id) ?? null, texts: (e.content ?? []).flatMap(blockTexts) };
    case 'agent.mcp_tool_result':
      if (e.is_error) return null;
      return { kind: 'server_tool_results', tool: names.get(e.mcp_tool_use_id) ?? null, texts: (e.content ?? []).flatMap(blockTexts) };
    default:
      return null;
  }
}

function toolNames(events: readonly SessionEvent[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) if (e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use') out.set(e.id, e.name);
  return out;
}

function blockTexts(b: ToolResultBlock | { type: string }): string[] {
  const block = b as ToolResultBlock;
  switch (block.type) {
    case 'text':
      return [block.text];
    case 'search_result':
      return [block.source, ...block.content.map((c) => c.text)];
    case 'document':
      return block.source.type === 'text' || block.source.type === 'url' ? [block.source.type === 'text' ? block.source.data : block.source.url] : [];
    default:
      return [];
  }
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`\\^{}|]+/gi;

/** A URL as compared: no fragment, and a bare origin equals the origin with "/". */
function comparable(url: URL): string {
  const u = new URL(url.href);
  u.hash = '';
  return u.href;
}

function mentions(text: string, wanted: string): boolean {
  for (const m of text.matchAll(URL_IN_TEXT)) {
    // Prose around a URL ends it: "see https://x.org/a." or "(https://x.org/a)".
    for (let raw = m[0]; raw.length > 0; raw = raw.slice(0, -1)) {
      try {
        if (comparable(new URL(raw)) === wanted) return true;
      } catch {
        break;
      }
      if (!/[.,;:!?)\]*_]$/.test(raw)) break;
    }
  }
  return false;
}
