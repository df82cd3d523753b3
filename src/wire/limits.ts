import type { BudgetLimit } from './budget';

// The wire's plain values that the CLI checks its flags against while parsing them (--max-iterations, --best-of,
// --budget). They sit apart from the zod schemas that use them, so defining the CLI's commands (every command's
// start, and --help) loads neither zod nor the schemas (issue #17). outcome.ts, best-of.ts and budget.ts re-export them.

export const DEFAULT_MAX_ITERATIONS = 3;
export const MAX_ITERATIONS = 20;

/** Attempts of one best-of run at most: each one is a sandbox and a model conversation running at the same time. */
export const BEST_OF_MAX = 4;

/** A cost cap of this many cents. */
export function costBudget(cents: number): BudgetLimit {
  return { type: 'limit', max_list_cost: { amount: String(cents), currency: 'USD' } };
}
