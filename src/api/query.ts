import * as z from 'zod';
import { badRequest } from './errors';

// Query strings as the SDK writes them (qs, arrayFormat 'brackets', reference §1.6): `types[]=a&types[]=b` is an
// array, `created_at[gte]=…` an object; a bare key repeated is accepted as an array too.

export type QueryValue = string | string[] | Record<string, string>;
export type RawQuery = Record<string, QueryValue>;

const ARRAY_KEY = /^([^[\]]+)\[\]$/;
const OBJECT_KEY = /^([^[\]]+)\[([^[\]]+)\]$/;

export function parseQuery(search: string): RawQuery {
  // Maps, then Object.fromEntries: a key like __proto__ becomes a plain property instead of touching a prototype.
  const out = new Map<string, string | string[] | Map<string, string>>();
  for (const [key, value] of new URLSearchParams(search)) {
    const arr = ARRAY_KEY.exec(key);
    const obj = OBJECT_KEY.exec(key);
    const name = arr?.[1] ?? obj?.[1] ?? key;
    const current = out.get(name);
    if (arr) {
      if (current !== undefined && !Array.isArray(current)) throw mixed(name);
      out.set(name, [...(current ?? []), value]);
    } else if (obj) {
      const sub = obj[2]!;
      const fields = current ?? new Map<string, string>();
      if (!(fields instanceof Map)) throw mixed(name);
      if (fields.has(sub)) throw badRequest(`Query parameter ${name}[${sub}] is given twice; give it once.`);
      out.set(name, fields.set(sub, value));
    } else if (key.includes('[') || key.includes(']')) {
      throw badRequest(`Query parameter ${key} is not understood; use name=value, name[]=value or name[key]=value.`);
    } else if (current instanceof Map) {
      throw mixed(name);
    } else {
      out.set(name, current === undefined ? value : [...(Array.isArray(current) ? current : [current]), value]);
    }
  }
  return Object.fromEntries([...out].map(([k, v]) => [k, v instanceof Map ? Object.fromEntries(v) : v]));
}

const mixed = (name: string) => badRequest(`Query parameter ${name} is given in two forms; use either ${name}[]=… or ${name}[key]=… or ${name}=….`);

export const qInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const qBool = z.enum(['true', 'false'], { error: 'expected true or false' }).transform((v) => v === 'true');

/** One value or many: `types[]=a&types[]=b`, or `types=a`. */
export const qList = <T>(item: z.ZodType<T, string>) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(item));

// Normalised to UTC so bounds compare correctly with the stored (UTC) timestamps, whatever offset the client used.
const Instant = z.iso
  .datetime({ offset: true, error: 'expected an RFC 3339 timestamp such as 2026-01-01T00:00:00Z' })
  .transform((v) => new Date(v).toISOString())
  .optional();
export const qCreatedAt = z.strictObject({ gt: Instant, gte: Instant, lt: Instant, lte: Instant });
export const qCreatedAtGteLte = z.strictObject({ gte: Instant, lte: Instant });

export const MAX_PAGE_LIMIT = 1000;
export const paging = {
  limit: qInt(1, MAX_PAGE_LIMIT).optional(),
  page: z.string().min(1).max(4096).optional(),
};
export const qOrder = z.enum(['asc', 'desc']);
