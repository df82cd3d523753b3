import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { UserDefineOutcomeParams, type EventParams } from '../wire';
import type { Runtime } from '../runtime';
import { paint } from './render';
import { EXIT } from './exit-codes';
import { UsageError } from './session-commands';

// `hangar run --rubric FILE [--max-iterations N] [--check CMD]…`: the task becomes an outcome (issue #11 §1) that a
// grader holds to the rubric, and the agent revises until it is satisfied or the evaluations run out. Each verdict shows
// as the session goes (render.ts); the command ends with the outcome's result and exit 7 when it was not met.

export interface OutcomeFlags {
  rubric?: string;
  maxIterations?: number;
  check?: string[];
}

/** The run's first event: the task as a message, or (with --rubric) as an outcome, checked before anything starts. */
export async function firstEvent(task: string, o: OutcomeFlags): Promise<EventParams> {
  if (!o.rubric) {
    if (o.maxIterations !== undefined || o.check?.length) throw new UsageError('--max-iterations and --check go with --rubric FILE (the rubric the work is graded against).');
    return { type: 'user.message', content: [{ type: 'text', text: task }] };
  }
  const rubric = await readFile(o.rubric, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`--rubric ${o.rubric}: cannot read it (${err.code ?? err.message}).`);
  });
  const parsed = UserDefineOutcomeParams.safeParse({
    type: 'user.define_outcome',
    description: task,
    rubric: { type: 'text', content: rubric },
    ...(o.maxIterations !== undefined ? { max_iterations: o.maxIterations } : {}),
    ...(o.check?.length ? { checks: o.check.map((command) => ({ command })) } : {}),
  });
  if (!parsed.success) throw new UsageError(`--rubric ${o.rubric}: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  return parsed.data;
}

/** Says how the outcome ended; a finished run whose outcome was not satisfied exits with EXIT.outcomeNotMet. */
export async function outcomeExit(rt: Runtime, sessionId: string, code: number, json: boolean): Promise<number> {
  const outcome = (await rt.sessions.retrieve(sessionId)).outcome_evaluations.at(-1);
  if (!outcome) return code;
  const met = outcome.result === 'satisfied';
  if (json) process.stdout.write(`${JSON.stringify({ type: 'hangar.outcome', session_id: sessionId, outcome })}\n`);
  else {
    const p = paint(process.stdout.isTTY === true);
    const evaluations = `${outcome.iteration + 1} evaluation${outcome.iteration === 0 ? '' : 's'}`;
    process.stdout.write(met ? p('green', `Outcome satisfied after ${evaluations}.\n`) : p('yellow', `Outcome not met (${outcome.result.replace(/_/g, ' ')} after ${evaluations}).\n`));
  }
  return code === EXIT.ok && !met ? EXIT.outcomeNotMet : code;
}
