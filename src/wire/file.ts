import * as z from 'zod';
import { lazySchema } from './lazy';
import { Timestamp } from './common';

// The Files API (reference §2.9; the SDK's `client.beta.files`): uploaded files and what agents leave in
// /mnt/session/outputs/, which are scoped to their session.

export const FileScope = lazySchema(() => z.object({ type: z.literal('session'), id: z.string() }));
export type FileScope = z.infer<typeof FileScope>;

export const FileMetadata = lazySchema(() => z.object({
  type: z.literal('file'),
  id: z.string(),
  filename: z.string(),
  mime_type: z.string(),
  size_bytes: z.number().int().nonnegative(),
  created_at: Timestamp,
  downloadable: z.boolean(),
  expires_at: Timestamp.nullable(),
  scope: FileScope.nullable(),
}));
export type FileMetadata = z.infer<typeof FileMetadata>;

export const DeletedFile = lazySchema(() => z.object({ id: z.string(), type: z.literal('file_deleted') }));
export type DeletedFile = z.infer<typeof DeletedFile>;

/** The hosted API's bounds for `expires_in_seconds` (one hour to ninety days). */
export const FILE_EXPIRY_SECONDS = { min: 3600, max: 7_776_000 } as const;

/** Where a session's file resources and outputs appear in a sandbox that mounts them (reference §7.3). */
export const SESSION_UPLOADS_DIR = '/mnt/session/uploads';
export const SESSION_OUTPUTS_DIR = '/mnt/session/outputs';

// A `file` session resource: requested with a file id, answered with its own id and mount path (reference §7.3).
export const FileResourceParams = lazySchema(() => z.object({
  type: z.literal('file'),
  file_id: z.string().min(1),
  mount_path: z.string().min(1).optional(),
}));
export type FileResourceParams = z.infer<typeof FileResourceParams>;
export const FileResource = lazySchema(() => z.object({
  id: z.string(),
  type: z.literal('file'),
  file_id: z.string(),
  mount_path: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
}));
export type FileResource = z.infer<typeof FileResource>;
