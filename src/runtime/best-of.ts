import { AgentCreateParams, type Agent, type EventParams, type SessionCreateParams, type SessionEvent } from '../wire';
import { BEST_OF_MAX, type BestOfParams, type CompareRow, type TestRun } from '../wire/best-of';
import type { AgentStore } from './agents';
import { invalid } from './errors';
import type { SessionService } from './sessions';
import { allEvents } from './all-events';

// Best-of-N (issue #13 §4): one task started N times at once (the same agent, or a different agent or model per
// attempt), each in a session and sandbox of its own, then compared side by side: what each changed, the tests it ran
// and how they ended, what it cost. Accepting is the review every session already has (apply all, a branch, or hunk
// by hunk from several), so nothing here writes the user's repository.

export { BEST_OF_MAX, type CompareRow, type TestRun };

/** A clear refusal for N outside 1..4 (each attempt is a sandbox and a model conversation running at once). */
export function checkBestOf(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > BEST_OF_MAX) throw invalid(`Best-of takes 1 to ${BEST_OF_MAX} attempts (got ${n}): each one is a sandbox and a model conversation running at the same time.`, 'best_of_out_of_range');
  return n;
}

export interface BestOfRequest {
  n: number;
  /** Agent ids, used in turn (attempt k gets agents[k % length]): one agent, or one per model to compare. */
  agents: readonly string[];
  environment_id: string;
  resources: NonNullable<SessionCreateParams['resources']>;
  /** Vaults each attempt's MCP servers take credentials from (VS Code's, as for any session it starts). */
  vault_ids?: string[];
  title: string;
  /** What each attempt is sent first: the task. */
  first: EventParams;
}

/**
 * The agent that runs an attempt on `model`: the agent itself when it already uses that model, else its copy named
 * "<name> on <model>" (made the first time, brought up to date when the agent's definition has changed since), so
 * one agent can be compared across models and every session still names a stored agent.
 */
export async function agentOnModel(agents: AgentStore, agent: Agent, model: string): Promise<string> {
  if (agent.model.id === model) return agent.id;
  const name = `${agent.name} on ${model}`;
  const definition = { description: agent.description, system: agent.system, tools: agent.tools, mcp_servers: agent.mcp_servers, skills: agent.skills, multiagent: agent.multiagent };
  const params = AgentCreateParams.parse({ name, model, ...definition });
  for (let page: string | undefined; ; ) {
    const res = await agents.list({ limit: 100, page });
    const copy = res.data.find((a) => a.name === name && !a.archived_at);
    if (copy) {
      const same = copy.model.id === model && JSON.stringify(definition) === JSON.stringify({ description: copy.description, system: copy.system, tools: copy.tools, mcp_servers: copy.mcp_servers, skills: copy.skills, multiagent: copy.multiagent });
      return same ? copy.id : (await agents.update(copy.id, { ...params, version: copy.version })).id;
    }
    if (!res.next_page) break;
    page = res.next_page;
  }
  return (await agents.create(params)).id;
}

/** Creates the N sessions, then sends each the task at once; resolves with their ids in attempt order. */
export async function startBestOf(sessions: SessionService, req: BestOfRequest): Promise<string[]> {
  checkBestOf(req.n);
  if (req.agents.length === 0) throw invalid('Best-of needs at least one agent.');
  const ids: string[] = [];
  for (let k = 0; k < req.n; k++) {
    const s = await sessions.create({ agent: req.agents[k % req.agents.length]!, environment_id: req.environment_id, resources: req.resources, ...(req.vault_ids ? { vault_ids: req.vault_ids } : {}), title: `${req.title} (${k + 1}/${req.n})` });
    ids.push(s.id);
  }
  await Promise.all(ids.map((id) => sessions.send(id, [req.first])));
  return ids;
}

/**
 * Best-of as the API and VS Code ask for it (wire/best-of.ts): with `models`, the one agent's copy on each model runs
 * the attempts in turn; the ids of the sessions started, in attempt order.
 */
export async function startBestOfWith(agents: AgentStore, sessions: SessionService, params: BestOfParams): Promise<string[]> {
  const { models, agents: given, ...rest } = params;
  let ids = given;
  if (models) {
    const agent = await agents.retrieve(given[0]!);
    ids = [];
    for (const model of models) ids.push(await agentOnModel(agents, agent, model));
  }
  return startBestOf(sessions, { ...rest, agents: ids });
}

/**
 * Resolves when every session has stopped running (idle for any reason, or terminated). With `approve`, a session that
 * stops to ask about tool calls has them allowed and goes on (the CLI's --yes), instead of counting as stopped.
 */
export async function allSettled(sessions: SessionService, ids: readonly string[], opts: { approve?: boolean; onSettled?: (id: string) => void } = {}): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      let unsubscribe: () => void = () => undefined;
      await new Promise<void>((resolve, reject) => {
        let ran = false;
        void sessions
          .subscribe(id, 0, (e) => {
            if (e.type === 'session.status_running') ran = true;
            if (!ran || (e.type !== 'session.status_idle' && e.type !== 'session.status_terminated')) return;
            if (e.type === 'session.status_idle' && e.stop_reason.type === 'requires_action' && opts.approve) {
              const confirmations = e.stop_reason.event_ids.map((tool_use_id) => ({ type: 'user.tool_confirmation' as const, tool_use_id, result: 'allow' as const }));
              sessions.send(id, confirmations).catch(reject);
              return;
            }
            resolve();
          })
          .then((u) => (unsubscribe = u), reject);
      });
      unsubscribe();
      opts.onSettled?.(id);
    }),
  );
}

// Commands that run a test suite: the runner's name as a word of the command.
const TEST_COMMAND = /\b(npm (run )?test|yarn test|pnpm test|npx (mocha|jest|vitest)|mocha|jest|vitest|pytest|go test|cargo test|make (test|check)|gradle test|mvn test|rspec|phpunit|ctest|tox)\b/;

/** The test commands the agent ran through bash, each passed when its result was not an error and had no non-zero exit code. */
export function testRuns(events: readonly SessionEvent[]): TestRun[] {
  const calls = new Map<string, string>();
  const runs: TestRun[] = [];
  for (const e of events) {
    if (e.type === 'agent.tool_use' && e.name === 'bash' && typeof e.input.command === 'string' && TEST_COMMAND.test(e.input.command)) calls.set(e.id, e.input.command);
    if (e.type === 'agent.tool_result' && calls.has(e.tool_use_id)) {
      const text = (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('\n');
      runs.push({ command: calls.get(e.tool_use_id)!, passed: e.is_error !== true && !/\[exit code [1-9]\d*\]\s*$/.test(text) });
    }
  }
  return runs;
}

/** One row per session: its changes, test runs and spend, for the CLI's table and VS Code's compare view. */
export async function compareRows(sessions: SessionService, ids: readonly string[]): Promise<CompareRow[]> {
  return Promise.all(
    ids.map(async (id) => {
      const record = await sessions.record(id);
      const [summary, changes, events] = await Promise.all([sessions.summary(record), sessions.changes(id), allEvents(sessions, id)]);
      const u = summary.usage;
      return {
        id,
        title: record.title,
        model: record.agent.model.id,
        status: summary.status,
        stop: summary.stopReason?.type ?? null,
        files: changes.files.length,
        additions: changes.files.reduce((n, f) => n + f.additions, 0),
        deletions: changes.files.reduce((n, f) => n + f.deletions, 0),
        tests: testRuns(events),
        costCents: summary.costCents,
        costEstimated: summary.costEstimated,
        tokens: u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation.ephemeral_5m_input_tokens,
        patch: changes.patch,
      };
    }),
  );
}
