import * as z from 'zod';
import { lazySchema } from './lazy';

// metadata: string→string, ≤16 pairs, keys ≤64, values ≤512 (reference §1.7).
export const Metadata = lazySchema(() => z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, 'metadata holds at most 16 keys'));
// On update metadata is a patch: a string upserts, null deletes.
export const MetadataPatch = lazySchema(() => z
  .record(z.string().min(1).max(64), z.string().max(512).nullable())
  .refine((m) => Object.keys(m).length <= 16, 'metadata holds at most 16 keys'));
export type Metadata = z.infer<typeof Metadata>;

export const Timestamp = lazySchema(() => z.string());

export function applyMetadataPatch(current: Metadata, patch: z.infer<typeof MetadataPatch> | undefined | null): Metadata {
  if (!patch) return current;
  const next: Metadata = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === '') delete next[k];
    else next[k] = v;
  }
  return next;
}
