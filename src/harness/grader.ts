import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod';
import type { CheckRun, ModelUsage } from '../wire';
import { GRADER_MARKER, type ModelClient, type ModelRequest } from '../model/types';
import type { ActiveOutcome } from './outcome-state';
import { consumeStream, type CompletedBlock } from './stream';

// The outcome grader: one model request in a context of its own (the rubric, the task, the session's changes and the
// check commands' results; never the agent's conversation or reasoning), answered through a forced tool call whose
// input is validated here. Transport failures are the caller's to retry (outcome-turn.ts); an answer that is not a
// valid verdict is a failed evaluation, said plainly.

/** What the grader may answer; max_iterations_reached and interrupted are the harness's, never the grader's. */
export const Verdict = z.object({
  result: z.enum(['satisfied', 'needs_revision', 'failed']).describe('satisfied: every criterion is met. needs_revision: some criterion is not met and the agent can fix it. failed: the rubric does not apply to this work at all.'),
  explanation: z.string().min(1).max(20_000).describe('Which criteria passed or failed and why; for needs_revision, exactly what the agent must change.'),
});
export type Verdict = z.infer<typeof Verdict>;

export const VERDICT_TOOL = 'submit_verdict';
// The tool's input schema is the Verdict schema itself (without the $schema dialect line the API does not need).
const { $schema: _dialect, ...verdictSchema } = z.toJSONSchema(Verdict);

/** What the grader is shown besides the rubric and the task. */
export interface OutcomeEvidence {
  /** The session's changes as a unified diff (possibly shortened, saying so). */
  diff: string;
  checks: CheckRun[];
}

const SYSTEM = `${GRADER_MARKER}. You judge whether an agent's work meets a rubric. You see the task, the rubric, the changes the agent made to the repository (a diff) and the results of the check commands the rubric names. Grade each criterion of the rubric on this evidence only. A check command that exited non-zero means the work is not done. Answer by calling ${VERDICT_TOOL} once.`;

/** The diff a grader reads at most; beyond it, the files changed are still listed. */
export const MAX_DIFF_CHARS = 150_000;

/**
 * `forceTool`: the request forces the verdict tool; not for models whose thinking is always on, which the API refuses a
 * forced tool (the prompt asks for the call, and an answer without it is a failed evaluation).
 */
export function graderRequest(model: string, maxTokens: number, outcome: ActiveOutcome, evidence: OutcomeEvidence, forceTool: boolean): ModelRequest {
  const checks = evidence.checks.length
    ? evidence.checks.map((c) => `$ ${c.command}\n[${c.exit_code === null ? 'did not finish' : `exit code ${c.exit_code}`}]\n${c.output_tail || '(no output)'}`).join('\n\n')
    : '(the rubric names no check commands)';
  const text = [
    `<task>\n${outcome.description}\n</task>`,
    `<rubric>\n${outcome.rubric}\n</rubric>`,
    `<check_results>\n${checks}\n</check_results>`,
    `<changes>\n${evidence.diff || '(the agent changed no file)'}\n</changes>`,
    `This is evaluation ${outcome.iteration + 1} of at most ${outcome.maxIterations}.`,
  ].join('\n\n');
  return {
    model,
    max_tokens: maxTokens,
    system: [{ type: 'text', text: SYSTEM }],
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    tools: [{ name: VERDICT_TOOL, description: 'Submit the verdict on the work.', input_schema: verdictSchema as Anthropic.Tool.InputSchema }],
    tool_choice: forceTool ? { type: 'tool', name: VERDICT_TOOL } : { type: 'auto' },
  };
}

export type GraderAnswer = { ok: true; verdict: Verdict } | { ok: false; problem: string };

/**
 * Asks the grader once. Throws what the model client throws (ModelError: the caller's retry policy decides); `usage`
 * is filled in as the reply streams, so a failed request still counts what it cost.
 */
export async function askGrader(model: ModelClient, request: ModelRequest, signal: AbortSignal, usage: ModelUsage): Promise<GraderAnswer> {
  const blocks: CompletedBlock[] = [];
  const sink = { started: () => '', delta: () => undefined, completed: async (b: CompletedBlock) => void blocks.push(b) };
  await consumeStream(model.stream(request, signal), sink, usage);
  const call = blocks.find((b) => (b.type === 'tool_use' || b.type === 'invalid_tool_use') && b.name === VERDICT_TOOL);
  if (!call) return { ok: false, problem: `the grader did not call ${VERDICT_TOOL}` };
  if (call.type === 'invalid_tool_use') return { ok: false, problem: `the grader's verdict was not valid JSON (${call.error})` };
  if (call.type !== 'tool_use') return { ok: false, problem: `the grader did not call ${VERDICT_TOOL}` };
  const parsed = Verdict.safeParse(call.input);
  if (!parsed.success) return { ok: false, problem: `the grader's verdict was malformed (${z.prettifyError(parsed.error).replace(/\n/g, '; ')})` };
  return { ok: true, verdict: parsed.data };
}

/**
 * The verdict after the facts: a check that failed can never be satisfied, whatever the grader said (enforced here, not
 * only asked for in the prompt); the last iteration's needs_revision is max_iterations_reached.
 */
export function finalVerdict(verdict: Verdict, checks: readonly CheckRun[], outcome: ActiveOutcome): { result: 'satisfied' | 'needs_revision' | 'failed' | 'max_iterations_reached'; explanation: string } {
  let { result, explanation } = verdict;
  const failing = checks.filter((c) => c.exit_code !== 0);
  if (result === 'satisfied' && failing.length > 0) {
    const names = failing.map((c) => `\`${c.command}\` ${c.exit_code === null ? 'did not finish' : `exited with ${c.exit_code}`}`).join(', ');
    result = 'needs_revision';
    explanation = `Not satisfied: the check ${names}, and a failing check is never satisfied. The grader said: ${explanation}`;
  }
  if (result === 'needs_revision' && outcome.iteration + 1 >= outcome.maxIterations) return { result: 'max_iterations_reached', explanation };
  return { result, explanation };
}

/** The outcome's task as the agent reads it. */
export function outcomeTaskText(description: string, rubric: string, checks: readonly { command: string }[]): string {
  const checkLines = checks.length ? `\n\nBefore each evaluation these commands run in your workspace, and they must succeed:\n${checks.map((c) => `- ${c.command}`).join('\n')}` : '';
  return `${description}\n\nWhen you end your turn, a grader checks the work against this rubric and tells you what to revise:\n<rubric>\n${rubric}\n</rubric>${checkLines}`;
}

/** A verdict the agent must act on, as it reads it. */
export function revisionText(result: 'needs_revision' | 'max_iterations_reached', explanation: string): string {
  if (result === 'needs_revision') return `The grader found the work does not meet the rubric yet. Revise it, then end your turn.\n\n<grader_feedback>\n${explanation}\n</grader_feedback>`;
  return `The grader still found problems, and the outcome has used all its evaluations, so none follows. Reply with a short summary of where the work stands and what is left, without changing anything more.\n\n<grader_feedback>\n${explanation}\n</grader_feedback>`;
}
