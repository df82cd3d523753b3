import * as z from 'zod';
import { lazySchema } from './lazy';

// Content blocks of the Managed Agents wire format (reference §3.6).
export const TextBlock = lazySchema(() => z.object({ type: z.literal('text'), text: z.string() }));
export const RedactedBlock = lazySchema(() => z.object({ type: z.literal('redacted') }));

const ImageSource = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('base64'), data: z.string(), media_type: z.string() }),
  z.object({ type: z.literal('url'), url: z.string() }),
  z.object({ type: z.literal('file'), file_id: z.string() }),
]));
export const ImageBlock = lazySchema(() => z.object({ type: z.literal('image'), source: ImageSource }));

const DocumentSource = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('base64'), data: z.string(), media_type: z.string() }),
  z.object({ type: z.literal('text'), data: z.string(), media_type: z.literal('text/plain') }),
  z.object({ type: z.literal('url'), url: z.string() }),
  z.object({ type: z.literal('file'), file_id: z.string() }),
]));
export const DocumentBlock = lazySchema(() => z.object({
  type: z.literal('document'),
  source: DocumentSource,
  title: z.string().nullish(),
  context: z.string().nullish(),
}));
export const SearchResultBlock = lazySchema(() => z.object({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(TextBlock),
  citations: z.object({ enabled: z.boolean() }).optional(),
}));

export const UserContentBlock = lazySchema(() => z.discriminatedUnion('type', [TextBlock, ImageBlock, DocumentBlock]));
export const AgentMessageBlock = lazySchema(() => z.discriminatedUnion('type', [TextBlock, RedactedBlock]));
export const ToolResultBlock = lazySchema(() => z.discriminatedUnion('type', [TextBlock, ImageBlock, DocumentBlock, SearchResultBlock]));

export type TextBlock = z.infer<typeof TextBlock>;
export type UserContentBlock = z.infer<typeof UserContentBlock>;
export type AgentMessageBlock = z.infer<typeof AgentMessageBlock>;
export type ToolResultBlock = z.infer<typeof ToolResultBlock>;
