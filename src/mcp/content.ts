import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolResultBlock } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import { capMiddle, formatBytes } from '../tools/output';

// Turns an MCP tool result into the blocks of agent.mcp_tool_result. What the Messages API would refuse (an image
// type it does not take, broken base64) becomes a text notice, because one bad block in the log would fail every
// later model request of the session. Sizes are capped so one chatty server cannot fill the context window.

export interface ContentLimits {
  /** Text characters per result, over all blocks. */
  maxTextChars: number;
  /** Decoded image bytes per result, over all blocks. */
  maxImageBytes: number;
}

export const DEFAULT_LIMITS: ContentLimits = { maxTextChars: 100_000, maxImageBytes: 5 * 1024 * 1024 };

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type McpBlock = CallToolResult['content'][number];

export function toOutcome(result: CallToolResult, limits: ContentLimits, redact: (text: string) => string): ToolOutcome {
  let textSeen = 0;
  let imageLeft = limits.maxImageBytes;
  const out: ToolResultBlock[] = [];
  const text = (raw: string) => {
    const clean = redact(raw);
    const left = limits.maxTextChars - textSeen;
    textSeen += clean.length;
    if (left > 0) out.push({ type: 'text', text: clean.length > left ? capMiddle(clean, left) : clean });
  };
  const image = (data: string, mimeType: string, what: string) => {
    const bytes = Math.floor((data.length * 3) / 4);
    if (!IMAGE_TYPES.has(mimeType)) return text(`[${what}: ${mimeType}, ${formatBytes(bytes)} omitted: only PNG, JPEG, GIF and WebP images can be shown]`);
    if (data.length % 4 !== 0 || !BASE64.test(data)) return text(`[${what}: ${mimeType} omitted: its data is not valid base64]`);
    if (bytes > imageLeft) return text(`[${what}: ${mimeType}, ${formatBytes(bytes)} omitted: over the ${formatBytes(limits.maxImageBytes)} image budget of one result]`);
    imageLeft -= bytes;
    out.push({ type: 'image', source: { type: 'base64', data, media_type: mimeType } });
  };

  const blocks = Array.isArray(result.content) ? result.content : [];
  for (const block of blocks) convert(block, text, image);
  if (result.structuredContent !== undefined && !out.some((b) => b.type === 'text')) text(JSON.stringify(result.structuredContent, null, 2));
  if (textSeen > limits.maxTextChars) out.push({ type: 'text', text: `[The result had ${textSeen} characters of text; it was cut to ${limits.maxTextChars}.]` });
  if (out.length === 0) out.push({ type: 'text', text: '(the tool returned no content)' });
  return { content: out, is_error: result.isError === true };
}

function convert(block: McpBlock, text: (t: string) => void, image: (data: string, mime: string, what: string) => void): void {
  switch (block.type) {
    case 'text':
      return text(block.text);
    case 'image':
      return image(block.data, block.mimeType, 'image');
    case 'audio':
      return text(`[audio: ${block.mimeType}, ${formatBytes(Math.floor((block.data.length * 3) / 4))} omitted: audio cannot be shown to the model]`);
    case 'resource_link':
      return text(`[resource link: ${block.name} ${block.uri}${block.mimeType ? ` (${block.mimeType})` : ''}${block.description ? ` - ${block.description}` : ''}]`);
    case 'resource': {
      const r = block.resource;
      if ('text' in r) return text(`[resource ${r.uri}${r.mimeType ? ` (${r.mimeType})` : ''}]\n${r.text}`);
      if (r.mimeType && IMAGE_TYPES.has(r.mimeType)) return image(r.blob, r.mimeType, `resource ${r.uri}`);
      return text(`[resource ${r.uri}: ${r.mimeType ?? 'binary'}, ${formatBytes(Math.floor((r.blob.length * 3) / 4))} omitted: binary resources cannot be shown to the model]`);
    }
    default:
      return text(`[a content block of an unknown type was omitted]`);
  }
}
