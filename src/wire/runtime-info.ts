import * as z from 'zod';
import { lazySchema } from './lazy';

// What a runtime does beyond the hosted API that a client must know before relying on it: a newer extension may talk
// to an older `hangar serve`. `GET /v1/runtime` (Hangar's own) lists its capabilities; a runtime without that
// endpoint (it answers 404) predates all of them, and a client falls back to what every runtime reads.

/**
 * The runtime restores a workspace upload that holds only what differs from the bundled HEAD plus a list of HEAD's
 * deleted paths (sandbox/repo/workspace-history.ts). A runtime without it would take the partial archive for the whole
 * workspace, so a client sends it every file instead.
 */
export const WORKSPACE_UPLOAD_DELTA = 'workspace_upload_delta';

/** Every capability this runtime has. */
export const RUNTIME_CAPABILITIES: readonly string[] = [WORKSPACE_UPLOAD_DELTA];

/** Not strict: a newer runtime may say more than this client reads, and that must not stop it. */
export const RuntimeInfo = lazySchema(() => z.object({
  type: z.literal('runtime'),
  capabilities: z.array(z.string()),
}));
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;
