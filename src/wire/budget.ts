import * as z from 'zod';
import { lazySchema } from './lazy';
import type { SessionSummary } from './fold';

// A session's spend ceiling (reference: `budget` on session create and update; the SDK's BetaManagedAgentsBudgetLimit).
// `max_list_cost` is the SDK's; `max_total_tokens` is Hangar's own (a cap for models without a list price, such as
// local ones). The session goes idle with stop reason `budget_reached` before a model request once either is spent.

const Cents = lazySchema(() => z
  .string()
  .regex(/^[1-9]\d{0,11}$/, 'amount is a whole, positive number of cents written as a string without sign or leading zeros: "2500" is $25.00'));

export const MonetaryAmount = lazySchema(() => z.strictObject({
  amount: Cents,
  currency: z.literal('USD', { error: 'currency must be "USD", the only currency Hangar prices in' }),
}));
export type MonetaryAmount = z.infer<typeof MonetaryAmount>;

export const BudgetLimit = lazySchema(() => z
  .strictObject({
    type: z.literal('limit'),
    max_list_cost: MonetaryAmount.optional(),
    /** Input, output, cache-write and cache-read tokens of every model request of the session, its threads included. */
    max_total_tokens: z.number().int().positive().max(1e12).optional(),
  })
  .refine((b) => b.max_list_cost !== undefined || b.max_total_tokens !== undefined, 'a budget needs max_list_cost, max_total_tokens or both'));
export type BudgetLimit = z.infer<typeof BudgetLimit>;

export { costBudget } from './limits';

/** What a session has spent, in the units budgets count. */
export interface Spend {
  cents: number;
  tokens: number;
  /** A model request was priced by guess (a model the catalogue has no list price for): a cost cap cannot measure it. */
  unpriced: boolean;
}

export function spendOf(s: SessionSummary, unpriced: boolean): Spend {
  const u = s.usage;
  return { cents: s.costCents, tokens: u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation.ephemeral_5m_input_tokens, unpriced };
}

/** Which of the budget's caps the spend has reached (empty: none). */
export function budgetReached(budget: BudgetLimit, spend: Spend): ('cost' | 'tokens')[] {
  const out: ('cost' | 'tokens')[] = [];
  if (budget.max_list_cost && (spend.unpriced || spend.cents >= Number(budget.max_list_cost.amount))) out.push('cost');
  if (budget.max_total_tokens !== undefined && spend.tokens >= budget.max_total_tokens) out.push('tokens');
  return out;
}

/** Why a budget cannot be set, with the reference's reason code. */
export interface BudgetProblem {
  reason: 'budget_create_only' | 'budget_not_raised' | 'model_not_budgetable';
  message: string;
}

/** Why a new budget would not let the session go on (`budget_not_raised`), or null. */
export function budgetNotRaised(budget: BudgetLimit, spend: Spend): BudgetProblem | null {
  const reason = 'budget_not_raised';
  if (budget.max_list_cost && Number(budget.max_list_cost.amount) <= spend.cents) {
    return { reason, message: `budget.max_list_cost (${budget.max_list_cost.amount} cents) must be above what the session has spent (${Math.ceil(spend.cents)} cents).` };
  }
  if (budget.max_total_tokens !== undefined && budget.max_total_tokens <= spend.tokens) {
    return { reason, message: `budget.max_total_tokens (${budget.max_total_tokens}) must be above the tokens the session has used (${spend.tokens}).` };
  }
  return null;
}
