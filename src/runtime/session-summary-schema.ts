import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { OutcomeEvaluation, SessionStatus, SessionUsage, StopReason, type SessionSummary } from '../wire';

// The schema of summary.json (session-summary-file.ts), loaded when a listing reads a file no index line vouches for.

const Summary = lazySchema(() => z.object({
  status: SessionStatus,
  stopReason: StopReason.nullable(),
  usage: SessionUsage,
  costCents: z.number(),
  costEstimated: z.boolean(),
  modelRequests: z.number(),
  toolCalls: z.number(),
  turns: z.number(),
  firstEventAt: z.string().nullable(),
  lastEventAt: z.string().nullable(),
  runningSince: z.number().nullable(),
  activeMs: z.number(),
  lastError: z.string().nullable(),
  outcomes: z.array(OutcomeEvaluation),
  // Absent from files an older Hangar wrote, which never remembered an unbegun turn.
  turnAsked: z.boolean().default(false),
}) satisfies z.ZodType<SessionSummary>);

export const SummaryFile = lazySchema(() => z.object({
  v: z.literal(1),
  /** Fingerprint of the catalogue's prices the cost was computed with. */
  prices: z.string(),
  position: z.object({ ino: z.number(), end: z.number().int().nonnegative(), count: z.number().int().nonnegative(), mtimeMs: z.number(), mark: z.string().regex(/^(?:[0-9a-f]{2})*$/) }),
  summary: Summary,
}));
export type SummaryFile = z.infer<typeof SummaryFile>;

/** `raw` checked as a summary.json body, and whether it is exactly that body (nothing defaulted or stripped); null when it is not one. */
export function checkSummaryFile(raw: unknown): { body: SummaryFile; exact: boolean } | null {
  const parsed = SummaryFile.safeParse(raw);
  return parsed.success ? { body: parsed.data, exact: isDeepStrictEqual(parsed.data, raw) } : null;
}
