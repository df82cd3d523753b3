import type { Session, SessionEvent, SessionThreadAgent } from '../wire';
import { sessionRoster } from '../wire';
import { threadOf } from '../harness/threads/view';
import { HarnessState } from '../harness/state';
import { allowTool, policyOf, revokeTool, sessionAllowances, toolLabel, type ToolRef } from '../harness/permissions';
import type { SessionAllowances } from '../wire/allowances';
import type { AgentStore } from './agents';
import { invalid } from './errors';
import type { SessionService } from './sessions';
import { primaryThreadId } from './threads';

// "Allow for this session": the user's per-session override of a tool's permission policy. It is a session update of
// the agent's tools (reference §2, `POST /v1/sessions/{id}` with `agent.tools`), so it is the wire's own record:
// logged as `session.updated`, kept in the session's record, served by the API as the session's agent, and applied by
// the harness from the next wake on. Revoking restores the agent version's own config for that tool.
// In a multi-agent session each thread's agent has its own allowances (`thread`: a sub-agent thread's id): they change
// that roster agent's tools in the session's snapshot (SessionService.updateMemberTools), which its threads follow at
// once, also while other threads run; the coordinator's stay the wire's session update.

export class SessionPermissions {
  constructor(
    private readonly sessions: SessionService,
    private readonly agents: AgentStore,
  ) {}

  /** The tools this session always allows where its agent (or `thread`'s sub-agent) would ask (or judge) each call. */
  async allowed(id: string, thread?: string): Promise<ToolRef[]> {
    const session = await this.sessions.retrieve(id);
    const current = (await this.member(session, thread)) ?? session.agent;
    const agent = await this.agents.retrieve(current.id, current.version);
    const mcp = current.tools.flatMap((t) => (t.type === 'mcp_toolset' ? t.configs.map((c) => ({ name: c.name, mcp_server_name: t.mcp_server_name })) : []));
    return sessionAllowances(current.tools, agent.tools, mcp);
  }

  /**
   * Every allowance of the session: the coordinator's and, per roster agent with sub-agent threads, its own (its
   * threads share them, so each agent is read once). The API's GET …/allowances, the panel's list, the revoke pick.
   */
  async all(id: string): Promise<SessionAllowances> {
    const byAgent = new Map<string, string[]>();
    for (const t of await this.sessions.threads(id)) {
      // An inline agent has no allowances ("allow for this session" is refused for it): nothing to list.
      if (t.parent_thread_id === null || t.agent.type === 'inline') continue;
      byAgent.set(t.agent.name, [...(byAgent.get(t.agent.name) ?? []), t.id]);
    }
    const agents = [...byAgent];
    const [tools, ...own] = await Promise.all([this.allowed(id), ...agents.map(([, threads]) => this.allowed(id, threads[0]))]);
    return { type: 'session_allowances', tools, sub_agents: agents.map(([agent, threads], i) => ({ agent, threads, tools: own[i] ?? [] })) };
  }

  /** The roster agent a sub-agent thread runs; null for the coordinator (no thread, or the primary thread's id). */
  private async member(session: Session, thread: string | undefined): Promise<SessionThreadAgent | null> {
    if (thread === undefined || thread === primaryThreadId(session.id)) return null;
    const t = (await this.sessions.threads(session.id)).find((x) => x.id === thread);
    if (!t) throw invalid(`Session ${session.id} has no thread ${thread}; list its threads to see valid ids.`);
    // An allowance is kept on a saved agent's tools in the session's snapshot; an inline agent has none to keep it on.
    if (t.agent.type === 'inline') throw invalid(`Thread ${thread} runs the inline agent "${t.agent.name}", which has no "allow for this session": allow or deny each of its calls.`);
    const member = sessionRoster(session.agent).find((m) => m.name === t.agent.name);
    if (!member) throw invalid(`Thread ${thread}'s agent "${t.agent.name}" is not in session ${session.id}'s roster.`);
    return member;
  }

