import * as z from 'zod';
import { lazySchema } from './lazy';
import { Metadata, MetadataPatch, Timestamp } from './common';

// Memory stores (reference §2.8, §7.8; the SDK's `client.beta.memoryStores`): named stores of text memories addressed
// by path, every change kept as an immutable memory version. Sessions mount a store as a folder (§7.3).

/** The largest memory content, in UTF-8 bytes. */
export const MAX_MEMORY_BYTES = 102_400;
/** Where a session's memory stores appear in its sandbox, one folder per store slug. */
export const MEMORY_DIR = '/mnt/memory';

export const MemoryStore = lazySchema(() => z.object({
  type: z.literal('memory_store'),
  id: z.string(),
  name: z.string(),
  description: z.string(),
  metadata: Metadata,
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Timestamp.nullable(),
}));
export type MemoryStore = z.infer<typeof MemoryStore>;

export const MemoryStoreCreateParams = lazySchema(() => z.object({
  name: z.string().min(1).max(255),
  description: z.string().max(1024).optional(),
  metadata: Metadata.optional(),
}));
export type MemoryStoreCreateParams = z.infer<typeof MemoryStoreCreateParams>;

export const MemoryStoreUpdateParams = lazySchema(() => z.object({
  name: z.string().min(1).max(255).nullish(),
  /** `""` clears it. */
  description: z.string().max(1024).nullish(),
  metadata: MetadataPatch.nullish(),
}));
export type MemoryStoreUpdateParams = z.infer<typeof MemoryStoreUpdateParams>;

export const DeletedMemoryStore = lazySchema(() => z.object({ id: z.string(), type: z.literal('memory_store_deleted') }));
export type DeletedMemoryStore = z.infer<typeof DeletedMemoryStore>;

export const MemoryView = lazySchema(() => z.enum(['basic', 'full']));
export type MemoryView = z.infer<typeof MemoryView>;

export const Memory = lazySchema(() => z.object({
  type: z.literal('memory'),
  id: z.string(),
  memory_store_id: z.string(),
  path: z.string(),
  /** null under view=basic. */
  content: z.string().nullable(),
  content_sha256: z.string(),
  content_size_bytes: z.number().int().nonnegative(),
  memory_version_id: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
}));
export type Memory = z.infer<typeof Memory>;

/** A folder rolled up in a listing with `depth`: `{path: "/dir/"}`. */
export const MemoryPrefix = lazySchema(() => z.object({ type: z.literal('memory_prefix'), path: z.string() }));
export type MemoryPrefix = z.infer<typeof MemoryPrefix>;

export const DeletedMemory = lazySchema(() => z.object({ id: z.string(), type: z.literal('memory_deleted') }));
export type DeletedMemory = z.infer<typeof DeletedMemory>;

export const ContentSha256Precondition = lazySchema(() => z.object({ type: z.literal('content_sha256'), content_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits').optional() }));

export const MemoryCreateParams = lazySchema(() => z.object({ path: z.string(), content: z.string().nullable() }));
export type MemoryCreateParams = z.infer<typeof MemoryCreateParams>;

export const MemoryUpdateParams = lazySchema(() => z.object({
  content: z.string().nullish(),
  /** A new path renames the memory; its id stays. */
  path: z.string().nullish(),
  precondition: ContentSha256Precondition.optional(),
}));
export type MemoryUpdateParams = z.infer<typeof MemoryUpdateParams>;

export const Actor = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('session_actor'), session_id: z.string() }),
  z.object({ type: z.literal('api_actor'), api_key_id: z.string() }),
  z.object({ type: z.literal('user_actor'), user_id: z.string() }),
  z.object({ type: z.literal('service_account_actor'), service_account_id: z.string() }),
]));
export type Actor = z.infer<typeof Actor>;

export const MemoryVersionOperation = lazySchema(() => z.enum(['created', 'modified', 'deleted']));
export type MemoryVersionOperation = z.infer<typeof MemoryVersionOperation>;

export const MemoryVersion = lazySchema(() => z.object({
  type: z.literal('memory_version'),
  id: z.string(),
  memory_id: z.string(),
  memory_store_id: z.string(),
  operation: MemoryVersionOperation,
  /** null once redacted, for a deletion, and under view=basic. */
  content: z.string().nullable(),
  content_sha256: z.string().nullable(),
  content_size_bytes: z.number().int().nonnegative().nullable(),
  path: z.string().nullable(),
  created_at: Timestamp,
  created_by: Actor,
  redacted_at: Timestamp.nullable(),
  /** Absent until the version is redacted. */
  redacted_by: Actor.optional(),
}));
export type MemoryVersion = z.infer<typeof MemoryVersion>;

/** A store attached to a session (reference §7.3): at creation only. */
export const MemoryStoreResourceParams = lazySchema(() => z.object({
  type: z.literal('memory_store'),
  memory_store_id: z.string().min(1),
  access: z.enum(['read_write', 'read_only']).optional(),
  instructions: z.string().max(4096).optional(),
}));
export type MemoryStoreResourceParams = z.infer<typeof MemoryStoreResourceParams>;

/** As the hosted API: no id of its own; the store's name and description as they were when the session was made. */
export const MemoryStoreResource = lazySchema(() => z.object({
  type: z.literal('memory_store'),
  memory_store_id: z.string(),
  access: z.enum(['read_write', 'read_only']),
  instructions: z.string().nullable(),
  name: z.string(),
  description: z.string(),
  mount_path: z.string(),
}));
export type MemoryStoreResource = z.infer<typeof MemoryStoreResource>;

/** The folder a store is mounted as: its name lowercased, runs of other characters as one `-`. */
export function memoryStoreSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'store' : slug;
}
