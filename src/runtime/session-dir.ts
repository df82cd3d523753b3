import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { EVENTS_FILE } from '../log/events-file';
import { fsyncDir, isErrno, randomHex, writeFileAtomic } from '../log/fsutil';
import { damaged, notFound } from './errors';
import { readKeyed, type KeyedText, type ReadKeyed } from './session-list-file';
import type { SessionRecord } from './session-record';

// A session's directory, <sessions>/<id>/: made whole with its record and log, and its files found and read. Without
// the record's schema (session-record.ts), so that a listing that trusts a record's file by its key loads no zod.

export const RECORD_FILE = 'session.json';
export const SESSION_ID = /^sesn_[A-Za-z0-9_-]{1,123}$/;
/** Session directories being made; never listed, and removed by the next listing once they are this old. */
const CREATING_PREFIX = '.creating-';
const ABANDONED_AFTER_MS = 60_000;

/** How to get rid of a session whose files cannot be read. */
export const deleteFix = (id: string) => `Delete it with \`hangar delete ${id}\` (or DELETE /v1/sessions/${id}); its sandbox goes with it.`;

/** session.json's text and its key (session-list-file.ts#fileKey). */
export function readRecordFile(dir: string, read: ReadKeyed = readKeyed): Promise<KeyedText | null> {
  return read(path.join(dir, RECORD_FILE));
}

/** Replaces the record of an existing session; a session deleted meanwhile is not brought back as a bare record. */
export async function writeRecord(dir: string, record: SessionRecord): Promise<void> {
  await writeFileAtomic(path.join(dir, RECORD_FILE), JSON.stringify(record));
}

/**
 * Creates `<sessions>/<id>/` with its record and an empty log in one step: both are written and fsynced in a hidden
 * directory that is then renamed into place, so a crash leaves either no session or a whole one, never a record
 * without a log (which used to break every listing). A fork's log starts with `log` (records copied from its source),
 * and its directory holds `files` (name → text) from the start.
 */
export async function createSessionDir(sessionsDir: string, record: SessionRecord, log: Buffer = Buffer.alloc(0), files: Record<string, string> = {}): Promise<void> {
  const staging = path.join(sessionsDir, `${CREATING_PREFIX}${record.id}.${randomHex(4)}`);
  await fsp.mkdir(staging, { recursive: true });
  try {
    await writeFileAtomic(path.join(staging, RECORD_FILE), JSON.stringify(record));
    for (const [name, text] of Object.entries(files)) await writeFileAtomic(path.join(staging, name), text);
    const file = await fsp.open(path.join(staging, EVENTS_FILE), 'wx');
    try {
      if (log.length > 0) await file.writeFile(log);
      await file.sync();
    } finally {
      await file.close();
    }
    await fsyncDir(staging);
    await fsp.rename(staging, path.join(sessionsDir, record.id));
  } catch (err) {
    await fsp.rm(staging, { recursive: true, force: true });
    throw err;
  }
  await fsyncDir(sessionsDir);
}

/** Removes staging directories of creations that a crash cut short; returns how many are left (creations under way). */
export async function removeAbandonedCreations(sessionsDir: string, names: readonly string[]): Promise<number> {
  let left = 0;
  for (const name of names) {
    if (!name.startsWith(CREATING_PREFIX)) continue;
    const dir = path.join(sessionsDir, name);
    const st = await fsp.stat(dir).catch(() => null);
    if (st && Date.now() - st.mtimeMs > ABANDONED_AFTER_MS) await fsp.rm(dir, { recursive: true, force: true });
    else if (st) left++;
  }
  return left;
}

/**
 * Gives a session made before creation was atomic the empty log it would have had: a crash between its record and
 * its first event left none, and it has no events to lose. Exclusive create, so a writer's log is never touched.
 */
export async function ensureLogFile(dir: string): Promise<void> {
  const file = path.join(dir, EVENTS_FILE);
  try {
    await fsp.access(file);
    return;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  try {
    await (await fsp.open(file, 'wx')).close();
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return;
    throw err;
  }
  await fsyncDir(dir);
}

/**
 * What `find` finds of session `id`, whose log is then there too; a session without a record is not found, or damaged
 * when its directory is there.
 */
export async function existingSession<T>(sessionsDir: string, id: string, find: () => Promise<T | null>): Promise<T> {
  if (!SESSION_ID.test(id)) throw notFound('Session', id);
  const dir = path.join(sessionsDir, id);
  const found = await find();
  if (found === null) {
    if (await isDir(dir)) throw damaged(`Session ${id} is damaged: ${dir} has no session.json (its creation or deletion was cut short). ${deleteFix(id)}`);
    throw notFound('Session', id);
  }
  // A session made before creation was atomic may have a record and no log: it has no events yet.
  await ensureLogFile(dir);
  return found;
}

async function isDir(dir: string): Promise<boolean> {
  return (await statOf(dir))?.isDirectory() === true;
}

export async function isFile(file: string): Promise<boolean> {
  return (await statOf(file))?.isFile() === true;
}

async function statOf(p: string): Promise<Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
}
