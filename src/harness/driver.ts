import type { EventParams, NewEvent, SessionAgent, SessionEvent, StreamPreview } from '../wire';
import type { ModelClient } from '../model/types';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';
import { HarnessState, type PendingToolUse } from './state';
import type { ToolRouter } from './tools';
import { ABORT_CLOSE, ABORT_INTERRUPT, modelTurn, resultEvent } from './turn';
import { validateDelivery } from './delivery';
import { DEFAULT_CATALOG, DEFAULT_MAX_ITERATIONS, type ModelCatalog } from '../wire';
import type { ContextInput } from './context';
import { buildRequest } from './context';
import { requestSettings, type Fallbacks, type RequestSettings } from './model-settings';
import { compact, needsCompaction } from './compact-turn';
import { SandboxDamagedError } from '../sandbox/errors';
import { toolPreviewer, type ScrubWindow } from './tool-preview';
import { evaluateOutcome, interruptedOutcome, type OutcomeDeps } from './outcome-turn';
import { InvalidEventError } from './delivery';
import { newId } from '../wire';
import { conversationEvents } from './rewind';

// The stateless loop for one session (ARCHITECTURE.md invariant 2): everything it decides comes from the log, so any
// process can construct a driver from the log, call recover() and go on where the last one stopped.

export interface HarnessLog {
  events(): readonly SessionEvent[];
  append(events: NewEvent[]): Promise<SessionEvent[]>;
}

export interface DriverOptions {
  log: HarnessLog;
  agent: SessionAgent;
  model: ModelClient;
  tools: ToolRouter;
  retry?: RetryPolicy;
  maxTokens?: number;
  maxRequestsPerTurn?: number;
  /** Context window, output limit, thinking and effort per model (with the user's overrides). */
  catalog?: ModelCatalog;
  /** Appended to the agent's system prompt: where the agent works and how. */
  environmentNote: string;
  onPreview?: (p: StreamPreview) => void;
  /**
   * Scrubs a running command's live output before it becomes a preview (the vault scrubber, as for results). Without
   * it no tool output is previewed: nothing unscrubbed leaves.
   */
  scrubPreview?: ScrubWindow;
  /** Called when work starts, so the sandbox is provisioned in parallel with the first model request. */
  onWorkStarted?: () => void;
  /** True when the session's budget is spent: no model request starts until it is raised (then kick()). */
  budgetSpent?: () => boolean;
  /**
   * What an outcome's grader sees (the session's changes, the check commands run in the sandbox). Without it the
   * driver cannot grade, and refuses user.define_outcome.
   */
  outcomeEvidence?: OutcomeDeps['evidence'];
}

const INTERRUPTED_BY_USER = 'Tool execution was interrupted before completion. Please retry.';
const INTERRUPTED_BY_RESTART =
  'The run was interrupted (the Hangar process stopped) while this tool call was in flight; its effects may or may not have happened. Check the state before you retry.';
const SANDBOX_DAMAGED_NOT_RUN = 'This call did not run: the sandbox is damaged, so the turn ended.';
const CUT_OFF = 'The model response that asked for this call was cut off, so the call was not run.';
const SEARCH_CUT_OFF =
  "The web search was cut off: the Hangar process stopped while the model's provider ran it, so its results were lost. Search again if you still need them.";

/** The grader answers with a verdict and an explanation: it needs no more room than this. */
const GRADER_MAX_TOKENS = 8192;

/** A define_outcome's echo: its outcome_id, and the iterations it gets (the default filled in). */
function definedOutcome(p: Extract<EventParams, { type: 'user.define_outcome' }>): NewEvent {
  return { ...p, outcome_id: newId('outc'), max_iterations: p.max_iterations ?? DEFAULT_MAX_ITERATIONS };
}

export class SessionDriver {
  private readonly state = new HarnessState();
  private running: Promise<void> | null = null;
  private again = false;
  private work: AbortController | null = null;
  private interruptRequested = false;
  private closed = false;
  private readonly fallbacks: Fallbacks = { thinking: false, effort: false };

