import * as z from 'zod';
import { lazySchema } from './lazy';

// A client's workspace and a runtime on another machine (issue #15 §2): Hangar's own, not in the hosted API.
// - `POST /v1/workspaces/probe`: can the runtime see the client's workspace at its path? The client writes a random
//   token into a probe file of the workspace and asks the runtime to read it there: only the same directory (not a
//   clone at the same path, not an empty directory mounted over it) holds that token.
// - A `local_repository` resource with `upload`: the workspace was shipped as a gzipped tar in the Files API; the
//   runtime unpacks it and the session's sandbox starts from that copy. `path` stays the client's path, where review
//   applies the session's changes.

/** A probe file's name, relative to the workspace: in its own .git directory, or a dotfile at its top. */
export const PROBE_NAME = /^(\.git\/)?\.hangar-probe-[0-9a-f]{32}$/;

export const WorkspaceProbeParams = lazySchema(() => z.strictObject({
  /** The workspace's absolute path on the client's machine. */
  path: z.string().min(1),
  probe: z.strictObject({
    name: z.string().regex(PROBE_NAME, 'a probe file is .hangar-probe-<32 hex digits>, at the top or in .git/'),
    token: z.string().regex(/^[0-9a-f]{64}$/, 'the token is 64 hex digits'),
  }),
}));
export type WorkspaceProbeParams = z.infer<typeof WorkspaceProbeParams>;

export const WorkspaceProbeResult = lazySchema(() => z.strictObject({
  type: z.literal('workspace_probe'),
  /** The runtime reads the client's workspace at that path: the same directory, not a copy. */
  visible: z.boolean(),
  /** Why, as a sentence for the user. */
  reason: z.string(),
}));
export type WorkspaceProbeResult = z.infer<typeof WorkspaceProbeResult>;

/** The archive a client uploaded for a `local_repository` resource: a Files API file and its SHA-256 (hex). */
export const WorkspaceUpload = lazySchema(() => z.strictObject({
  file_id: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is the archive\'s SHA-256 in 64 lower-case hex digits'),
}));
export type WorkspaceUpload = z.infer<typeof WorkspaceUpload>;

/** On the session's `local_repository` resource: what was uploaded, and where the workspace is on the client's machine. */
export const UploadedWorkspace = lazySchema(() => WorkspaceUpload.extend({
  /** The workspace's path on the machine that uploaded it, where review applies the changes; `path` is the runtime's copy. */
  client_path: z.string(),
}));
export type UploadedWorkspace = z.infer<typeof UploadedWorkspace>;
