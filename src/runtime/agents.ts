import type { z } from 'zod';
import {
  Agent,
  BUILTIN_TOOL_NAMES,
  ModelParams,
  applyMetadataPatch,
  modelConfigProblem,
  newId,
  nowIso,
  unknownProviderProblem,
  WORKSPACE_SKILLS_ID,
  type AgentCreateParams,
  type AgentSkill,
  type AgentSkillParams,
  type AgentUpdateParams,
  type McpServer,
  type ModelCatalog,
  type ModelConfig,
  type Tool,
  type ToolParams,
} from '../wire';
import { VersionConflictError, VersionedStore, type Page } from '../log';
import { conflict, invalid, notFound, RuntimeError } from './errors';
import { webToolConfigProblem } from '../web';
import { carryMultiagent, resolveMultiagent } from './multiagent';
import type { SkillStore } from './skills';

// Agents are versioned and append-only: an update writes version N+1 and never touches N.

export interface AgentListQuery {
  limit?: number;
  page?: string;
  include_archived?: boolean;
  created_at?: { gte?: string; lte?: string };
}

export class AgentStore {
  private readonly store: VersionedStore<Agent>;

  constructor(
    root: string,
    /** The runtime's catalogue: an agent's model settings are checked against the models as the user configured them. */
    private readonly catalog: ModelCatalog,
    /** The Skills API's store: an agent's custom skills must exist there. Absent, agents cannot have skills. */
    private readonly skills?: SkillStore,
  ) {
    this.store = new VersionedStore(root, 'agents', Agent);
  }