  /**
   * Allows every later call of the tool in this session, and the calls of it that wait for an answer now (they were
   * asked under the old policy; answering them is what the user meant).
   */
  async allow(id: string, tool: ToolRef, thread?: string): Promise<void> {
    const session = await this.sessions.retrieve(id);
    const member = await this.member(session, thread);
    // A tool the agent does not offer (disabled, or an MCP server it has no toolset for) would be allowed in name only.
    if (policyOf((member ?? session.agent).tools, tool) === null) throw invalid(`${toolLabel(tool)} is not a tool ${member ? `sub-agent ${member.name}` : `session ${id}'s agent`} offers (disabled, or no such ${tool.mcp_server_name ? 'MCP toolset' : 'built-in tool'}); there is nothing to allow.`);
    if (!(await this.allowed(id, thread)).some((t) => sameTool(t, tool))) {
      if (member) await this.sessions.updateMemberTools(id, member.name, allowTool(member.tools, tool));
      else await this.sessions.update(id, { agent: { tools: allowTool(session.agent.tools, tool) } });
    }
    const waiting = (await this.waiting(id, member ? thread! : null)).filter((p) => sameTool(p, tool));
    if (waiting.length > 0) await this.sessions.send(id, waiting.map((p) => ({ type: 'user.tool_confirmation' as const, tool_use_id: p.id, result: 'allow' as const })));
  }

  /**
   * "Allow for this session" given to one waiting call (the CLI names the call, not the tool): allows its tool for
   * the agent of the thread that asked (`thread`, when given, must be that thread) and runs the call. Returns what
   * was allowed, for whom.
   */
  async allowCall(id: string, toolUseId: string, thread?: string): Promise<{ tool: ToolRef; thread: string | null }> {
    const state = new HarnessState();
    let owner: string | null = null;
    for (const e of await allEvents(this.sessions, id)) {
      state.apply(e);
      if (e.id === toolUseId) owner = threadOf(e);
    }
    const call = state.blocked().find((p) => p.id === toolUseId);
    if (!call) throw invalid(`Tool call ${toolUseId} does not wait for approval in session ${id}; only a waiting call can be allowed for the session.`);
    if (call.kind === 'custom') throw invalid(`Tool call ${toolUseId} is a custom tool call: it waits for your result (user.custom_tool_result), not an approval.`);
    const session = await this.sessions.retrieve(id);
    const primary = primaryThreadId(session.id);
    if (thread !== undefined && thread !== (owner ?? primary)) throw invalid(`Tool call ${toolUseId} is in thread ${owner ?? primary}, not ${thread}.`);
    const tool: ToolRef = { name: call.name, ...(call.mcpServer ? { mcp_server_name: call.mcpServer } : {}) };
    await this.allow(id, tool, owner ?? undefined);
    return { tool, thread: owner };
  }

  /** Calls of the tool ask again, as the agent's own policy says. */
  async revoke(id: string, tool: ToolRef, thread?: string): Promise<void> {
    if (!(await this.allowed(id, thread)).some((t) => sameTool(t, tool))) throw invalid(`${toolLabel(tool)} is not allowed for ${thread ? `thread ${thread} of ` : ''}session ${id}; there is nothing to revoke.`);
    const session = await this.sessions.retrieve(id);
    const member = await this.member(session, thread);
    if (member) {
      const own = await this.agents.retrieve(member.id, member.version);
      await this.sessions.updateMemberTools(id, member.name, revokeTool(member.tools, own.tools, tool));
      return;
    }
    // The wire changes a session's tools only while it is not running; say what that means for this tool.
    if (session.status === 'running' || session.status === 'rescheduling') {
      throw invalid(`${toolLabel(tool)} stays allowed until the agent stops: a session's tools change only while it is not running. Revoke it once the turn ends, or interrupt the agent first.`);
    }
    const agent = await this.agents.retrieve(session.agent.id, session.agent.version);
    await this.sessions.update(id, { agent: { tools: revokeTool(session.agent.tools, agent.tools, tool) } });
  }

  /** Tool calls of one thread (null: the coordinator's) that wait for the user's confirmation. */
  private async waiting(id: string, thread: string | null): Promise<{ id: string; name: string; mcp_server_name?: string }[]> {
    const state = new HarnessState();
    const own = new Set<string>();
    for (const e of await allEvents(this.sessions, id)) {
      state.apply(e);
      if (threadOf(e) === thread) own.add(e.id);
    }
    return state
      .blocked()
      .filter((p) => p.kind !== 'custom' && own.has(p.id))
      .map((p) => ({ id: p.id, name: p.name, ...(p.mcpServer ? { mcp_server_name: p.mcpServer } : {}) }));
  }
}

function sameTool(a: ToolRef, b: ToolRef): boolean {
  return a.name === b.name && (a.mcp_server_name ?? '') === (b.mcp_server_name ?? '');
}

async function allEvents(sessions: SessionService, id: string): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  for (let page: string | undefined; ; ) {
    const res = await sessions.listEvents(id, { limit: 1000, page });
    out.push(...res.data);
    if (!res.next_page) return out;
    page = res.next_page;
  }
}
