import type { InlineAgent, InlineAgentParams, SessionAgent, SessionThreadAgent } from '../../wire';
import { inlineThreadAgent } from '../../wire';

// The agent a send_to_agent call starts a thread for: a roster agent by name, or an agent the coordinator's model
// defines (inline_agent). A refusal is the error text the coordinator's model gets back.

export type AgentChoice = { agent: SessionAgent; inline?: InlineAgent } | { error: string };

export interface ChoiceContext {
  members: readonly SessionThreadAgent[];
  /** The coordinator may define agents of its own. */
  inlineAllowed: boolean;
  coordinatorName: string;
  /** The coordinator as it runs now (its tools may have changed since the session started). */
  coordinator: SessionAgent;
  /** The session's agent snapshot, which an inline agent's thread agent is made from. */
  session: SessionAgent;
  /** Resolves an inline definition against the coordinator (throws, saying why, for one it refuses). */
  defineInline?: (params: InlineAgentParams, coordinator: SessionAgent) => InlineAgent;
}

export function rosterAgent(name: string, c: ChoiceContext): AgentChoice {
  const member = c.members.find((m) => m.name === name);
  if (member) return { agent: { ...member, multiagent: null } };
  const roster = c.members.map((m) => m.name);
  const others = roster.length > 0 ? ` Agents: ${roster.join(', ')}.` : ' You have no roster agents.';
  return { error: `There is no agent named "${name}" to delegate to.${others}${c.inlineAllowed ? ' To define an agent of your own, give inline_agent instead of agent.' : ''}` };
}

/** An agent the coordinator's model defines: resolved against the coordinator as it runs now, stored with its thread. */
export function inlineAgent(params: InlineAgentParams, c: ChoiceContext): AgentChoice {
  const roster = c.members.map((m) => m.name);
  if (!c.inlineAllowed || !c.defineInline) return { error: `inline_agent: this session's agent may not define agents of its own (inline_agents is disabled); start one of the roster agents (${roster.join(', ')}) with agent.` };
  if (params.name === c.coordinatorName || roster.includes(params.name)) {
    return { error: `inline_agent.name "${params.name}" is taken by ${params.name === c.coordinatorName ? 'you, the coordinator' : 'a roster agent'}; give your agent another name.` };
  }
  try {
    const inline = c.defineInline(params, c.coordinator);
    return { agent: inlineThreadAgent(inline, c.session), inline };
  } catch (err) {
    return { error: `inline_agent: ${err instanceof Error ? err.message : String(err)}` };
  }
}
