import * as z from 'zod';
import { lazySchema } from '../wire/lazy';

// Apart from record.ts, which every reader of a log loads: only what accepts events (the log's append, the inbox)
// loads zod for it, and `hangar events` reads and checks records without it (issue #17).

/** Validates events handed to the log or the inbox (an empty id means "assign one"). */
export const EventEnvelope = lazySchema(() => z.looseObject({
  id: z.string(),
  type: z.string().min(1),
  processed_at: z.iso.datetime({ offset: true }).nullable(),
}));
