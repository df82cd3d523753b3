import type { Agent, SessionAgent, SessionMultiagent, SessionThreadAgent } from '../wire';
import { sessionRoster } from '../wire';
import { mapRoster, rosterRefs, type AgentMultiagent, type AgentReference, type MultiagentParams, type RosterEntryParams } from '../wire/multiagent';
import { invalid, RuntimeError } from './errors';

// Rosters (reference §5.4): resolved when an agent is written (every member exists, is not archived and has no roster
// of its own, depth 1, which also rules out cycles), and expanded into a session's snapshot when a session is made,
// so later agent edits never change a running session.

export interface RosterLookup {
  retrieve(id: string, version?: number): Promise<Agent>;
}

/** The agent that owns the configuration (its id and the version being written). */
export interface RosterOwner {
  id: string;
  version: number;
  name: string;
}

/** Resolves params to the stored form; `previous` is the owner's current configuration (update merges with it). */
export async function resolveMultiagent(params: MultiagentParams, owner: RosterOwner, agents: RosterLookup, previous: AgentMultiagent | null): Promise<AgentMultiagent> {
  if (params.type === 'coordinator') {
    const selfCount = params.agents.filter((a) => typeof a !== 'string' && a.type === 'self').length;
    if (selfCount > 1) throw invalid('multiagent.agents names "self" more than once; list it at most once.');
    const refs: AgentReference[] = [];
    for (const [i, entry] of params.agents.entries()) refs.push(await member(entry, `multiagent.agents[${i}]`, owner, agents));
    await checkRoster(refs, owner, agents);
    return { type: 'coordinator', agents: refs };
  }
  // Level by level over a stored configuration of the same type; an absent or null member takes its default.
  const base = previous?.type === 'multiagent_20261001' ? previous : null;
  if (params.advisor?.type === 'enabled') throw invalid('multiagent.advisor: Hangar has no advisor model; leave advisor out or set it to {"type":"disabled"}.');
  if (params.workflows?.type === 'enabled') throw invalid('multiagent.workflows: Hangar does not run workflows; leave workflows out or set it to {"type":"disabled"}.');
  const subParams = params.subagents === undefined ? undefined : params.subagents;
  let subagents: Extract<AgentMultiagent, { type: 'multiagent_20261001' }>['subagents'];
  if (subParams === undefined && base) subagents = { ...base.subagents, ...(base.subagents.type === 'enabled' ? { predefined_agents: base.subagents.predefined_agents.map((r) => selfToCurrent(r, owner)) } : {}) };
  else if (subParams?.type === 'disabled') subagents = { type: 'disabled' };
  else {
    // Inline agents default to enabled (the SDK's default): the coordinator's model then defines sub-agents itself.
    const inline = subParams?.inline_agents?.type ?? 'enabled';
    const list = subParams?.predefined_agents ?? [];
    if (list.length === 0 && inline === 'disabled') {
      throw invalid('multiagent.subagents has inline agents disabled and no predefined_agents, so the agent could start no sub-agent: name saved agents in predefined_agents, enable inline_agents, or set subagents to {"type":"disabled"}.');
    }
    if (list.filter((a) => typeof a !== 'string' && a.type === 'self').length > 1) throw invalid('multiagent.subagents.predefined_agents names "self" more than once; list it at most once.');
    const refs: AgentReference[] = [];
    for (const [i, entry] of list.entries()) refs.push(await member(entry, `multiagent.subagents.predefined_agents[${i}]`, owner, agents));
    await checkRoster(refs, owner, agents);
    subagents = { type: 'enabled', inline_agents: { type: inline }, predefined_agents: refs };
  }
  return { type: 'multiagent_20261001', advisor: { type: 'disabled' }, subagents, workflows: { type: 'disabled' } };
}

/** A stored configuration carried to the owner's next version: "self" keeps meaning the owner as it is now. */
export function carryMultiagent(m: AgentMultiagent | null, owner: RosterOwner): AgentMultiagent | null {
  if (!m) return null;
  return mapRoster(m, (r) => selfToCurrent(r, owner)) as AgentMultiagent;
}

function selfToCurrent(r: AgentReference, owner: RosterOwner): AgentReference {
  return r.id === owner.id ? { ...r, version: owner.version } : r;
}

