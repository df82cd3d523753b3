import * as z from 'zod';
import { lazySchema } from '../wire/lazy';

// A page cursor of sessions.list (session-paging.ts), checked when a request brings one back. Its own module: a listing
// of the first page loads no zod (issue #17, CLI start).

const Cursor = lazySchema(() => z.object({ o: z.enum(['asc', 'desc']), k: z.tuple([z.string(), z.string()]), d: z.enum(['next', 'prev']) }));
export type Cursor = z.infer<typeof Cursor>;

/**
 * The cursor in `page`; null when it is not one. The caller makes the error: under tsx (the tests), a module loaded
 * with import() has its own copy of errors.ts, whose RuntimeError the API would not recognise.
 */
export function decodeCursor(page: string): Cursor | null {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(page, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}
