import type { ModelUsage, NewEvent, OutcomeResult } from '../wire';
import { newId } from '../wire';
import type { ModelClient } from '../model/types';
import { classifyModelError } from '../model/anthropic';
import { askGrader, finalVerdict, graderRequest, type OutcomeEvidence } from './grader';
import type { ActiveOutcome } from './outcome-state';
import { backoffMs, errorTypeFor, sleep, type RetryPolicy } from './retry';

// One evaluation of the active outcome: span.outcome_evaluation_start → the evidence (the session's diff, the check
// commands) → the grader's request, retried like a model request on transport errors → span.outcome_evaluation_end
// with the verdict, its explanation and the grader's usage (priced into the session's cost and budget by the fold).
// Durable: an evaluation whose start is in the log but not its end (a crash, a close) is finished by the next one under
// the same start, so an iteration never has two verdicts. The end is the agent's input when it must act on it.

export interface OutcomeDeps {
  append: (events: NewEvent[]) => Promise<void>;
  runningEvents: () => NewEvent[];
  model: ModelClient;
  modelId: string;
  maxTokens: number;
  /** Whether the grader's request may force its verdict tool (see graderRequest). */
  forceTool: boolean;
  retry: RetryPolicy;
  /** Gathers what the grader sees: the session's changes and the check commands' results (run in the sandbox). */
  evidence: (outcome: ActiveOutcome, signal: AbortSignal) => Promise<OutcomeEvidence>;
  /** How often span.outcome_evaluation_ongoing says the evaluation is alive (default 10 s). */
  heartbeatMs?: number;
}

const zeroUsage = (): ModelUsage => ({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
const addUsage = (a: ModelUsage, b: ModelUsage): ModelUsage => ({
  input_tokens: a.input_tokens + b.input_tokens,
  output_tokens: a.output_tokens + b.output_tokens,
  cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens,
  cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
});

/** Runs one evaluation to its end; 'aborted' when an interrupt or a close stopped it first (the end is not written). */
export async function evaluateOutcome(deps: OutcomeDeps, outcome: ActiveOutcome, signal: AbortSignal): Promise<'done' | 'aborted'> {
  const iteration = outcome.open?.iteration ?? outcome.iteration;
  const span = { outcome_id: outcome.id, iteration };
  const ongoing = (): NewEvent => ({ type: 'span.outcome_evaluation_ongoing', ...span });
  let startId = outcome.open?.startId;
  if (startId) await deps.append([...deps.runningEvents(), ongoing()]);
  else {
    startId = newId('sevt');
    await deps.append([...deps.runningEvents(), { id: startId, type: 'span.outcome_evaluation_start', ...span }]);
  }
  const heartbeat = new Heartbeat(() => deps.append([ongoing()]), deps.heartbeatMs ?? 10_000);
  let usage = zeroUsage();
  const end = async (result: OutcomeResult, explanation: string, checks?: OutcomeEvidence['checks']): Promise<'done'> => {
    await heartbeat.stop();
    await deps.append([{ type: 'span.outcome_evaluation_end', outcome_evaluation_start_id: startId, ...span, result, explanation, usage, ...(checks ? { _hangar: { checks } } : {}) }]);
    return 'done';
  };
  try {
    let evidence: OutcomeEvidence;
    try {
      evidence = await deps.evidence(outcome, signal);
    } catch (err) {
      if (signal.aborted) return 'aborted';
      return await end('failed', `The evaluation could not gather the work to grade: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (signal.aborted) return 'aborted';
    const request = graderRequest(deps.modelId, deps.maxTokens, { ...outcome, iteration }, evidence, deps.forceTool);
    for (let attempt = 0; ; attempt++) {
      const used = zeroUsage();
      try {
        const answer = await askGrader(deps.model, request, signal, used);
        usage = addUsage(usage, used);
        if (!answer.ok) return await end('failed', `The grader's answer could not be used: ${answer.problem}. The outcome ends here; define it again to retry.`, evidence.checks);
        const verdict = finalVerdict(answer.verdict, evidence.checks, { ...outcome, iteration });
        return await end(verdict.result, verdict.explanation, evidence.checks);
      } catch (err) {
        usage = addUsage(usage, used);
        if (signal.aborted) return 'aborted';
        const me = classifyModelError(err);
        const detail = { kind: me.kind, attempt: attempt + 1, ...(me.url ? { url: me.url } : {}) };
        if (me.retryable && attempt < deps.retry.maxRetries) {
          const waitMs = backoffMs(deps.retry, attempt, me);
          await deps.append([
            { type: 'session.error', error: { type: errorTypeFor(me), message: `The outcome grader's request failed: ${me.message}`, retry_status: { type: 'retrying' } }, _hangar: { model_error: { ...detail, retry_in_ms: Math.round(waitMs) } } },
          ]);
          if (!(await sleep(waitMs, signal))) return 'aborted';
          continue;
        }
        const tried = me.retryable ? ` Gave up after ${attempt + 1} attempts.` : '';
        return await end('failed', `The grader could not be asked: ${me.message}.${tried} The outcome ends here; define it again to retry.`, evidence.checks);
      }
    }
  } finally {
    await heartbeat.stop();
  }
}

/** The end of an outcome the user interrupted: the open evaluation's, or a start and end for the current iteration. */
export function interruptedOutcome(outcome: ActiveOutcome): NewEvent[] {
  const iteration = outcome.open?.iteration ?? outcome.iteration;
  const span = { outcome_id: outcome.id, iteration };
  const out: NewEvent[] = [];
  let startId = outcome.open?.startId;
  if (!startId) {
    startId = newId('sevt');
    out.push({ id: startId, type: 'span.outcome_evaluation_start', ...span });
  }
  out.push({ type: 'span.outcome_evaluation_end', outcome_evaluation_start_id: startId, ...span, result: 'interrupted', explanation: 'The user interrupted the session, which ends the outcome.', usage: zeroUsage() });
  return out;
}

/** Appends a heartbeat every `ms` until stopped; stop() waits for one in flight, so none lands after the end. */
class Heartbeat {
  private inflight: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(beat: () => Promise<void>, ms: number) {
    this.timer = setInterval(() => {
      this.inflight = this.inflight.then(beat).catch(() => undefined);
    }, ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inflight;
  }
}