  async create(params: AgentCreateParams): Promise<Agent> {
    const now = nowIso();
    const mcp = params.mcp_servers ?? [];
    const id = newId('agent');
    const agent: Agent = {
      type: 'agent',
      id,
      version: 1,
      name: params.name,
      description: params.description ?? null,
      system: params.system ?? null,
      model: normalizeModel(params.model, this.catalog),
      tools: normalizeTools(params.tools ?? [], mcp),
      mcp_servers: mcp,
      skills: await this.checkSkills(params.skills ?? []),
      multiagent: params.multiagent ? await resolveMultiagent(params.multiagent, { id, version: 1, name: params.name }, this, null) : null,
      execution_identity: params.execution_identity ?? { type: 'service_account' },
      metadata: params.metadata ?? {},
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await this.store.create(agent.id, agent);
    return agent;
  }

  /**
   * An agent's skills, checked when they are given: each custom skill (and pinned version) must exist, names must not
   * clash, and `workspace` takes the session repository's skill folders. Anthropic's skills are not available
   * locally, so they are refused rather than stored and ignored (ARCHITECTURE.md invariant 8). A version left out is
   * stored as "latest", resolved when a session is made.
   */
  async checkSkills(skills: readonly AgentSkillParams[]): Promise<AgentSkill[]> {
    if (skills.length > 20) throw invalid(`skills names ${skills.length} skills; give at most 20.`);
    const out: AgentSkill[] = [];
    const names = new Map<string, string>();
    for (const [i, s] of skills.entries()) {
      const where = `skills[${i}]`;
      if (s.type === 'anthropic') throw invalid(`${where}: Anthropic's skills ("${s.skill_id}") are not available in the local runtime. Upload the skill's folder as a custom skill (POST /v1/skills) and name its skill_id, or use {"type":"custom","skill_id":"${WORKSPACE_SKILLS_ID}"} for the repository's .claude/skills and .hangar/skills.`);
      if (out.some((o) => o.skill_id === s.skill_id)) throw invalid(`${where}: skill ${s.skill_id} is named twice; name each skill once.`);
      if (s.skill_id === WORKSPACE_SKILLS_ID) {
        if (s.version != null && s.version !== 'latest') throw invalid(`${where}: the workspace skills have no versions; leave version out.`);
        out.push({ type: 'custom', skill_id: s.skill_id, version: 'latest' });
        continue;
      }
      if (!this.skills) throw invalid(`${where}: this runtime has no Skills API, so the agent cannot have custom skills.`);
      const found = await this.skills.resolve(s.skill_id, s.version).catch((err: unknown) => {
        if (err instanceof RuntimeError && err.status === 404) throw invalid(`${where}: ${err.message}`);
        throw err;
      });
      const twin = names.get(found.version.name);
      if (twin) throw invalid(`${where}: skill ${s.skill_id} is named "${found.version.name}" like ${twin}; a session mounts one folder per name, so give one of them.`);
      names.set(found.version.name, s.skill_id);
      out.push({ type: 'custom', skill_id: s.skill_id, version: s.version ?? 'latest' });
    }
    return out;
  }

  async retrieve(id: string, version?: number): Promise<Agent> {
    const found = version === undefined ? await this.store.latest(id) : await this.store.get(id, version);
    const agent = found?.value;
    if (!agent) throw version === undefined ? notFound('Agent', id) : notFound('Agent version', `${id}@${version}`);
    return agent;
  }

  async update(id: string, params: AgentUpdateParams): Promise<Agent> {
    const current = await this.retrieve(id);
    if (current.archived_at) throw invalid(`Agent ${id} is archived and cannot be updated. Create a new agent instead.`);
    if (params.version !== undefined && params.version !== current.version) {
      throw conflict(`Agent ${id} is at version ${current.version}, not ${params.version}: retrieve it, reapply your change and send version ${current.version}.`);
    }
    const mcp = params.mcp_servers === undefined ? current.mcp_servers : (params.mcp_servers ?? []);
    const owner = { id, version: current.version + 1, name: params.name ?? current.name };
    const multiagent =
      params.multiagent === undefined ? carryMultiagent(current.multiagent, owner) : params.multiagent ? await resolveMultiagent(params.multiagent, owner, this, current.multiagent) : null;
    const next: Agent = {
      ...current,
      version: current.version + 1,
      name: params.name ?? current.name,
      model: params.model === undefined ? current.model : normalizeModel(params.model, this.catalog),
      description: params.description === undefined ? current.description : params.description || null,
      system: params.system === undefined ? current.system : params.system || null,
      tools: params.tools === undefined ? normalizeTools(current.tools as ToolParams[], mcp) : normalizeTools(params.tools ?? [], mcp),
      mcp_servers: mcp,
      skills: params.skills === undefined ? current.skills : await this.checkSkills(params.skills ?? []),
      multiagent,
      execution_identity: params.execution_identity ?? current.execution_identity,
      metadata: applyMetadataPatch(current.metadata, params.metadata),
      updated_at: nowIso(),
    };
    try {
      await this.store.putNext(id, current.version, next);
    } catch (err) {
      if (err instanceof VersionConflictError) throw conflict(`Agent ${id} was updated concurrently; retrieve the latest version and retry.`);
      throw err;
    }
    return next;
  }

  async archive(id: string): Promise<Agent> {
    const current = await this.retrieve(id);
    if (current.archived_at) return current;
    const next = { ...current, version: current.version + 1, archived_at: nowIso(), updated_at: nowIso() };
    await this.store.putNext(id, current.version, next);
    return next;
  }

  async list(q: AgentListQuery): Promise<Page<Agent>> {
    const { gte, lte } = q.created_at ?? {};
    const inRange = (t: string) => (gte === undefined || Date.parse(t) >= Date.parse(gte)) && (lte === undefined || Date.parse(t) <= Date.parse(lte));
    const page = await this.store.list({ limit: q.limit, after: q.page, where: (a) => (q.include_archived === true || !a.archived_at) && inRange(a.created_at) });
    return { ...page, data: page.data.map((v) => v.value) };
  }

  async versions(id: string, q: { limit?: number; page?: string }): Promise<Page<Agent>> {
    await this.retrieve(id);
    const page = await this.store.versions(id, { limit: q.limit, after: q.page });
    return { ...page, data: page.data.map((v) => v.value) };
  }
}

export function normalizeModel(model: z.infer<typeof ModelParams>, catalog: ModelCatalog): ModelConfig {
  const m = typeof model === 'string' ? { id: model } : model;
  const unknownProvider = unknownProviderProblem(m.id, catalog.providerConfigs().map((p) => p.name));
  if (unknownProvider) throw invalid(`model: ${unknownProvider}`);
  // Effort resolves to the model's own default (reference §5.1); a setting the model would refuse is refused here.
  const spec = catalog.lookup(m.id);
  const effort = (m.effort == null ? undefined : typeof m.effort === 'string' ? m.effort : m.effort.type) ?? spec.defaultEffort ?? undefined;
  const problem = modelConfigProblem(spec, m.id, effort, m.thinking ?? undefined);
  if (problem) throw invalid(`model: ${problem}`);
  return {
    id: m.id,
    ...(effort ? { effort: { type: effort } } : {}),
    ...(m.speed ? { speed: m.speed } : {}),
    ...(m.inference_geo ? { inference_geo: m.inference_geo } : {}),
    ...(m.thinking ? { thinking: m.thinking } : {}),
  };
}

/** Resolves tool params to the response form (every built-in tool listed) and checks MCP references. */
export function normalizeTools(tools: readonly (ToolParams | Tool)[], servers: readonly McpServer[]): Tool[] {
  const serverNames = new Set<string>();
  for (const s of servers) {
    if (serverNames.has(s.name)) throw invalid(`mcp_servers has two servers named "${s.name}"; names must be unique.`);
    serverNames.add(s.name);
  }
  const referenced = new Set<string>();
  const names = new Set<string>();
  const out = tools.map((t): Tool => {
    if (t.type === 'agent_toolset_20260401') {
      const defaults = { enabled: t.default_config?.enabled ?? true, permission_policy: t.default_config?.permission_policy ?? { type: 'always_allow' as const } };
      const configs = BUILTIN_TOOL_NAMES.map((name) => {
        const c = t.configs?.find((x) => x.name === name);
        const resolved = { ...c, name, type: name, enabled: c?.enabled ?? defaults.enabled, permission_policy: c?.permission_policy ?? defaults.permission_policy };
        return name === 'web_fetch' ? { ...resolved, url_sources: c?.url_sources ?? null } : resolved;
      });
      for (const c of configs) {
        const problem = webToolConfigProblem(c);
        if (problem) throw invalid(`tools: ${problem}`);
        if (c.enabled) names.add(c.name);
      }
      return { type: t.type, default_config: defaults, configs };
    }
    if (t.type === 'mcp_toolset') {
      if (!serverNames.has(t.mcp_server_name)) throw invalid(`mcp_toolset names server "${t.mcp_server_name}", which is not in mcp_servers.`);
      referenced.add(t.mcp_server_name);
      const defaults = { enabled: t.default_config?.enabled ?? true, permission_policy: t.default_config?.permission_policy ?? { type: 'always_ask' as const } };
      const configs = (t.configs ?? []).map((c) => ({ name: c.name, enabled: c.enabled ?? defaults.enabled, permission_policy: c.permission_policy ?? defaults.permission_policy }));
      return { type: t.type, mcp_server_name: t.mcp_server_name, default_config: defaults, configs };
    }
    if (names.has(t.name)) throw invalid(`Custom tool "${t.name}" clashes with another tool of the same name.`);
    names.add(t.name);
    return t;
  });
  for (const s of serverNames) if (!referenced.has(s)) throw invalid(`MCP server "${s}" is not used by any mcp_toolset; add {"type":"mcp_toolset","mcp_server_name":"${s}"} to tools.`);
  return out;
}

