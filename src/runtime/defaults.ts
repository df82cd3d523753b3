import type { AgentCreateParams } from '../wire';
import { DEFAULT_MODEL } from '../model/types';

// Hangar's default coding agent: what `hangar run` uses without an agent file, and what VS Code offers when a
// workspace has no agents yet. One definition, so both surfaces create the same agent.

export const DEFAULT_AGENT: AgentCreateParams = {
  name: 'hangar-default',
  model: DEFAULT_MODEL,
  description: 'General coding agent: reads, edits and runs code in the sandbox.',
  system:
    'You are a careful software engineer working on the user\'s repository. Explore before you change things, keep changes small and focused, run the tests, and finish with a short summary of what you changed and why.',
  tools: [{ type: 'agent_toolset_20260401' }],
};
