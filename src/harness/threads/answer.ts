import type { SessionEvent, StopReason, UserContentBlock } from '../../wire';

/**
 * What a sub-agent's finished turn says to the coordinator: its last message, and what stopped it if not itself.
 * `steered`: the turn answered a message the user sent the thread directly, not the coordinator's task.
 */
export function answerOf(turn: readonly SessionEvent[], stop: StopReason | null, steered: readonly UserContentBlock[] | null = null): UserContentBlock[] {
  const last = [...turn].reverse().find((e): e is Extract<SessionEvent, { type: 'agent.message' }> => e.type === 'agent.message');
  const text = last ? last.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n') : '';
  const interrupted = turn.some((e) => e.type === 'user.interrupt');
  const note = interrupted
    ? '[The user interrupted this agent before it finished.]'
    : stop?.type === 'retries_exhausted'
      ? '[This agent stopped: its model requests failed or it hit a limit; its thread shows the error.]'
      : stop?.type === 'refusal'
        ? '[The model declined to continue this task.]'
        : '';
  const asked = steered ? `[The user messaged this agent directly: "${steered.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(' ')}". Its answer follows.]` : '';
  const body = [asked, note, text || (note ? '' : '(The agent ended its turn without a message.)')].filter(Boolean).join('\n\n');
  return [{ type: 'text', text: body }];
}
