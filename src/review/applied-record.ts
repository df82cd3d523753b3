import * as z from 'zod';
import { lazySchema } from '../wire/lazy';

// The schema of applied.json (applied.ts), in its own module so that reading a session without one loads no zod.

export const AppliedRecord = lazySchema(() => z.object({
  version: z.literal(1),
  repository: z.string(),
  applied_at: z.string(),
  /** Repository-relative path → fingerprint (repo-entry.ts `entryHash`) of what the session put there. */
  files: z.record(z.string(), z.string()),
}));
export type AppliedRecord = z.infer<typeof AppliedRecord>;
