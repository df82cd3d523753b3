import type * as z from 'zod';

// What the parts of RemoteRuntimeClient share: one SDK call with its failure turned into the sentence to show
// (RemoteRuntimeClient.call), and every answer read through the wire's zod schema.

export type RemoteCall = <T>(fn: () => Promise<T>) => Promise<T>;

/** The runtime's answer as the wire schema reads it, or a sentence saying it does not (a version mismatch). */
export function parseWire<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`The runtime sent ${what} in a form this Hangar does not read (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}); are the extension and hangar serve the same version?`);
  return parsed.data;
}

/** Every item of an SDK listing (all its pages), each read through the wire's schema, as one call. */
export function listAll<T>(call: RemoteCall, pages: () => AsyncIterable<unknown>, schema: z.ZodType<T>, what: string): Promise<T[]> {
  return call(async () => {
    const out: T[] = [];
    for await (const item of pages()) out.push(parseWire(schema, item, what));
    return out;
  });
}
