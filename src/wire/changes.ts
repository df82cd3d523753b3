import * as z from 'zod';
import { lazySchema } from './lazy';

// What a session changed in its copy of the repository, as `GET /v1/sessions/{id}/changes` sends it: Hangar's own
// endpoint (the hosted API has no sandbox diff), so review and `hangar diff` work against a runtime on another process
// or machine. The shape is the sandbox seam's WorkspaceChanges, plus the wire's `type` tag.

export const ChangeStatus = lazySchema(() => z.enum(['added', 'modified', 'deleted', 'renamed', 'mode_changed']));

export const FileChange = lazySchema(() => z.strictObject({
  path: z.string(),
  old_path: z.string().optional(),
  status: ChangeStatus,
  binary: z.boolean(),
  old_mode: z.string().optional(),
  new_mode: z.string().optional(),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
}));
export type FileChange = z.infer<typeof FileChange>;

export const SessionChanges = lazySchema(() => z.strictObject({
  type: z.literal('session_changes'),
  /** git-style unified diff of the session's copy against its baseline. */
  patch: z.string(),
  files: z.array(FileChange),
}));
export type SessionChanges = z.infer<typeof SessionChanges>;

/** A repository-relative path as the diff names it: no absolute path, no `..` step, no empty or `.` step. */
export const RepoRelativePath = lazySchema(() => z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), {
    message: 'expected a path relative to the repository (no leading "/", no "." or ".." steps), as the changes list names it',
  }));

/** `GET /v1/sessions/{id}/changes/content`: one file of the session's copy, at its baseline or now. */
export const ChangeContentQuery = lazySchema(() => z.strictObject({
  path: RepoRelativePath,
  side: z.enum(['baseline', 'current']),
}));
export type ChangeContentQuery = z.infer<typeof ChangeContentQuery>;
