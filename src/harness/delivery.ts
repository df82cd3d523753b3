import type { EventParams } from '../wire';
import type { HarnessState } from './state';

// Checks user events against the session's state before they are logged, so a bad confirmation or result is
// refused with an error that says what to send instead, and nothing half-valid lands in the log.

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

export function validateDelivery(state: HarnessState, params: readonly EventParams[]): void {
  if (state.status === 'terminated') throw new InvalidEventError('The session is terminated and accepts no more events. Start a new session.');
  const seen = new Set<string>();
  const outcomes = params.filter((p) => p.type === 'user.define_outcome').length;
  const active = state.outcome.active;
  if (outcomes > 0 && active) throw new InvalidEventError(`Outcome ${active.id} is still being worked on; wait until its evaluation ends (or interrupt the session) before defining another.`);
  if (outcomes > 1) throw new InvalidEventError('Define one outcome at a time: a session works toward one outcome until its evaluation ends.');
  for (const p of params) {
    if (p.type === 'user.tool_confirmation') {
      const pending = state.pending.get(p.tool_use_id);
      const kind = state.toolUseKinds.get(p.tool_use_id);
      if (!kind) throw new InvalidEventError(`tool_use_id ${p.tool_use_id} names no tool call of this session.`);
      if (kind === 'custom') throw new InvalidEventError(`${p.tool_use_id} is a custom tool call: answer it with user.custom_tool_result, not a confirmation.`);
      if (!pending || pending.permission !== 'ask' || pending.confirmation || seen.has(p.tool_use_id))
        throw new InvalidEventError(`Tool call ${p.tool_use_id} is not waiting for a confirmation (it was already answered or did not ask).`);
      seen.add(p.tool_use_id);
    } else if (p.type === 'user.custom_tool_result') {
      const pending = state.pending.get(p.custom_tool_use_id);
      if (!pending || pending.kind !== 'custom' || seen.has(p.custom_tool_use_id))
        throw new InvalidEventError(`custom_tool_use_id ${p.custom_tool_use_id} names no custom tool call that is waiting for a result.`);
      seen.add(p.custom_tool_use_id);
    }
  }
}