async function member(entry: RosterEntryParams, where: string, owner: RosterOwner, agents: RosterLookup): Promise<AgentReference> {
  if (typeof entry !== 'string' && entry.type === 'self') return { type: 'agent', id: owner.id, version: owner.version };
  if (typeof entry !== 'string' && entry.type === 'advisor') throw invalid(`${where}: Hangar has no advisor model; remove the advisor entry.`);
  const id = typeof entry === 'string' ? entry : entry.id;
  const version = typeof entry === 'string' ? undefined : (entry.version ?? undefined);
  if (id === owner.id) throw invalid(`${where}: an agent names itself with {"type":"self"}, not by its id.`);
  const agent = await lookup(agents, id, version, where);
  if (await archived(agents, id)) throw invalid(`${where}: agent ${id} (${agent.name}) is archived; a roster names active agents only.`);
  if (agent.multiagent) {
    throw invalid(`${where}: agent ${id} (${agent.name}) has a roster of its own; roster members cannot delegate further (one level deep, which also rules out cycles).`);
  }
  return { type: 'agent', id: agent.id, version: agent.version };
}

/** The coordinator delegates by agent name, so two members must not share one. */
async function checkRoster(refs: readonly AgentReference[], owner: RosterOwner, agents: RosterLookup): Promise<void> {
  const seen = new Map<string, string>();
  for (const r of refs) {
    const name = r.id === owner.id ? owner.name : (await agents.retrieve(r.id, r.version)).name;
    const other = seen.get(name);
    if (other !== undefined) {
      throw invalid(other === r.id ? `The roster lists agent ${r.id} (${name}) twice; list each agent once.` : `Two roster agents are named "${name}" (${other} and ${r.id}); the coordinator names the agent it delegates to, so names must differ.`);
    }
    seen.set(name, r.id);
  }
}

/** Archiving writes a new version: a pinned older version is archived when the agent's latest is. */
async function archived(agents: RosterLookup, id: string): Promise<boolean> {
  return (await agents.retrieve(id)).archived_at !== null;
}

async function lookup(agents: RosterLookup, id: string, version: number | undefined, where: string): Promise<Agent> {
  try {
    return await agents.retrieve(id, version);
  } catch (err) {
    if (err instanceof RuntimeError && err.status === 404) {
      throw invalid(`${where}: agent ${id}${version === undefined ? '' : ` version ${version}`} does not exist; a roster names existing agents.`);
    }
    throw err;
  }
}

/**
 * The session form of the owner's roster: each member's definition at its pinned version ("self" is the session's own
 * agent), refused when a member was archived since. Null for an agent without a roster.
 */
export async function expandRoster(agent: Omit<SessionAgent, 'multiagent'> & { multiagent: AgentMultiagent | null }, agents: RosterLookup): Promise<SessionMultiagent | null> {
  const m = agent.multiagent;
  if (!m) return null;
  const defs = new Map<string, SessionThreadAgent>();
  for (const [i, r] of rosterRefs(m).entries()) {
    if (r.id === agent.id) {
      const { multiagent: _m, ...self } = agent;
      defs.set(`${r.id}@${r.version}`, self);
      continue;
    }
    const member = await lookup(agents, r.id, r.version, `The agent's roster (member ${i})`);
    if (await archived(agents, r.id)) throw invalid(`Agent ${agent.id}'s roster names agent ${r.id} (${member.name}), which is archived; update the roster before starting a session.`);
    const { created_at: _c, updated_at: _u, archived_at: _a, metadata: _md, multiagent: _ma, ...def } = member;
    defs.set(`${r.id}@${r.version}`, def);
  }
  return mapRoster(m, (r) => defs.get(`${r.id}@${r.version}`)!) as SessionMultiagent;
}

/** The session's agent with one roster member's tools replaced (members are named uniquely; see checkRoster). */
export function withMemberTools(agent: SessionAgent, name: string, tools: SessionThreadAgent['tools']): SessionAgent {
  const m = agent.multiagent;
  if (!m || !sessionRoster(agent).some((x) => x.name === name)) throw invalid(`Session agent ${agent.id} has no roster agent named "${name}".`);
  const swap = (x: SessionThreadAgent) => (x.name === name ? { ...x, tools } : x);
  if (m.type === 'coordinator') return { ...agent, multiagent: { ...m, agents: m.agents.map(swap) } };
  if (m.subagents.type !== 'enabled') return agent;
  return { ...agent, multiagent: { ...m, subagents: { ...m.subagents, predefined_agents: m.subagents.predefined_agents.map(swap) } } };
}
