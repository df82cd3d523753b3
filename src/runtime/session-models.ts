import type { ModelProviders } from '../model/registry';
import { sessionRoster, type ModelCatalog, type SessionAgent, type SessionThreadAgent } from '../wire';

/**
 * Why a session of this agent cannot start on its models, or null: checked at create, before anything is made. Each
 * model its threads run (the agent's, its roster's) must name a configured provider that can be reached and lists it,
 * and take tools when its agent has some (from the provider's models endpoint or the catalogue).
 */
export async function sessionModelProblem(agent: SessionAgent, providers: ModelProviders, catalog: ModelCatalog): Promise<string | null> {
  const threads: SessionThreadAgent[] = [agent, ...sessionRoster(agent)];
  const problems = await Promise.all(threads.map((a) => providers.sessionProblem(a.model.id, hasTools(a), (id) => catalog.lookup(id).tools)));
  return problems.find((p) => p !== null) ?? null;
}

function hasTools(agent: SessionThreadAgent): boolean {
  return agent.tools.some((t) => (t.type === 'agent_toolset_20260401' ? t.configs.some((c) => c.enabled) : true));
}
