import type { ModelCatalog, SessionAgent, SessionEvent, StreamPreview } from '../wire';
import { delegates } from '../wire';
import type { SessionLog } from '../log';
import { SessionDriver } from '../harness/driver';
import { ToolRouter, type HostTools, type McpTools } from '../harness/tools';
import { ThreadSupervisor } from '../harness/threads/supervisor';
import { CoordinatorRouter } from '../harness/threads/delegation';
import type { RetryPolicy } from '../harness/retry';
import type { ModelClient } from '../model/types';
import type { Sandbox } from '../sandbox/types';
import type { ToolOutcome } from '../wire/tool-outcome';
import { primaryThreadId } from './threads';
import type { ThreadMcp } from './thread-mcp';
import type { SessionRecord } from './session-record';
import { harnessLog } from './harness-log';
import { defineInlineAgent } from './inline-agents';
import { BudgetMeter } from './session-budget';
import { sessionPricing } from './session-pricing';
import { outcomeEvidence } from './outcome-evidence';
import { SessionCheckpoints } from './checkpoints';
import { forkSourceGitDir } from './session-fork';

// What drives one session the host holds: a single SessionDriver, or, for an agent that delegates (a roster, or inline
// agents), a ThreadSupervisor
// with a driver per thread (src/harness/threads), each wired to the session's model, tools, sandbox and previews.

/** The host's options that shape how a session's turns run. */
export interface RunnerOptions {
  model: ModelClient;
  retry?: RetryPolicy;
  maxTokens?: number;
  maxRequestsPerTurn?: number;
  /** The runtime's model catalogue (user overrides included): limits, thinking and effort of every request. */
  catalog: ModelCatalog;
  /** The host-side tools (web_fetch, web_search) of one agent of a session. */
  hostTools?: (record: SessionRecord, agent: Pick<SessionAgent, 'tools' | 'model'>) => HostTools | null;
  /** Runs over every tool outcome before it becomes an event (the vault scrubber). */
  redact?: (outcome: ToolOutcome) => ToolOutcome | Promise<ToolOutcome>;
  /** Scrubs a running command's live output before it is previewed (without it, no tool output is previewed). */
  scrubPreview?: (text: string, cut: boolean) => Promise<string>;
  environmentNote: (record: SessionRecord) => string;
  /** Sub-agent threads a multi-agent session may have (default 25). */
  maxThreads?: number;
}

/** What drives a session: one SessionDriver, or a ThreadSupervisor over one driver per thread. */
export type SessionRunner = Pick<SessionDriver, 'deliver' | 'recover' | 'settled' | 'close' | 'kick'> & {
  archiveThread?(id: string): Promise<void>;
  retool?(agent: SessionAgent): void;
  /** Checkpoints and rewind (checkpoints.ts), of the one sandbox every thread of the session shares. */
  checkpoints: SessionCheckpoints;
};

/** What the host opened for the session: its log (as writer), sandbox, MCP connections and preview listeners. */
export interface RunnerParts {
  log: SessionLog<SessionEvent>;
  sandbox: () => Promise<Sandbox>;
  mcp: McpTools | null;
  /** The sub-agent threads' own MCP connections. */
  threadMcp: ThreadMcp;
  /** Preview listeners of one thread (null: the primary thread). */
  previewTo: (thread: string | null) => (p: StreamPreview) => void;
  /** The session's directory (a fork's names where its copied checkpoints are stored). */
  dir: string;
}

export function sessionRunner(record: SessionRecord, opts: RunnerOptions, { log, sandbox, mcp, threadMcp, previewTo, dir }: RunnerParts): SessionRunner {
  const host = (agent: Pick<SessionAgent, 'tools' | 'model'>) => opts.hostTools?.(record, agent) ?? null;
  // One meter for every thread: the budget caps the session's spend, sub-agents' included.
  const budget = new BudgetMeter(record.budget, () => log.events(), sessionPricing(opts.catalog, record.agent.model.id));
  let provisioned: Sandbox | null = null;
  const tracked = () => sandbox().then((s) => (provisioned = s));
  const forkSource = () => forkSourceGitDir(dir);
  const shared = {
    model: opts.model,
    retry: opts.retry,
    maxTokens: opts.maxTokens,
    maxRequestsPerTurn: opts.maxRequestsPerTurn,
    catalog: opts.catalog,
    scrubPreview: opts.scrubPreview,
    // Brain before hands: provisioning starts with the first work and is awaited only by a tool call.
    onWorkStarted: () => void tracked().catch(() => undefined),
    budgetSpent: () => budget.reached().length > 0,
  };
  if (!delegates(record.agent)) {
    const checkpoints = new SessionCheckpoints(record.id, harnessLog(log), tracked, () => provisioned, { forkSource });
    const driver = new SessionDriver({
      ...shared,
      log: checkpoints,
      agent: record.agent,
      tools: new ToolRouter(record.agent, () => checkpoints.gated(), mcp, opts.redact, undefined, host(record.agent)),
      environmentNote: opts.environmentNote(record),
      onPreview: previewTo(null),
      outcomeEvidence: outcomeEvidence(tracked, opts.redact),
    });
    return withCheckpoints(driver, checkpoints);
  }
  // The threads share the sandbox, so one SessionCheckpoints under every thread's view records it after any thread's
  // call that changed files, and a rewind waits until every thread has settled.
  const checkpoints: SessionCheckpoints = new SessionCheckpoints(record.id, harnessLog(log), tracked, () => provisioned, { forkSource, threadStates: () => supervisor.threadStates() });
  const gated = () => checkpoints.gated();
  const supervisor = new ThreadSupervisor({
    log: checkpoints,
    agent: record.agent,
    primaryThreadId: primaryThreadId(record.id),
    environmentNote: opts.environmentNote(record),
    maxThreads: opts.maxThreads,
    defineInline: (params, coordinator) => defineInlineAgent(params, coordinator, opts.catalog),
    router: (agent, delegator, shell) =>
      delegator
        ? new CoordinatorRouter(agent, gated, mcp, opts.redact, delegator, host(agent))
        : new ToolRouter(agent, gated, shell ? threadMcp.for(agent, shell) : mcp, opts.redact, shell ?? undefined, host(agent)),
    // Previews are thread-scoped: the session's stream shows the primary thread's, a thread's stream its own.
    driver: (t) => new SessionDriver({ ...shared, log: t.view, agent: t.agent, tools: t.tools, environmentNote: t.environmentNote, onPreview: previewTo(t.view.thread.primary ? null : t.view.thread.id) }),
  });
  return withCheckpoints(supervisor, checkpoints);
}

/** The runner with its checkpoints: a rewind a killed process left half done is finished before the session goes on. */
function withCheckpoints(runner: SessionDriver | ThreadSupervisor, checkpoints: SessionCheckpoints): SessionRunner {
  return {
    deliver: (params) => runner.deliver(params),
    recover: async () => {
      await checkpoints.repair();
      await runner.recover();
    },
    settled: () => runner.settled(),
    close: () => runner.close(),
    kick: () => runner.kick(),
    ...(runner instanceof ThreadSupervisor ? { archiveThread: (id: string) => runner.archiveThread(id), retool: (agent: SessionAgent) => runner.retool(agent) } : {}),
    checkpoints,
  };
}
