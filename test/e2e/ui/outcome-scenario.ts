import { isGrader, reply, type MessageReply, type RecordedRequest } from '../../../src/model/scripted';

// The outcome suite's model (outcome.test.ts): the agent answers the task at once, and the grader, asked in its own
// request, is satisfied. Requests of the other suites are not this scenario's (null).

export const OUTCOME_TASK = 'Greet the reviewer';
export const OUTCOME_RUBRIC = 'The reply greets the reviewer by role.';
export const OUTCOME_REPLY = 'Hello, reviewer!';
export const OUTCOME_VERDICT = 'The reply greets the reviewer.';

export function outcomeReply(req: RecordedRequest): MessageReply | null {
  if (isGrader(req)) return reply.verdict('satisfied', OUTCOME_VERDICT);
  return JSON.stringify(req.body.messages).includes(OUTCOME_TASK) ? reply.text(OUTCOME_REPLY) : null;
}