  constructor(private readonly opts: DriverOptions) {
    for (const e of opts.log.events()) this.state.apply(e);
  }

  get status() {
    return this.state.status;
  }

  /** Repairs what a crash left behind (open model span, tool calls without a result), then resumes. */
  async recover(): Promise<void> {
    const out: NewEvent[] = [];
    const open = this.state.openSpan;
    if (open) {
      out.push({ type: 'span.model_request_end', model_request_start_id: open.id, is_error: true, model_usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } });
    }
    for (const p of this.state.pending.values()) {
      if (open && p.spanId === open.id) out.push(resultEvent(p.kind, p.id, CUT_OFF, true));
      else if (p.kind !== 'custom' && (p.permission === 'allow' || p.confirmation?.result === 'allow')) out.push(resultEvent(p.kind, p.id, INTERRUPTED_BY_RESTART, true));
    }
    // The provider's search ran inside the reply the crash cut off: its result ends the call on every surface. It
    // carries no block, so the next request replays nothing of it (the cut-off reply is dropped as failed).
    for (const id of this.state.unansweredServerTools) {
      out.push({ type: 'agent.tool_result', tool_use_id: id, content: [{ type: 'text', text: SEARCH_CUT_OFF }], is_error: true, _hangar: { blocks: [], server_tool: true } });
    }
    if (out.length > 0) await this.append(out);
    this.kick();
  }

  /**
   * Validates and appends user events (the echo), then lets the loop act on them. One delivery at a time, each checked
   * against the state the previous one left: two clients answering the same prompt at once (two windows on one
   * runtime) get one acceptance and one "already answered", never two answers in the log.
   */
  deliver(params: EventParams[]): Promise<SessionEvent[]> {
    const next = this.deliveries.then(() => this.deliverNow(params));
    this.deliveries = next.catch(() => undefined);
    return next;
  }

  private deliveries: Promise<unknown> = Promise.resolve();

  private async deliverNow(params: EventParams[]): Promise<SessionEvent[]> {
    validateDelivery(this.state, params);
    if (!this.opts.outcomeEvidence && params.some((p) => p.type === 'user.define_outcome')) throw new InvalidEventError('This session cannot grade outcomes (user.define_outcome); send the task as a user.message.');
    // A message sent while a turn runs (or waits for a confirmation) is queued: it reaches the model with the next
    // request, and its processed_at stays null until then (readers derive it; see ARCHITECTURE.md, "One turn").
    const queued = this.running !== null || this.state.pending.size > 0;
    const echoes = await this.append(params.map((p) => (queued && p.type === 'user.message' ? { ...p, processed_at: null } : p.type === 'user.define_outcome' ? definedOutcome(p) : { ...p }) as NewEvent));
    if (params.some((p) => p.type === 'user.interrupt')) {
      this.interruptRequested = true;
      this.work?.abort(ABORT_INTERRUPT);
    }
    this.kick();
    return echoes;
  }

  /** Appends what another thread of the session sent this one (its task, a sub-agent's answer), then acts on it. */
  async receive(events: NewEvent[]): Promise<SessionEvent[]> {
    const appended = await this.append(events);
    this.kick();
    return appended;
  }

  /** Runs the loop (again): after new events, and for work that was held (a raised budget). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when the loop has nothing left to do (idle, blocked or terminated). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.work?.abort(ABORT_CLOSE);
    await this.settled();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      while (!this.closed && (await this.step()));
    } while (this.again && !this.closed);
  }

  private async append(events: NewEvent[]): Promise<SessionEvent[]> {
    const appended = await this.opts.log.append(events);
    for (const e of appended) this.state.apply(e);
    return appended;
  }

  private runningEvents(): NewEvent[] {
    return this.state.status === 'running' ? [] : [{ type: 'session.status_running' }];
  }

  /** Does one unit of work; false when there is nothing to do until new events arrive. */
  private async step(): Promise<boolean> {
    const s = this.state;
    if (s.status === 'terminated') return false;
    if (this.interruptRequested) {
      await this.finishInterrupt();
      return true;
    }
    const next = s.pending.values().next().value as PendingToolUse | undefined;
    if (next?.confirmation?.result === 'deny') {
      const reason = next.confirmation.message ? `: ${next.confirmation.message}` : '.';
      // Same order as an allowed call: running, then the result (issue #18 §2: one order for both answers).
      await this.append([...this.runningEvents(), resultEvent(next.kind, next.id, `The user denied this ${next.name} call${reason}`, true)]);
      return true;
    }
    if (next && next.kind !== 'custom' && (next.permission === 'allow' || next.confirmation?.result === 'allow')) {
      await this.runTool(next);
      return true;
    }
    const blocked = s.blocked();
    if (blocked.length > 0) {
      const ids = blocked.map((p) => p.id);
      const last = s.lastStopReason;
      const already = s.status === 'idle' && last?.type === 'requires_action' && last.event_ids.join() === ids.join();
      if (!already) await this.append([{ type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: ids } }]);
      return false;
    }
    if (s.needsModel) {
      // Checked between steps, never inside one: the calls of the last reply have run, and the turn waits for more budget.
      if (this.opts.budgetSpent?.()) {
        if (!(s.status === 'idle' && s.lastStopReason?.type === 'budget_reached')) await this.append([{ type: 'session.status_idle', stop_reason: { type: 'budget_reached' } }]);
        return false;
      }
      if (s.requestsThisTurn >= (this.opts.maxRequestsPerTurn ?? 200)) {
        await this.append([
          { type: 'session.error', error: { type: 'tool_use_limit_reached_error', message: `The agent made ${s.requestsThisTurn} model requests in one turn and was stopped. Send a message to continue.`, retry_status: { type: 'exhausted' } } },
          { type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } },
        ]);
        return false;
      }
      this.opts.onWorkStarted?.();
      const ctl = (this.work = new AbortController());
      await this.opts.tools.ready(ctl.signal);
      if (await this.compactIfNeeded(ctl.signal)) {
        this.work = null;
        return true;
      }
      await modelTurn(
        {
          events: () => this.conversation(),
          append: async (events) => void (await this.append(events)),
          runningEvents: () => this.runningEvents(),
          model: this.opts.model,
          tools: this.opts.tools,
          retry: this.opts.retry ?? DEFAULT_RETRY,
          context: () => this.contextInput(),
          settings: () => this.settings(),
          fallBack: (kind) => (this.fallbacks[kind] = true),
          onPreview: this.opts.onPreview,
        },
        ctl.signal,
      );
      this.work = null;
      return true;
    }
    // The agent's turn ended normally (or grading was held for the budget, or cut short by a crash): grade the work.
    const outcome = s.outcome.active;
    if (outcome && this.opts.outcomeEvidence && (s.status !== 'idle' || s.lastStopReason?.type === 'budget_reached')) {
      if (this.opts.budgetSpent?.()) {
        if (!(s.status === 'idle' && s.lastStopReason?.type === 'budget_reached')) await this.append([{ type: 'session.status_idle', stop_reason: { type: 'budget_reached' } }]);
        return false;
      }
      const ctl = (this.work = new AbortController());
      const settings = this.settings();
      await evaluateOutcome(
        {
          append: async (events) => void (await this.append(events)),
          runningEvents: () => this.runningEvents(),
          model: this.opts.model,
          modelId: this.opts.agent.model.id,
          maxTokens: Math.min(settings.maxTokens, GRADER_MAX_TOKENS),
          forceTool: (this.opts.catalog ?? DEFAULT_CATALOG).lookup(this.opts.agent.model.id).thinking !== 'adaptive_always',
          retry: this.opts.retry ?? DEFAULT_RETRY,
          evidence: this.opts.outcomeEvidence,
        },
        outcome,
        ctl.signal,
      );
      this.work = null;
      return true;
    }
    if (s.status !== 'idle') await this.append([{ type: 'session.status_idle', stop_reason: { type: 'end_turn' } }]);
    return false;
  }

  /** What the model's context is made of: the log with its rewinds applied (rewind.ts). */
  private conversation(): readonly SessionEvent[] {
    return conversationEvents(this.opts.log.events());
  }

  private contextInput(): ContextInput {
    return {
      model: this.opts.agent.model.id,
      maxTokens: this.settings().maxTokens,
      system: [this.opts.agent.system, this.opts.environmentNote].filter(Boolean).join('\n\n'),
      tools: this.opts.tools.definitions(),
    };
  }

  private settings(): RequestSettings {
    const spec = (this.opts.catalog ?? DEFAULT_CATALOG).lookup(this.opts.agent.model.id);
    return requestSettings(this.opts.agent.model, spec, this.opts.maxTokens, this.fallbacks);
  }

  /** Summarises the context first when the next request would near the window (or the last one ran out of it). */
  private async compactIfNeeded(signal: AbortSignal): Promise<boolean> {
    const spec = (this.opts.catalog ?? DEFAULT_CATALOG).lookup(this.opts.agent.model.id);
    const events = this.conversation();
    const settings = this.settings();
    const request = () => buildRequest(events, { ...this.contextInput(), ...settings });
    if (!needsCompaction(events, request, settings.maxTokens, spec, this.state.mustCompact)) return false;
    return compact(
      { events: () => this.conversation(), append: async (ev) => void (await this.append(ev)), runningEvents: () => this.runningEvents(), model: this.opts.model },
      spec,
      this.opts.agent.model.id,
      settings.maxTokens,
      signal,
    );
  }

  private async runTool(p: PendingToolUse): Promise<void> {
    const running = this.runningEvents();
    if (running.length > 0) await this.append(running);
    this.opts.onWorkStarted?.();
    const ctl = (this.work = new AbortController());
    const { onPreview, scrubPreview } = this.opts;
    const preview = onPreview && scrubPreview ? toolPreviewer(p.id, scrubPreview, onPreview) : null;
    try {
      const outcome = await this.opts.tools.execute(p, ctl.signal, preview ? (s) => preview.push(s) : undefined, this.opts.log.events());
      // Before the result is appended: no preview may follow the result that replaces it.
      preview?.end();
      if (ctl.signal.aborted && this.interruptRequested) await this.append([resultEvent(p.kind, p.id, INTERRUPTED_BY_USER, true)]);
      else if (!this.closed) {
        const event = resultEvent(p.kind, p.id, '', outcome.is_error);
        await this.append([{ ...event, content: outcome.content } as NewEvent]);
      }
    } catch (err) {
      if (err instanceof SandboxDamagedError) await this.endTurnOnDamage(p, err);
      else if (this.interruptRequested) await this.append([resultEvent(p.kind, p.id, INTERRUPTED_BY_USER, true)]);
    } finally {
      preview?.end();
      this.work = null;
    }
  }

  /**
   * The sandbox cannot run any tool until the user acts: every call of the turn is answered (none is left to run or
   * to ask about), and the turn ends with the damage and its fix instead of letting the model try every tool in vain.
   */
  private async endTurnOnDamage(failed: PendingToolUse, err: SandboxDamagedError): Promise<void> {
    const out: NewEvent[] = [...this.state.pending.values()].map((p) =>
      resultEvent(p.kind, p.id, p.id === failed.id ? `${p.name} did not run: ${err.message}` : SANDBOX_DAMAGED_NOT_RUN, true),
    );
    out.push(
      { type: 'session.error', error: { type: 'unknown_error', message: `No tool can run: ${err.message}`, retry_status: { type: 'exhausted' } } },
      { type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } },
    );
    await this.append(out);
  }

  private async finishInterrupt(): Promise<void> {
    this.interruptRequested = false;
    const out: NewEvent[] = [...this.state.pending.values()].map((p) => resultEvent(p.kind, p.id, INTERRUPTED_BY_USER, true));
    // An interrupt ends the active outcome, during grading or during the agent's work (reference §7.4).
    const outcome = this.state.outcome.active;
    if (outcome) out.push(...interruptedOutcome(outcome));
    const wasIdle = this.state.status === 'idle' && this.state.pending.size === 0;
    if (!wasIdle) out.push({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    if (out.length > 0) await this.append(out);
  }
}
