import { InvalidArgumentError } from 'commander';
import { BEST_OF_MAX, costBudget, MAX_ITERATIONS } from '../wire/limits';
import type { BudgetLimit } from '../wire';

// Commander's parsers for the flags whose values have a wire meaning. main.ts defines every command with them, so
// they load no zod and no schemas (wire/limits.ts): that is the start of every command, and --help (issue #17).

/** commander's parser for --max-iterations. */
export function parseMaxIterations(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_ITERATIONS) throw new InvalidArgumentError(`expected a whole number of evaluations from 1 to ${MAX_ITERATIONS}`);
  return n;
}

/** Commander's parser for --best-of: a whole number 1..4, refused with the range otherwise. */
export function parseBestOf(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > BEST_OF_MAX) throw new InvalidArgumentError(`--best-of takes 1 to ${BEST_OF_MAX} (each attempt is a sandbox and a model conversation running at once).`);
  return n;
}

/** Commander's parser for --models: model ids separated by commas, one per attempt in turn. */
export function parseModels(value: string): string[] {
  const ids = value.split(',').map((m) => m.trim());
  if (ids.some((m) => m === '')) throw new InvalidArgumentError('--models takes model ids separated by commas, e.g. claude-sonnet-5-5,claude-opus-5');
  return ids;
}

/** Dollars as typed ("5", "2.50") to a cost budget; commander's parser for --budget and `hangar budget`. */
export function parseBudgetUsd(value: string): BudgetLimit {
  if (!/^\d+(\.\d{1,2})?$/.test(value.trim())) throw new InvalidArgumentError('give dollars as a positive number with at most two decimals, e.g. 5 or 2.50.');
  const cents = Math.round(Number(value) * 100);
  if (cents < 1) throw new InvalidArgumentError('a budget must be at least $0.01.');
  return costBudget(cents);
}
