import * as z from 'zod';
import { lazySchema } from './lazy';

// `POST /v1/sessions/{id}/fork` (Hangar's; the hosted API has no fork): a new session from the source's log up to
// `at` (an event id of the source; absent, all of it) with the source's files. It answers with the new Session.
export const SessionForkParams = lazySchema(() => z.strictObject({
  at: z.string().min(1).optional(),
  title: z.string().min(1).max(500).optional(),
}));
export type SessionForkParams = z.infer<typeof SessionForkParams>;
