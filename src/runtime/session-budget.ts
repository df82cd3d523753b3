import { budgetNotRaised, budgetReached, emptySummary, foldSummary, sessionRoster, spendOf, type BudgetLimit, type BudgetProblem, type ModelCatalog, type ResolvedModel, type SessionAgent, type SessionEvent, type Spend } from '../wire';

// A session's budget as its log tells it: the spend (every thread's model requests, the same fold every surface shows)
// and the cap in effect (the record's at wake, then each session.updated that changed it). Incremental: asked before
// every model request, it folds only the events appended since it was last asked.

export class BudgetMeter {
  private seen = 0;
  private summary = emptySummary();
  private unpriced = false;

  constructor(
    private budget: BudgetLimit | null,
    private readonly events: () => readonly SessionEvent[],
    private readonly pricing: (e: SessionEvent) => ResolvedModel,
  ) {}

  /** The caps the session has reached (empty when it may make another model request). */
  reached(): ('cost' | 'tokens')[] {
    this.catchUp();
    return this.budget ? budgetReached(this.budget, this.spend()) : [];
  }

  spend(): Spend {
    this.catchUp();
    return spendOf(this.summary, this.unpriced);
  }

  private catchUp(): void {
    const events = this.events();
    for (; this.seen < events.length; this.seen++) {
      const e = events[this.seen]!;
      if (e.type === 'session.updated' && e.budget !== undefined) this.budget = e.budget;
      if (e.type === 'span.model_request_end' && this.pricing(e).estimate) this.unpriced = true;
      this.summary = foldSummary(this.summary, e, this.pricing);
    }
  }
}

/**
 * Why a cost budget cannot cap a session of this agent (the reference's `model_not_budgetable`), or null: every model
 * its threads may ask must have a list price. A coordinator's inline agents pick theirs as they start; a request to one
 * without a price counts as the cost cap reached (BudgetMeter), so it is never spent unmeasured.
 */
export function unbudgetableModel(budget: BudgetLimit, agent: SessionAgent, catalog: ModelCatalog): BudgetProblem | null {
  if (!budget.max_list_cost) return null;
  const models = [agent.model.id, ...sessionRoster(agent).map((a) => a.model.id)];
  const unpriced = models.find((id) => catalog.lookup(id).estimate);
  if (!unpriced) return null;
  return {
    reason: 'model_not_budgetable',
    message: `${unpriced} has no list price in Hangar's model catalogue, so a cost budget cannot measure it. Add its prices (the hangar.models setting or <storage>/models.json), cap tokens with budget.max_total_tokens instead, or leave the budget out.`,
  };
}

/** Why a session update may not set this budget, or null (the reference's rules, with its reason codes first). */
export function budgetUpdateProblem(current: BudgetLimit | null, next: BudgetLimit | null, spend: Spend): BudgetProblem | null {
  if (next === null) return null;
  if (current === null) {
    return { reason: 'budget_create_only', message: 'A budget can only be set when a session is created, and one removed with null cannot come back. Start a new session with a budget.' };
  }
  return budgetNotRaised(next, spend);
}
