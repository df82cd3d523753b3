import type { EventParams, InlineAgent, InlineAgentParams, NewEvent, SessionAgent, SessionEvent, SessionThreadAgent, UserContentBlock } from '../../wire';
import { inlineAgentsEnabled, inlineThreadAgent, newId, sessionRoster } from '../../wire';
import type { ToolOutcome } from '../../wire/tool-outcome';
import { InvalidEventError, validateDelivery } from '../delivery';
import type { HarnessLog, SessionDriver } from '../driver';
import { HarnessState } from '../state';
import type { ToolRouter } from '../tools';
import { errorOutcome, textBlock } from '../tools';
import { resultEvent } from '../turn';
import type { Delegator, SendToAgentInput } from './delegation';
import { ThreadView, threadOf, type ThreadInfo } from './view';
import { receivedEvent } from './message';
import { rosterLines, threadNote } from './note';
import { delegationRepair } from './repair';
import { describeThread, isQuiet, type Thread } from './thread';
import { userEventTargets } from './routing';
import { SessionStatus } from './session-status';
import { pendingAnswer } from './pending-answer';
import { inlineAgent, rosterAgent, type ChoiceContext } from './agent-choice';

// Runs a multi-agent session: the coordinator in the primary thread and each sub-agent in a thread of its own, every
// thread an unchanged SessionDriver over its ThreadView of the one log, all running concurrently and sharing the
// session's sandbox. The supervisor routes user events to the thread they are for (routing.ts), delivers messages
// between threads (a task to a sub-agent, its answer back to the coordinator: pending-answer.ts), and derives the
// session's own status from the threads' (session-status.ts). Like the driver it decides from the log only, so wake()
// after a crash continues every thread.

export const DEFAULT_MAX_THREADS = 25;

export interface SupervisorOptions {
  log: HarnessLog;
  agent: SessionAgent;
  primaryThreadId: string;
  /** The session's environment note; each thread's system prompt adds who it is and whom it works with. */
  environmentNote: string;
  /**
   * A thread's tools: the coordinator's get the delegation tools through `delegator`; a sub-agent's run bash in a
   * shell of its own named `shell` (its thread id), so threads' commands run side by side in the one sandbox.
   */
  router(agent: SessionAgent, delegator: Delegator | null, shell: string | null): ToolRouter;
  driver(thread: { view: ThreadView; agent: SessionAgent; tools: ToolRouter; environmentNote: string }): SessionDriver;
  /** Sub-agent threads a session may have (not counting archived ones). */
  maxThreads?: number;
  /**
   * Resolves an inline agent the coordinator's model defines against the coordinator (src/runtime/inline-agents.ts);
   * throws, saying why, for a definition it refuses. Without it the coordinator cannot define agents.
   */
  defineInline?: (params: InlineAgentParams, coordinator: SessionAgent) => InlineAgent;
}

