import type * as z from 'zod';

// Validation of a webview message (either direction, either view), with an error that names the direction, the
// message's type and the first problems, for the log and for the answer to the request.

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Validates a message with `schema`; the error names the direction, the message's type and what was wrong. */
export function parseWith<T>(schema: z.ZodType<T>, direction: string, raw: unknown): ParseResult<T> {
  const typeName = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type) : '(none)';
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: `invalid ${direction} message (type ${typeName}): ${describe(parsed.error)}` };
}
