import { parseHostMessage } from '../src/protocol/panel';
import type { HostMessage, PanelRequest } from '../src/protocol/panel';
import { assertNever } from '../src/wire/exhaustive';
import { HostChannel } from './channel';
import { PRIMARY } from './model/items';
import type { Change, Lane } from './model/session-model';
import { SessionModel } from './model/session-model';
import type { RenderCtx } from './render/context';
import { icon, iconButton } from './render/icons';
import { Markdown } from './render/markdown';
import { updateCountdowns } from './render/misc';
import { AllowancesView, type Allowance } from './ui/allowances';
import { ChangesView } from './ui/changes';
import { ComposerView } from './ui/composer';
import { h } from './ui/dom';
import { HeaderView } from './ui/header';
import { PromptsView } from './ui/prompts';
import { RollupView } from './ui/rollup';
import { UiStateStore } from './ui/state';
import type { VsCodeApi } from './ui/state';
import { StreamView } from './ui/stream';
import { TabsView } from './ui/tabs';

const SCROLL_SAVE_MS = 250;

// The session panel: validates what the host sends, folds it into the model and lets the views mirror the
// changes. What it asks of the host are requests (channel.ts) the host answers; an answer to a prompt shows at once
// and is taken back, with the host's reason, when the host refuses it.
export class PanelApp {
  readonly root: HTMLElement;
  private model: SessionModel | null = null;
  private lane = PRIMARY;
  private pendingKeys = new Set<string>();
  private readonly ui: UiStateStore;
  private readonly channel: HostChannel;
  private readonly header: HeaderView;
  private readonly changes: ChangesView;
  private readonly tabs: TabsView;
  private readonly rollup: RollupView;
  private readonly banner: HTMLElement;
  private readonly stream: StreamView;
  private readonly prompts: PromptsView;
  private readonly allowances: AllowancesView;
  /** The host's last list of tools allowed for the session (the coordinator's and each sub-agent thread's). */
  private allowed: Omit<Extract<HostMessage, { type: 'allowed' }>, 'type'> = { tools: [] };
  private readonly composer: ComposerView;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private scrollSave: ReturnType<typeof setTimeout> | null = null;
  private readonly onMessage = (e: MessageEvent) => this.receive(e.data);
  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !e.defaultPrevented && this.canInterrupt()) {
      e.preventDefault();
      void this.post(this.interruptRequest());
    }
  };

  constructor(private readonly doc: Document, private readonly api: VsCodeApi, private readonly now: () => number = Date.now) {
    this.ui = new UiStateStore(api);
    this.channel = new HostChannel(api);
    const ctx: RenderCtx = {
      doc,
      markdown: new Markdown(doc),
      post: (m) => void this.post(m),
      isExpanded: (k) => this.ui.isExpanded(k),
      setExpanded: (k, open) => this.ui.setExpanded(k, open),
    };
    this.header = new HeaderView(doc);
    this.changes = new ChangesView(doc, { open: (path) => void this.post({ type: 'openFile', path }), review: () => void this.post({ type: 'reviewChanges' }) });
    this.tabs = new TabsView(doc, (lane) => this.selectLane(lane));
    this.rollup = new RollupView(doc, (lane) => this.selectLane(lane));
    this.banner = h(doc, 'div', { class: 'banner', attrs: { role: 'alert' } });
    this.banner.hidden = true;
    this.stream = new StreamView(ctx, (k) => this.pendingKeys.has(k), (fromBottom) => this.saveScroll(fromBottom));
    this.prompts = new PromptsView(doc, {
      confirm: (id, result, denyMessage) => void this.answer(id, { type: 'confirm', tool_use_id: id, result, ...(denyMessage ? { deny_message: denyMessage } : {}) }),
      customResult: (id, text, isError) => void this.answer(id, { type: 'customToolResult', custom_tool_use_id: id, text, is_error: isError }),
      allowForSession: (id, tool) => void this.answer(id, { type: 'allowForSession', tool, ...this.threadOf(id) }),
    });
    this.allowances = new AllowancesView(doc, (tool, thread) => void this.post({ type: 'revokeAllowance', tool, ...(thread ? { session_thread_id: thread } : {}) }));
    this.composer = new ComposerView(doc, this.ui.state.draft, {
      send: (text) => void this.sendText(text),
      interrupt: () => void this.post(this.interruptRequest()),
      draft: (draft) => this.ui.update({ draft }),
    });
    this.composer.setStatus('idle');
    const loading = h(doc, 'div', { class: 'loading', text: 'Loading session…' });
    this.stream.el.append(loading);
    this.root = h(doc, 'main', { class: 'panel' }, [this.header.el, this.changes.el, this.tabs.el, this.rollup.el, this.banner, this.stream.el, this.prompts.el, this.allowances.el, this.composer.el]);
  }

  /** Mounts into the page, listens to the host and tells it the panel is ready for `init`. */
  start(): void {
    this.doc.body.append(this.root);
    this.doc.defaultView?.addEventListener('message', this.onMessage);
    this.doc.addEventListener('keydown', this.onKey);
    void this.post({ type: 'ready' });
  }

  dispose(): void {
    this.doc.defaultView?.removeEventListener('message', this.onMessage);
    this.doc.removeEventListener('keydown', this.onKey);
    if (this.ticker) clearInterval(this.ticker);
    if (this.scrollSave) clearTimeout(this.scrollSave);
    this.ticker = this.scrollSave = null;
  }

  receive(raw: unknown): void {
    const parsed = parseHostMessage(raw);
    if (!parsed.ok) return this.showError(parsed.error);
    this.handle(parsed.value);
  }

  /** Asks the host; a refusal shows in the banner. Resolves to whether the host did it. */
  async post(request: PanelRequest): Promise<boolean> {
    if (request.type === 'send' || request.type === 'rewind') this.stream.follow();
    const outcome = await this.channel.request(request);
    if (!outcome.ok) this.showError(outcome.error);
    return outcome.ok;
  }

  private handle(msg: HostMessage): void {
    switch (msg.type) {
      case 'init': {
        if (this.ui.bind(msg.session.id)) this.composer.input.value = this.ui.state.draft;
        const model = new SessionModel(msg.session, msg.pricing, msg.threads);
        model.priceRequests(msg.requestModels, msg.modelPricing);
        for (const e of msg.events) model.apply(e, msg.thinking?.[e.id], msg.errors?.[e.id], msg.eventThreads?.[e.id]);
        this.model = model;
        this.header.setSandbox(msg.sandbox ?? null);
        this.lane = model.lanes.has(this.ui.state.lane) ? this.ui.state.lane : PRIMARY;
        this.pendingKeys = new Set(model.pendingTools().map((t) => t.key));
        this.stream.el.querySelector('.loading')?.remove();
        this.stream.show(this.currentLane(model), this.ui.state.scroll[this.lane] ?? 0);
        return this.refreshChrome();
      }
      case 'events':
        return this.applyChanges((m) => {
          m.priceRequests(msg.requestModels, msg.modelPricing);
          return msg.events.flatMap((e) => m.apply(e, msg.thinking?.[e.id], msg.errors?.[e.id], msg.eventThreads?.[e.id]));
        });
      case 'preview':
        return this.applyChanges((m) => m.preview(msg.preview, msg.thread));
      case 'session':
        this.model?.setSession(msg.session);
        return this.refreshChrome();
      case 'error':
        return this.showError(msg.message);
      case 'changes':
        return this.changes.update(msg.files);
      case 'allowed':
        this.allowed = { tools: msg.tools, ...(msg.threads ? { threads: msg.threads } : {}) };
        return this.showAllowances();
      case 'files':
        return this.composer.setFiles(msg.paths);
      case 'insert':
        return this.composer.insert(msg.text);
      case 'showThread':
        return this.selectLane(msg.session_thread_id);
      case 'newSession':
        return this.showNewSession();
      case 'reply':
        this.channel.settle(msg);
        return;
      default:
        return assertNever(msg, 'host message');
    }
  }

  private applyChanges(fold: (m: SessionModel) => Change[]): void {
    if (!this.model) return this.showError('received events before the session was loaded; reopen the panel');
    this.stream.apply(fold(this.model));
    this.refreshChrome();
  }

  /** Header, composer, tabs and prompts are small; they are brought up to date after every message. */
  private refreshChrome(): void {
    const model = this.model;
    if (!model) return;
    const pending = model.pendingTools();
    this.header.update(model.session, model.summary, this.now(), pending.length > 0);
    const shown = this.lane === PRIMARY ? undefined : model.lanes.get(this.lane);
    this.composer.setStatus(model.summary.status, shown ? { name: shown.name, running: shown.status === 'running', archived: shown.status === 'terminated' } : null);
    // A sub-agent's question shows wherever the user is looking: in the prompts (named), on its tab and in the roll-up.
    const waiting = new Map<string, number>();
    for (const t of pending) waiting.set(t.lane, (waiting.get(t.lane) ?? 0) + 1);
    const lanes = [...model.lanes.values()];
    this.tabs.update(lanes, this.lane, waiting);
    this.rollup.update(lanes.filter((l) => l.id !== PRIMARY), this.lane === PRIMARY, waiting);
    const keys = new Set(pending.map((t) => t.key));
    const flipped = [...keys, ...this.pendingKeys].filter((k) => keys.has(k) !== this.pendingKeys.has(k));
    this.pendingKeys = keys;
    for (const k of flipped) {
      const item = model.item(k);
      if (item) this.stream.refresh(item);
    }
    this.prompts.update(pending, (t) => (t.lane === PRIMARY ? null : (model.lanes.get(t.lane)?.name ?? t.lane)));
    this.showAllowances();
    updateCountdowns(this.stream.el, this.now());
    this.tick(this.isBusy());
  }

  private tick(on: boolean): void {
    // Once a second while busy: the elapsed time, and the countdown of a model request waiting to be retried.
    if (on && !this.ticker) this.ticker = setInterval(() => this.everySecond(), 1000);
    if (!on && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  private everySecond(): void {
    if (!this.model) return;
    this.header.update(this.model.session, this.model.summary, this.now());
    updateCountdowns(this.stream.el, this.now());
  }

  /** The prompt leaves at once, so a double click cannot answer twice; it comes back when the host refuses. */
  private async answer(id: string, request: PanelRequest): Promise<void> {
    const model = this.model;
    model?.pending.markAnswered(id);
    this.refreshChrome();
    if (await this.post(request)) return;
    model?.pending.unmarkAnswered(id);
    this.refreshChrome();
  }

  /** No session: the chat is an empty composer whose task starts an agent (the side-bar chat's new session). */
  private showNewSession(): void {
    if (this.ui.bind('')) this.composer.input.value = this.ui.state.draft;
    for (const el of [this.header.el, this.changes.el, this.tabs.el, this.rollup.el]) el.hidden = true;
    this.stream.el.replaceChildren(h(this.doc, 'div', { class: 'empty-chat', text: 'Describe a task below. Enter starts an agent on a private copy of this repository; you review its changes before they reach your files.' }));
    this.composer.startMode();
  }

  /**
   * The box is cleared on send; a refused message comes back into it unless the user typed something since. On a
   * sub-agent's tab the message goes to that thread only (the coordinator hears its answer).
   */
  private async sendText(text: string): Promise<void> {
    const thread = this.lane === PRIMARY ? {} : { session_thread_id: this.lane };
    if (await this.post(this.composer.isStarting ? { type: 'start', text } : { type: 'send', text, ...thread })) return;
    if (this.composer.input.value === '') {
      this.composer.input.value = text;
      this.ui.update({ draft: text });
    }
  }

  private selectLane(lane: string): void {
    const model = this.model;
    if (!model || lane === this.lane || !model.lanes.has(lane)) return;
    this.lane = lane;
    this.ui.update({ lane });
    this.stream.show(this.currentLane(model), this.ui.state.scroll[lane] ?? 0);
    this.refreshChrome();
  }

  private currentLane(model: SessionModel): Lane {
    const lane = model.lanes.get(this.lane) ?? model.lanes.get(PRIMARY);
    if (!lane) throw new Error('the session model has no primary lane');
    return lane;
  }

  /**
   * The shown tab's allowances: a sub-agent's own on its tab; on the coordinator's, its own and, as a roll-up, each
   * sub-agent's (once per agent: threads of one roster agent share its allowances), revocable from there too.
   */
  private showAllowances(): void {
    const { tools, threads = {} } = this.allowed;
    const name = (thread: string) => this.model?.lanes.get(thread)?.name ?? thread;
    if (this.lane !== PRIMARY) {
      return this.allowances.update((threads[this.lane] ?? []).map((tool) => ({ tool, thread: this.lane })), name(this.lane));
    }
    const agents = new Set<string>();
    const rollup: Allowance[] = [];
    for (const [thread, own] of Object.entries(threads)) {
      const agent = name(thread);
      if (agents.has(agent)) continue;
      agents.add(agent);
      rollup.push(...own.map((tool) => ({ tool, thread, agent })));
    }
    this.allowances.update([...tools.map((tool) => ({ tool })), ...rollup]);
  }

  /** A sub-agent's waiting call names its thread (its allowance is that sub-agent's); the coordinator's names none. */
  private threadOf(toolUseId: string): { session_thread_id?: string } {
    const lane = this.model?.item(toolUseId)?.lane ?? PRIMARY;
    return lane === PRIMARY ? {} : { session_thread_id: lane };
  }

  /** On a sub-agent's tab, Interrupt stops that thread only (the coordinator is told); elsewhere every thread. */
  private interruptRequest(): PanelRequest {
    return this.lane === PRIMARY ? { type: 'interrupt' } : { type: 'interrupt', session_thread_id: this.lane };
  }

  /** The shown tab's work can be stopped: the session's while it runs, a sub-agent's while its thread runs. */
  private canInterrupt(): boolean {
    return this.lane === PRIMARY ? this.isBusy() : this.model?.lanes.get(this.lane)?.status === 'running';
  }

  private isBusy(): boolean {
    const status = this.model?.summary.status;
    return status === 'running' || status === 'rescheduling';
  }

  private saveScroll(fromBottom: number): void {
    if (this.scrollSave) clearTimeout(this.scrollSave);
    const lane = this.lane;
    this.scrollSave = setTimeout(() => {
      this.scrollSave = null;
      this.ui.update({ scroll: { ...this.ui.state.scroll, [lane]: Math.round(fromBottom) } });
    }, SCROLL_SAVE_MS);
  }

  private showError(message: string): void {
    console.warn(`[hangar panel] ${message}`);
    this.banner.replaceChildren(
      icon(this.doc, 'warning'),
      h(this.doc, 'span', { class: 'banner-text', text: message }),
      iconButton(this.doc, 'close', 'Dismiss error', () => (this.banner.hidden = true)),
    );
    this.banner.hidden = false;
  }
}
