import * as z from 'zod';
import { lazySchema } from './lazy';
import { UserMessageParams } from './events';
import { ResourceParams } from './session';
import { BEST_OF_MAX } from './limits';

// Best-of-N over Hangar's API (issue #15; runtime/best-of.ts does the work): one task started N times at once, then
// the attempts compared. Not in the hosted API, so outside the SDK's types:
//   POST /v1/best_of           BestOfParams → BestOfStarted (the sessions, in attempt order)
//   GET  /v1/best_of/compare   ?session_ids[]=… (1 to 4) → CompareList, one row per session
// The rows are what the CLI's table and VS Code's compare view show.

export { BEST_OF_MAX } from './limits';

export const BestOfParams = lazySchema(() => z
  .strictObject({
    n: z.number().int().min(1, `n is the number of attempts, 1 to ${BEST_OF_MAX}`).max(BEST_OF_MAX, `Best-of takes 1 to ${BEST_OF_MAX} attempts: each one is a sandbox and a model conversation running at the same time`),
    /** Agent ids, used in turn (attempt k gets agents[k % length]): one agent, or one per model to compare. */
    agents: z.array(z.string().min(1)).min(1, 'agents names at least one agent').max(BEST_OF_MAX),
    /** With one agent: the models its attempts take in turn (the agent's copy on each, made or updated by the runtime). */
    models: z.array(z.string().min(1)).min(1).max(BEST_OF_MAX).optional(),
    environment_id: z.string().min(1),
    resources: z.array(ResourceParams).max(1000),
    vault_ids: z.array(z.string().min(1)).optional(),
    /** Each session's title is this with "(k/n)". */
    title: z.string().min(1).max(500),
    /** The task every attempt is sent first. */
    first: UserMessageParams,
  })
  .refine((p) => p.agents.length <= p.n, { message: 'agents holds more agents than there are attempts; give at most n', path: ['agents'] })
  .refine((p) => !p.models || p.agents.length === 1, { message: 'models go with one agent (its copy runs on each model); with several agents, each runs on its own model', path: ['models'] }));
export type BestOfParams = z.infer<typeof BestOfParams>;

export const BestOfStarted = lazySchema(() => z.strictObject({ type: z.literal('best_of'), session_ids: z.array(z.string()) }));
export type BestOfStarted = z.infer<typeof BestOfStarted>;

export const TestRun = lazySchema(() => z.strictObject({ command: z.string(), passed: z.boolean() }));
export type TestRun = z.infer<typeof TestRun>;

/** One attempt, compared: its changes, the test commands it ran and how they ended, its spend. */
export const CompareRow = lazySchema(() => z.strictObject({
  id: z.string().min(1),
  title: z.string().nullable(),
  model: z.string(),
  /** The session's status (running, idle, terminated…) and, once idle, why it stopped. */
  status: z.string(),
  stop: z.string().nullable(),
  files: z.number().int().nonnegative(),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  tests: z.array(TestRun),
  costCents: z.number().nonnegative(),
  /** Some of the cost was priced without a list price for its model: surfaces mark it an estimate (`~$`). */
  costEstimated: z.boolean(),
  tokens: z.number().int().nonnegative(),
  /** The attempt's changes as one unified diff (what review and `hangar diff` show). */
  patch: z.string().max(20_000_000),
}));
export type CompareRow = z.infer<typeof CompareRow>;

export const CompareList = lazySchema(() => z.strictObject({ type: z.literal('compare'), data: z.array(CompareRow) }));
export type CompareList = z.infer<typeof CompareList>;
