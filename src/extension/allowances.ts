import type { Runtime } from '../runtime';
import type { ToolRef } from '../harness/permissions';

// The tools a session allows for the rest of the session ("allow for this session"), the coordinator's and each
// sub-agent's, as the panel's list and the revoke command show them. A sub-agent's allowances are its roster agent's
// (session-permissions.ts), so the agent's threads share them: they are read once per agent. Plain TypeScript (no vscode).

export interface SubAgentAllowances {
  agent: string;
  /** The agent's sub-threads, oldest first; any of them names the agent to allow or revoke. */
  threads: string[];
  tools: ToolRef[];
}

export interface SessionAllowances {
  /** The coordinator's (the session's own agent's). */
  tools: ToolRef[];
  subAgents: SubAgentAllowances[];
}

export async function readAllowances(runtime: Runtime, sessionId: string): Promise<SessionAllowances> {
  const byAgent = new Map<string, string[]>();
  for (const t of await runtime.sessions.threads(sessionId)) {
    // An inline agent has no allowances ("allow for this session" is refused for it): nothing to list.
    if (t.parent_thread_id === null || t.agent.type === 'inline') continue;
    byAgent.set(t.agent.name, [...(byAgent.get(t.agent.name) ?? []), t.id]);
  }
  const agents = [...byAgent];
  const [tools, ...own] = await Promise.all([runtime.permissions.allowed(sessionId), ...agents.map(([, threads]) => runtime.permissions.allowed(sessionId, threads[0]))]);
  return { tools, subAgents: agents.map(([agent, threads], i) => ({ agent, threads, tools: own[i] ?? [] })) };
}