export class ThreadSupervisor implements Delegator {
  private readonly threads = new Map<string, Thread>();
  private readonly primary: Thread;
  private members: SessionThreadAgent[];
  private readonly status = new SessionStatus();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private built: Promise<void> | null = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.members = sessionRoster(opts.agent);
    this.primary = this.addThread({ id: opts.primaryThreadId, agentName: opts.agent.name, model: opts.agent.model.id, primary: true }, opts.agent);
    for (const e of opts.log.events()) {
      if (e.type === 'session.thread_created' && !this.threads.has(e.session_thread_id)) this.addThreadFor(e.session_thread_id, e.agent_name, e._hangar?.inline_agent);
      this.observe(e);
    }
  }

  // ---- lifecycle (what SessionHost calls) ----

  /** Completes delegations a crash cut short, builds every thread's driver and resumes them all. */
  async recover(): Promise<void> {
    await this.build();
    for (const t of this.threads.values()) await t.driver!.recover();
    for (const t of this.threads.values()) if (!t.info.primary) this.schedule(() => this.ensureAnswered(t));
    this.schedule(() => this.evaluate());
    await this.chain;
  }

  /** Routes user events to their threads (all validated before any is logged) and returns the echoes in order. */
  async deliver(params: EventParams[]): Promise<SessionEvent[]> {
    await this.build();
    const groups: { thread: Thread; params: EventParams[] }[] = [];
    for (const p of params) {
      for (const thread of userEventTargets(p, this.threads, this.primary)) {
        const last = groups[groups.length - 1];
        if (last && last.thread === thread) last.params.push(p);
        else groups.push({ thread, params: [p] });
      }
    }
    for (const g of groups) validateDelivery(g.thread.state, g.params);
    const echoes: SessionEvent[] = [];
    for (const g of groups) {
      const out = await g.thread.driver!.deliver(g.params);
      // An interrupt of every thread answers with the primary thread's echo.
      if (g.thread.info.primary || !g.params.every((p) => p.type === 'user.interrupt' && !p.session_thread_id)) echoes.push(...out);
    }
    return echoes;
  }

  /** Each thread's fold, archived ones included: a rewind waits until every live thread has settled. */
  threadStates(): HarnessState[] {
    return [...this.threads.values()].map((t) => t.state);
  }

  /** Runs every thread's loop again: work held for the budget goes on once it was raised. */
  kick(): void {
    for (const t of this.threads.values()) t.driver?.kick();
  }

  async settled(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await Promise.all([...this.threads.values()].map((t) => t.driver?.settled()));
      await chain;
      if (chain === this.chain && ![...this.threads.values()].some((t) => t.answering)) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.threads.values()].map((t) => t.driver?.close()));
    await this.chain;
  }

  /** Every thread's driver, once, from the log as repaired (the host may deliver its inbox before recover()). */
  private build(): Promise<void> {
    this.built ??= this.repairDelegations().then(() => {
      for (const t of this.threads.values()) t.driver ??= this.makeDriver(t);
    });
    return this.built;
  }

  /**
   * Archives a sub-agent thread (reference §2.6): only when it is idle, a wait for the user counting as idle (those
   * calls are answered as not run). It takes no more messages; its history stays.
   */
  async archiveThread(id: string): Promise<void> {
    await this.build();
    const t = this.threads.get(id);
    if (!t || t.info.primary) throw new InvalidEventError(`Thread ${id} is not a sub-agent thread of this session.`);
    if (t.state.status === 'terminated') return;
    if (!isQuiet(t)) throw new InvalidEventError(`Thread ${id} is running; interrupt it (user.interrupt with its session_thread_id) and archive it once it is idle.`);
    const answered = t.state.blocked().map((p) => resultEvent(p.kind, p.id, 'The thread was archived before this call was answered, so it did not run.', true));
    await t.view.append([...answered, { type: 'session.status_terminated' }]);
    await t.tools?.closeShell();
    this.schedule(() => this.evaluate());
    await this.chain;
  }

  /**
   * The session's roster agents changed in its snapshot (a sub-agent's "Allow for this session"): each sub-thread
   * follows its agent's new tools from its next call, while every thread goes on running.
   */
  retool(agent: SessionAgent): void {
    this.members = sessionRoster(agent);
    for (const t of this.threads.values()) {
      const member = t.info.primary ? undefined : this.members.find((m) => m.name === t.info.agentName);
      if (!member) continue;
      t.agent = { ...member, multiagent: null };
      t.tools?.retool(t.agent);
    }
  }

  // ---- Delegator (the coordinator's tools) ----

  roster(): readonly string[] {
    return this.members.map((m) => m.name);
  }

  inlineAgents(): boolean {
    return this.opts.defineInline !== undefined && inlineAgentsEnabled(this.opts.agent);
  }

  list(): ToolOutcome {
    const agents = [...rosterLines(this.members), ...(this.inlineAgents() ? ['- (any agent you define with inline_agent)'] : [])];
    const threads = [...this.threads.values()].filter((t) => !t.info.primary).map((t) => `- ${t.info.id} (${t.info.agentName}): ${describeThread(t)}`);
    return { content: [textBlock(`Agents:\n${agents.join('\n')}\n\nThreads:\n${threads.length > 0 ? threads.join('\n') : '(none yet)'}`)], is_error: false };
  }

  async send(toolUseId: string, input: SendToAgentInput): Promise<ToolOutcome> {
    const content: UserContentBlock[] = [{ type: 'text', text: input.message }];
    if (input.agent !== undefined || input.inline_agent !== undefined) {
      const started = input.agent !== undefined ? rosterAgent(input.agent, this.choice()) : inlineAgent(input.inline_agent!, this.choice());
      if ('error' in started) return errorOutcome(started.error);
      const live = [...this.threads.values()].filter((t) => !t.info.primary && t.state.status !== 'terminated').length;
      const max = this.opts.maxThreads ?? DEFAULT_MAX_THREADS;
      if (live >= max) return errorOutcome(`thread_limit_error: this session already has ${live} thread${live === 1 ? '' : 's'}, the most it may have. Send a follow-up to one of them (send_to_agent with session_thread_id) instead.`);
      const { agent, inline } = started;
      const id = newId('sthr');
      const thread = this.addThread({ id, agentName: agent.name, model: agent.model.id, primary: false }, agent);
      await this.appendRaw([
        { type: 'session.thread_created', session_thread_id: id, agent_name: agent.name, workflow_run_id: null, _hangar: { delegation: toolUseId, ...(inline ? { inline_agent: inline } : {}) } },
        { type: 'agent.thread_message_sent', to_session_thread_id: id, to_agent_name: agent.name, content, _hangar: { delegation: toolUseId } },
        receivedEvent(this.primary.info, thread.info, content, { delegation: toolUseId }),
      ]);
      if (!this.closed) {
        thread.driver = this.makeDriver(thread);
        thread.driver.kick();
      }
      return { content: [textBlock(`Started thread ${id}: agent "${agent.name}" is working on it. Its answer will arrive as a message from it; meanwhile you can start other agents, or end your turn to wait.`)], is_error: false };
    }
    const thread = this.threads.get(input.session_thread_id ?? '');
    if (!thread || thread.info.primary) return errorOutcome(`There is no thread ${input.session_thread_id} you started; list_agents shows your threads.`);
    if (thread.state.status === 'terminated') return errorOutcome(`Thread ${thread.info.id} is archived and takes no more messages; start a new thread with send_to_agent and agent "${thread.info.agentName}".`);
    await this.appendRaw([{ type: 'agent.thread_message_sent', to_session_thread_id: thread.info.id, to_agent_name: thread.info.agentName, content, _hangar: { delegation: toolUseId } }]);
    await thread.driver!.receive([receivedEvent(this.primary.info, thread.info, content, { delegation: toolUseId })]);
    return { content: [textBlock(`Sent to thread ${thread.info.id} (agent "${thread.info.agentName}"). Its answer will arrive as a message from it.`)], is_error: false };
  }

  // ---- threads ----

  private choice(): ChoiceContext {
    const { opts } = this;
    return { members: this.members, inlineAllowed: this.inlineAgents(), coordinatorName: this.primary.info.agentName, coordinator: this.primary.agent, session: opts.agent, defineInline: opts.defineInline };
  }

  private addThreadFor(id: string, agentName: string, inline: InlineAgent | undefined): Thread {
    if (inline) return this.addThread({ id, agentName, model: inline.model.id, primary: false }, inlineThreadAgent(inline, this.opts.agent));
    const member = this.members.find((m) => m.name === agentName);
    // A roster is frozen in the session's snapshot, so a thread's agent is always found; a record edited by hand
    // falls back to the coordinator's own definition rather than losing the thread.
    const agent: SessionAgent = member ? { ...member, multiagent: null } : { ...this.opts.agent, multiagent: null };
    return this.addThread({ id, agentName, model: agent.model.id, primary: false }, agent);
  }

  private addThread(info: ThreadInfo, agent: SessionAgent): Thread {
    const view = new ThreadView(this.opts.log, info, { before: (_t, events) => this.status.before(events), after: (_t, logged) => logged.forEach((e) => this.observe(e)) });
    const thread: Thread = { info, view, agent, state: new HarnessState(), driver: null, tools: null, answering: false };
    this.threads.set(info.id, thread);
    return thread;
  }

  private makeDriver(t: Thread): SessionDriver {
    const tools = this.opts.router(t.agent, t.info.primary && (this.members.length > 0 || this.inlineAgents()) ? this : null, t.info.primary ? null : t.info.id);
    t.tools = tools;
    return this.opts.driver({ view: t.view, agent: t.agent, tools, environmentNote: `${this.opts.environmentNote}\n\n${threadNote(t.info, this.members, this.primary.info, this.inlineAgents())}` });
  }

  // ---- following the log ----

  private observe(e: SessionEvent): void {
    if (this.status.observe(e)) {
      if (e.type === 'session.status_terminated') for (const t of this.threads.values()) t.state.apply(e);
      return;
    }
    const id = threadOf(e) ?? this.primary.info.id;
    const t = this.threads.get(id);
    const shown = t?.view.show(e);
    if (!t || !shown) return;
    t.state.apply(shown);
    if (!t.info.primary && shown.type === 'session.status_idle' && shown.stop_reason.type !== 'requires_action') {
      t.answering = true;
      this.schedule(() => this.ensureAnswered(t));
    }
    this.schedule(() => this.evaluate());
  }

  private schedule(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch(() => undefined);
  }

  private async appendRaw(events: NewEvent[]): Promise<void> {
    for (const e of await this.opts.log.append(events)) this.observe(e);
  }

  /**
   * Sends a sub-agent's answer to the coordinator once its turn ended (its last message, or what stopped it). An
   * interrupt of the whole session sends nothing: the coordinator was stopped too. Idempotent per task, so a wake()
   * after a crash completes a half-posted answer and never posts one twice.
   */
  private async ensureAnswered(t: Thread): Promise<void> {
    try {
      const answer = pendingAnswer(t, this.opts.log.events());
      if (!answer) return;
      const { content, inputId } = answer;
      if (!answer.sent) {
        await this.appendRaw([{ type: 'agent.thread_message_sent', to_session_thread_id: this.primary.info.id, to_agent_name: this.primary.info.agentName, content, _hangar: { thread: t.info.id, answers: inputId } }]);
      }
      if (!answer.received && !this.closed && this.primary.driver) await this.primary.driver.receive([receivedEvent(t.info, this.primary.info, content, { answers: inputId })]);
    } finally {
      t.answering = false;
    }
  }

  /** The session's status from its threads': idle (with why) only when no thread has work left. */
  private async evaluate(): Promise<void> {
    if (this.closed) return;
    const idle = this.status.idleNow([...this.threads.values()], this.primary);
    if (idle) await this.appendRaw([idle]);
  }

  /**
   * Completes the send_to_agent calls a crash cut short (repair.ts). Runs before any driver exists, so every driver
   * starts from the repaired log.
   */
  private async repairDelegations(): Promise<void> {
    for (const use of [...this.primary.state.pending.values()]) {
      if (use.name !== 'send_to_agent' || use.permission !== 'allow') continue;
      await this.appendRaw(delegationRepair(use, this.opts.log.events(), this.primary.info, (id) => this.threads.get(id)?.info));
    }
  }
}
