import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { SandboxEnvironment, Session } from '../wire';
import { parseJsonText } from '../log/json-file';
import { damaged } from './errors';
import { deleteFix, readRecordFile, RECORD_FILE } from './session-dir';

export * from './session-dir';

// The part of a session that is not a fold over its events: identity, the agent snapshot, the environment it was
// created with and the repository it works on (status, usage, stats and outcome_evaluations are folds of its log).
// Stored as <sessions>/<id>/session.json; its schema is here, the files of a session's directory in session-dir.ts.
export const SessionRecord = lazySchema(() => Session.omit({ status: true, usage: true, stats: true, outcome_evaluations: true }).extend({
  /** The environment's config at creation: later environment updates apply to new sessions only. */
  environment: SandboxEnvironment,
}));
export type SessionRecord = z.infer<typeof SessionRecord>;

/** The session's record; null when there is none. A record that does not parse is a typed, actionable error. */
export async function readRecord(dir: string): Promise<SessionRecord | null> {
  const file = await readRecordFile(dir);
  return file && parseRecord(dir, file.text).record;
}

/**
 * The record in `text` (session.json of the session in `dir`), fully validated, a damaged-session error otherwise; and
 * whether the file's JSON is exactly that record (nothing defaulted, stripped or transformed), so JSON.parse of the
 * same file gives the same record. `damage` makes the error: a caller that loads this module with import() passes its
 * own damaged(), since under tsx (the tests) such a module has its own copy of errors.ts and its RuntimeError.
 */
export function parseRecord(dir: string, text: string, damage = damaged): { record: SessionRecord; exact: boolean } {
  const id = path.basename(dir);
  const { value, raw } = parseJsonText(path.join(dir, RECORD_FILE), text, SessionRecord, (m) => damage(`Session ${id} is damaged: ${m}. ${deleteFix(id)}`));
  return { record: value, exact: isDeepStrictEqual(value, raw) };
}
