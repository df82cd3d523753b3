import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../log/fsutil';
import type { AppliedRecord } from './applied-record';

// What `apply` landed in the repository, kept in `applied.json` next to the session's log: when, where, and a
// fingerprint of every path it wrote. It lets `diff` and `sessions` say the changes were applied, and a second apply
// tell its own earlier work from a change the user made.

export const APPLIED_FILE = 'applied.json';

export type { AppliedRecord } from './applied-record';

/** The session's applied record; null when nothing was applied (or the file is unreadable: then it is redone). */
export async function readApplied(sessionDir: string): Promise<AppliedRecord | null> {
  const raw = await fsp.readFile(path.join(sessionDir, APPLIED_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (raw === null) return null;
  // The schema loads only for a session that has the file: `hangar sessions` reads it for every session on its page.
  const { AppliedRecord } = await import('./applied-record');
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
