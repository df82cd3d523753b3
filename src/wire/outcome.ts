import * as z from 'zod';
import { lazySchema } from './lazy';
import { MAX_ITERATIONS } from './limits';

// Outcomes (reference §3.1 user.define_outcome, §3.2 outcome spans, §7.5): the task, the rubric a grader holds the
// work to, and how many evaluate-then-revise cycles it gets. The session's `outcome_evaluations` are a fold of the
// outcome events (foldOutcomes), like status and usage.

export { DEFAULT_MAX_ITERATIONS, MAX_ITERATIONS } from './limits';
export const MAX_RUBRIC_CHARS = 262_144;
/** The rubric's text as the agent and the grader read it (the runtime resolves file rubrics to text when defined). */
export function rubricText(rubric: z.infer<typeof TextRubric> | z.infer<typeof FileRubric>): string {
  return rubric.type === 'text' ? rubric.content : `(the rubric is file ${rubric.file_id}, which was not read)`;
}

/** Hangar: check commands a rubric may name (see OutcomeCheck). */
export const MAX_CHECKS = 10;

export const TextRubric = lazySchema(() => z.object({
  type: z.literal('text'),
  content: z
    .string()
    .min(1, 'rubric.content is empty: write the criteria the work is graded against')
    .max(MAX_RUBRIC_CHARS, `rubric.content is over ${MAX_RUBRIC_CHARS} characters; shorten it or upload it as a file`),
}));
export const FileRubric = lazySchema(() => z.object({ type: z.literal('file'), file_id: z.string().min(1, 'rubric.file_id is empty') }));
export const RubricParams = lazySchema(() => z.discriminatedUnion('type', [TextRubric, FileRubric], {
  error: () => 'rubric must be {type:"text", content} or {type:"file", file_id}',
}));
export type RubricParams = z.infer<typeof RubricParams>;

/**
 * Hangar: a command run in the session's sandbox before each evaluation (the test suite, a linter). Its exit code and
 * the tail of its output go to the grader, and a failing check can never be judged `satisfied`: "the tests pass" is a
 * fact, not the grader's opinion.
 */
export const OutcomeCheck = lazySchema(() => z.object({
  command: z.string().min(1, 'checks[].command is empty').max(4000),
  /** How long the command may run (default 10 minutes, the bash tool's cap); past it the check fails. */
  timeout_ms: z.number().int().min(1000).max(600_000).optional(),
}));
export type OutcomeCheck = z.infer<typeof OutcomeCheck>;

const maxIterations = lazySchema(() => z
  .number()
  .int('max_iterations must be a whole number')
  .min(1, 'max_iterations must be at least 1')
  .max(MAX_ITERATIONS, `max_iterations is at most ${MAX_ITERATIONS}`));

export const UserDefineOutcomeParams = lazySchema(() => z.object({
  type: z.literal('user.define_outcome'),
  description: z.string().min(1, 'description is empty: say what the agent should produce').max(MAX_RUBRIC_CHARS),
  rubric: RubricParams,
  /** Default 3 (null counts as absent). */
  max_iterations: maxIterations.nullish(),
  checks: z.array(OutcomeCheck).max(MAX_CHECKS, `at most ${MAX_CHECKS} checks`).optional(),
}));
export type UserDefineOutcomeParams = z.infer<typeof UserDefineOutcomeParams>;

/** The grader's verdict on one iteration. */
export const OutcomeResult = lazySchema(() => z.enum(['satisfied', 'needs_revision', 'max_iterations_reached', 'failed', 'interrupted']));
export type OutcomeResult = z.infer<typeof OutcomeResult>;
/** Results after which no evaluation follows. */
export const isTerminalOutcome = (r: OutcomeResult): boolean => r !== 'needs_revision';
/** Results the agent hears about: it revises, or (the last iteration) says where the work stands. */
export const feedsBack = (r: OutcomeResult): boolean => r === 'needs_revision' || r === 'max_iterations_reached';

/** One check's run, as the grader saw it (kept privately on the evaluation's end). */
export const CheckRun = lazySchema(() => z.object({
  command: z.string(),
  /** null: it did not finish (timed out, aborted, the sandbox failed). */
  exit_code: z.number().int().nullable(),
  /** The last part of what it printed (stdout and stderr), scrubbed. */
  output_tail: z.string(),
}));
export type CheckRun = z.infer<typeof CheckRun>;

export const OutcomeEvaluation = lazySchema(() => z.object({
  type: z.literal('outcome_evaluation'),
  outcome_id: z.string(),
  description: z.string(),
  iteration: z.number().int().nonnegative(),
  /** `running` while the agent works or revises, `evaluating` while the grader scores, then a terminal OutcomeResult. */
  result: z.union([z.enum(['pending', 'running', 'evaluating']), OutcomeResult]),
  explanation: z.string().nullable(),
  completed_at: z.string().nullable(),
}));
export type OutcomeEvaluation = z.infer<typeof OutcomeEvaluation>;

type OutcomeEventLike =
  | { type: 'user.define_outcome'; outcome_id: string; description: string }
  | { type: 'span.outcome_evaluation_start'; outcome_id: string; iteration: number }
  | { type: 'span.outcome_evaluation_end'; outcome_id: string; iteration: number; result: OutcomeResult; explanation: string; processed_at: string | null };

/** The session's outcome_evaluations after one more event (unchanged for events that are not about outcomes). */
export function foldOutcomes(list: readonly OutcomeEvaluation[], e: OutcomeEventLike): OutcomeEvaluation[] {
  if (e.type === 'user.define_outcome') {
    return [...list, { type: 'outcome_evaluation', outcome_id: e.outcome_id, description: e.description, iteration: 0, result: 'running', explanation: null, completed_at: null }];
  }
  return list.map((o) => {
    if (o.outcome_id !== e.outcome_id) return o;
    if (e.type === 'span.outcome_evaluation_start') return { ...o, iteration: e.iteration, result: 'evaluating' };
    if (e.result === 'needs_revision') return { ...o, iteration: e.iteration + 1, result: 'running', explanation: e.explanation };
    return { ...o, iteration: e.iteration, result: e.result, explanation: e.explanation, completed_at: e.processed_at };
  });
}
