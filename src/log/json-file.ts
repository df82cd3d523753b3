import { promises as fsp } from 'node:fs';
import * as z from 'zod';
import { isErrno } from './fsutil';

// JSON files checked against their schema. Apart from fsutil.ts, which every reader of the storage loads: a listing that
// trusts its files (session-index.ts) reads them without loading zod (issue #17, CLI start).

/**
 * Reads and validates a JSON file; null when it does not exist. A file that is not JSON or does not match the schema
 * is reported through `corrupt`, never silently replaced, because the caller decides whether that is recoverable.
 */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T>, corrupt: (message: string) => Error): Promise<T | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  return parseJsonText(file, text, schema, corrupt).value;
}

/** `text` (read from `file`) parsed and validated: the value and the raw JSON it came from. */
export function parseJsonText<T>(file: string, text: string, schema: z.ZodType<T>, corrupt: (message: string) => Error): { value: T; raw: unknown } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt(`${file} is not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw corrupt(`${file}: ${z.prettifyError(parsed.error)}`);
  return { value: parsed.data, raw };
}
