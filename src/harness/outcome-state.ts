import { DEFAULT_MAX_ITERATIONS, isTerminalOutcome, rubricText, type EventOf, type OutcomeCheck, type SessionEvent } from '../wire';

// The outcome a session works toward, folded from the log like the rest of the harness state (ARCHITECTURE.md
// invariant 2): which outcome is active, which iteration it is on, and an evaluation whose start was logged without an
// end (a crash or a close during grading), which the next evaluation finishes instead of starting another, so an
// iteration never gets two verdicts.

export interface ActiveOutcome {
  id: string;
  description: string;
  /** The rubric's text (a file rubric was resolved to its text when it was defined). */
  rubric: string;
  maxIterations: number;
  checks: readonly OutcomeCheck[];
  /** The iteration the next (or open) evaluation grades, 0-based. */
  iteration: number;
  /** The start of an evaluation that has no end yet. */
  open: { startId: string; iteration: number } | null;
}

export class OutcomeState {
  active: ActiveOutcome | null = null;

  apply(e: SessionEvent): void {
    switch (e.type) {
      case 'user.define_outcome':
        this.active = fromDefinition(e);
        break;
      case 'span.outcome_evaluation_start':
        if (this.active?.id === e.outcome_id) this.active.open = { startId: e.id, iteration: e.iteration };
        break;
      case 'span.outcome_evaluation_end':
        if (this.active?.id !== e.outcome_id) break;
        if (isTerminalOutcome(e.result)) this.active = null;
        else this.active = { ...this.active, iteration: e.iteration + 1, open: null };
        break;
      default:
        break;
    }
  }
}

function fromDefinition(e: EventOf<'user.define_outcome'>): ActiveOutcome {
  return {
    id: e.outcome_id,
    description: e.description,
    rubric: rubricText(e.rubric),
    maxIterations: e.max_iterations ?? DEFAULT_MAX_ITERATIONS,
    checks: e.checks ?? [],
    iteration: 0,
    open: null,
  };
}
