import * as z from 'zod';
import { lazySchema } from './lazy';

// Multi-agent configuration of an agent (reference §5.4): the params clients send, and the resolved form an agent
// carries (every member a concrete {type:"agent", id, version}). The session form, with each member expanded to its
// full definition, lives in session.ts. Hangar runs roster agents and inline agents (inline-agent.ts) as sub-agent
// threads; it has no advisor model and no workflow runs, so those are refused when given (ARCHITECTURE.md invariant 8)
// and resolve to disabled when left to their default.

export const MAX_ROSTER = 20;

const AgentRefParams = lazySchema(() => z.object({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).nullish() }));
const SelfParams = lazySchema(() => z.object({ type: z.literal('self') }));
const AdvisorParams = lazySchema(() => z.object({ type: z.literal('advisor'), model: z.string().min(1) }));
export const RosterEntryParams = lazySchema(() => z.union([z.string().min(1), AgentRefParams, SelfParams, AdvisorParams]));
export type RosterEntryParams = z.infer<typeof RosterEntryParams>;
const PredefinedAgentParams = lazySchema(() => z.union([z.string().min(1), AgentRefParams, SelfParams]));

export const CoordinatorParams = lazySchema(() => z.object({
  type: z.literal('coordinator'),
  agents: z.array(RosterEntryParams).min(1, 'multiagent.agents needs at least one agent').max(MAX_ROSTER, `multiagent.agents holds at most ${MAX_ROSTER} agents`),
}));

const Disabled = lazySchema(() => z.object({ type: z.literal('disabled') }));
const Enabled = lazySchema(() => z.object({ type: z.literal('enabled') }));
const Switch = lazySchema(() => z.discriminatedUnion('type', [Enabled, Disabled]));
const MembersParams = lazySchema(() => z.discriminatedUnion('type', [
  z.object({
    type: z.literal('enabled'),
    inline_agents: Switch.nullish(),
    predefined_agents: z.array(PredefinedAgentParams).max(MAX_ROSTER, `predefined_agents holds at most ${MAX_ROSTER} agents`).nullish(),
  }),
  Disabled,
]));
export const Multiagent20261001Params = lazySchema(() => z.object({
  type: z.literal('multiagent_20261001'),
  advisor: z.discriminatedUnion('type', [z.object({ type: z.literal('enabled'), model: z.string().min(1) }), Disabled]).nullish(),
  subagents: MembersParams.nullish(),
  workflows: MembersParams.nullish(),
}));
export const MultiagentParams = lazySchema(() => z.discriminatedUnion('type', [CoordinatorParams, Multiagent20261001Params]));
export type MultiagentParams = z.infer<typeof MultiagentParams>;
export type Multiagent20261001Params = z.infer<typeof Multiagent20261001Params>;

// ---- resolved (agent responses) ----
export const AgentReference = lazySchema(() => z.object({ type: z.literal('agent'), id: z.string(), version: z.number().int().min(1) }));
export type AgentReference = z.infer<typeof AgentReference>;
export const Coordinator = lazySchema(() => z.object({ type: z.literal('coordinator'), agents: z.array(AgentReference) }));
const Members = <T extends z.ZodType>(member: T) =>
  z.discriminatedUnion('type', [z.object({ type: z.literal('enabled'), inline_agents: Switch, predefined_agents: z.array(member) }), Disabled]);
export const Multiagent20261001 = lazySchema(() => z.object({
  type: z.literal('multiagent_20261001'),
  advisor: Disabled,
  subagents: Members(AgentReference),
  workflows: Disabled,
}));
export const AgentMultiagent = lazySchema(() => z.discriminatedUnion('type', [Coordinator, Multiagent20261001]));
export type AgentMultiagent = z.infer<typeof AgentMultiagent>;

/** The roster references of a resolved configuration, in order. */
export function rosterRefs(m: AgentMultiagent): AgentReference[] {
  if (m.type === 'coordinator') return m.agents;
  return m.subagents.type === 'enabled' ? m.subagents.predefined_agents : [];
}

/** The same configuration with each roster reference replaced (the session form expands them to definitions). */
export function mapRoster<T>(m: AgentMultiagent, f: (ref: AgentReference) => T) {
  if (m.type === 'coordinator') return { type: m.type, agents: m.agents.map(f) };
  const subagents = m.subagents.type === 'enabled' ? { ...m.subagents, predefined_agents: m.subagents.predefined_agents.map(f) } : m.subagents;
  return { ...m, subagents };
}
