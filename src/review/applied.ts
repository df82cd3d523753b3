import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { writeFileAtomic } from '../log/fsutil';

// What `apply` landed in the repository, kept in `applied.json` next to the session's log: when, where, and a
// fingerprint of every path it wrote. It lets `diff` and `sessions` say the changes were applied, and a second apply
// tell its own earlier work from a change the user made.

export const APPLIED_FILE = 'applied.json';

export const AppliedRecord = lazySchema(() => z.object({
  version: z.literal(1),
  repository: z.string(),
  applied_at: z.string(),
  /** Repository-relative path → fingerprint (repo-entry.ts `entryHash`) of what the session put there. */
  files: z.record(z.string(), z.string()),
}));
export type AppliedRecord = z.infer<typeof AppliedRecord>;

/** The session's applied record; null when nothing was applied (or the file is unreadable: then it is redone). */
export async function readApplied(sessionDir: string): Promise<AppliedRecord | null> {
  const raw = await fsp.readFile(path.join(sessionDir, APPLIED_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (raw === null) return null;
  try {
    const parsed = AppliedRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Adds what one apply wrote to the record (temp file, fsync, rename). */
export async function recordApplied(sessionDir: string, repository: string, written: Readonly<Record<string, string>>, now = new Date()): Promise<AppliedRecord> {
  const previous = await readApplied(sessionDir);
  const record: AppliedRecord = { version: 1, repository, applied_at: now.toISOString(), files: { ...(previous?.files ?? {}), ...written } };
  await writeFileAtomic(path.join(sessionDir, APPLIED_FILE), JSON.stringify(record, null, 2));
  return record;
}
