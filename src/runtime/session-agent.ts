import type { ModelCatalog, SessionAgent, SessionCreateParams } from '../wire';
import { normalizeModel, normalizeTools, type AgentStore } from './agents';
import { expandRoster } from './multiagent';
import { invalid } from './errors';

/**
 * The agent snapshot a new session runs with: the stored agent (at a version, when the reference names one) with the
 * session's inline overrides applied, and its multi-agent roster expanded.
 */
export async function resolveSessionAgent(ref: SessionCreateParams['agent'], agents: AgentStore, catalog: ModelCatalog): Promise<SessionAgent> {
  const id = typeof ref === 'string' ? ref : ref.id;
  const version = typeof ref === 'string' ? undefined : ref.version;
  const agent = await agents.retrieve(id, version);
  if (agent.archived_at) throw invalid(`Agent ${id} is archived; new sessions need an active agent.`);
  const { created_at: _c, updated_at: _u, archived_at: _a, metadata: _m, ...base } = agent;
  const mcp = typeof ref === 'string' || ref.type === 'agent' ? base.mcp_servers : (ref.mcp_servers ?? base.mcp_servers);
  const snapshot =
    typeof ref === 'string' || ref.type === 'agent'
      ? base
      : {
          ...base,
          model: ref.model ? normalizeModel(ref.model, catalog) : base.model,
          system: ref.system === undefined ? base.system : ref.system,
          mcp_servers: mcp,
          tools: ref.tools ? normalizeTools(ref.tools, mcp) : base.tools,
          skills: ref.skills ? await agents.checkSkills(ref.skills) : base.skills,
        };
  // The roster is expanded into the snapshot ("self" being this very snapshot, overrides included).
  return { ...snapshot, multiagent: await expandRoster(snapshot, agents) };
}
