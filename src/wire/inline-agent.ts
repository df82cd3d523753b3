import * as z from 'zod';
import { lazySchema } from './lazy';
import { Agent, ModelParams, ToolParams } from './agent';
import type { SessionAgent } from './session';

// Inline agents (reference §7.9, SDK BetaManagedAgentsInlineAgent): with `multiagent_20261001.subagents.inline_agents`
// enabled, the coordinator's model defines a sub-agent itself when it starts a thread (send_to_agent's
// `inline_agent`); the definition is not saved as an agent. The params are what the model gives; the resolved form is
// what the thread runs and what the threads API shows as the thread's `agent`. Resolution (src/runtime/inline-agents.ts)
// keeps an inline agent within its coordinator's powers: its tools are a subset of the coordinator's, each with a
// permission policy at least as strict.

/** What the coordinator's model writes: every field but the name is optional and defaults to the coordinator's. */
export const InlineAgentParams = lazySchema(() => z
  .object({
    // The name goes into the thread's system prompt (`You are the agent "…"`), so it has no double quote.
    name: z
      .string()
      .trim()
      .min(1, 'name must not be empty')
      .max(64, 'name holds at most 64 characters')
      .regex(/^[^"\n]+$/, 'name must not contain a double quote or a line break'),
    description: z.string().max(2048).nullish(),
    system: z.string().max(100_000).nullish(),
    model: ModelParams.nullish(),
    /** Absent: the coordinator's tools. Given: a narrowing of them (same shapes as an agent's `tools`). */
    tools: z.array(ToolParams).max(256).nullish(),
  })
  .strict());
export type InlineAgentParams = z.infer<typeof InlineAgentParams>;

/** The resolved definition a thread runs (the SDK's InlineAgent); kept in its session.thread_created (`_hangar`). */
export const InlineAgent = lazySchema(() => Agent.pick({ name: true, description: true, system: true, model: true, tools: true, mcp_servers: true, execution_identity: true }).extend({
  type: z.literal('inline'),
  skills: z.array(z.never()),
}));
export type InlineAgent = z.infer<typeof InlineAgent>;

/**
 * The agent an inline thread's driver runs: the definition, under its coordinator's id and version (an inline agent
 * is not saved, so it has none of its own) and without a roster (depth 1).
 */
export function inlineThreadAgent(def: InlineAgent, coordinator: SessionAgent): SessionAgent {
  const { type: _t, ...own } = def;
  return { ...own, type: 'agent', id: coordinator.id, version: coordinator.version, multiagent: null };
}
