import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CloudConfig, Session } from '../wire';
import { isErrno, writeFileAtomic } from '../log/fsutil';

// The part of a session that is not a fold over its events: identity, the agent snapshot, the environment it was
// created with and the repository it works on. Stored as <sessions>/<id>/session.json.
export const SessionRecord = Session.omit({ status: true, usage: true, stats: true }).extend({
  /** The environment's config at creation: later environment updates apply to new sessions only. */
  environment: CloudConfig,
});
export type SessionRecord = z.infer<typeof SessionRecord>;

export const RECORD_FILE = 'session.json';

export async function readRecord(dir: string): Promise<SessionRecord | null> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, RECORD_FILE), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
  return SessionRecord.parse(JSON.parse(text));
}

export async function writeRecord(dir: string, record: SessionRecord): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, RECORD_FILE), JSON.stringify(record));
}
