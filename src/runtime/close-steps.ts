// Closing goes through every step even when one fails. A step that threw used to end the close there, so what came
// after it never closed: a `hangar serve` whose home was removed under it failed to release a session's lease, never
// reached the sandbox release, and the session's shell (a process of the launcher, spawn-off-loop.ts) kept the
// stopped serve alive for good. Each step still runs in its order; the failures are reported together at the end.

/** What failed while closing: each step that threw, named by what it was closing, with its error. */
export class CloseError extends Error {
  constructor(readonly failures: readonly CloseFailure[]) {
    super(failures.map((f) => `${f.step}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; '));
    this.name = 'CloseError';
  }
}

export interface CloseFailure {
  step: string;
  error: unknown;
}

/** A named close step. */
export type CloseStep = readonly [step: string, close: () => unknown];

/** Runs the steps one after another (a later one may need an earlier one done); throws a CloseError naming every failed step. */
export async function closeInOrder(steps: readonly CloseStep[]): Promise<void> {
  const failures: CloseFailure[] = [];
  for (const [step, close] of steps) {
    try {
      await close();
    } catch (error) {
      failures.push(...named(step, error));
    }
  }
  if (failures.length > 0) throw new CloseError(failures);
}

/** Runs the steps at once; throws a CloseError naming every failed step once all have settled. */
export async function closeTogether(steps: readonly CloseStep[]): Promise<void> {
  const settled = await Promise.allSettled(steps.map(async ([, close]) => close()));
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? named(steps[i]![0], s.reason) : []));
  if (failures.length > 0) throw new CloseError(failures);
}

/** A nested close's failures keep their own names under the step's. */
function named(step: string, error: unknown): CloseFailure[] {
  return error instanceof CloseError ? error.failures.map((f) => ({ step: `${step}: ${f.step}`, error: f.error })) : [{ step, error }];
}
