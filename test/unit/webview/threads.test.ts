import assert from 'node:assert/strict';
import { SessionModel } from '../../../webview/model/session-model';
import { PRIMARY } from '../../../webview/model/items';
import { BUILTIN_MODELS, type ModelPricing, type NewEvent, type Session, type SessionEvent } from '../../../src/wire';
import type { EventThreads, RequestModels } from '../../../src/protocol/panel';
import { EventLog, fakeSession, PRICING } from './fixtures';
import { mountPanel, type Mounted } from './dom-env';

// A multi-agent session in the panel: every thread's events in its own tab (the host names each event's thread), a
// roll-up of the sub-agents on the coordinator's tab, and a sub-agent's question shown wherever the user looks.

const OPUS: ModelPricing = { prices: BUILTIN_MODELS['claude-opus-4-8']!.prices };

/** A coordinator ("coder") with two roster agents; the reviewer runs on a pricier model ($5 vs $3 per M input). */
function coordinatorSession(overrides: Partial<Session> = {}): Session {
  const base = fakeSession(overrides);
  const { multiagent: _m, ...member } = base.agent;
  return {
    ...base,
    agent: { ...base.agent, multiagent: { type: 'coordinator', agents: [{ ...member, id: 'agent_t', name: 'tester' }, { ...member, id: 'agent_r', name: 'reviewer', model: { id: 'claude-opus-4-8' } }] } },
  };
}

/** A log whose sub-thread events are named by thread, and a sub-agent's model requests by model, as panelEvents sends them. */
class ThreadLog extends EventLog {
  readonly threads: EventThreads = {};
  readonly models: RequestModels = {};
  in(thread: string, e: NewEvent): SessionEvent {
    const event = this.add(e);
    this.threads[event.id] = thread;
    return event;
  }
}

const text = (t: string) => [{ type: 'text' as const, text: t }];
const usage = { input_tokens: 100_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

/** The coordinator delegates to tester and reviewer; each works in its own thread; the reviewer's bash asks, so the session waits. */
function delegatedLog(): { log: ThreadLog; ask: SessionEvent } {
  const log = new ThreadLog();
  log.running();
  log.user('review and test the change');
  log.add({ type: 'session.thread_status_running', session_thread_id: 'sthr_primary', agent_name: 'coder' });
  log.add({ type: 'session.thread_created', session_thread_id: 'sthr_t', agent_name: 'tester', workflow_run_id: null });
  log.add({ type: 'agent.thread_message_sent', to_session_thread_id: 'sthr_t', to_agent_name: 'tester', content: text('Run the tests') });
  log.in('sthr_t', { type: 'agent.thread_message_received', from_session_thread_id: 'sthr_primary', from_agent_name: 'coder', content: text('Run the tests') });
  log.add({ type: 'session.thread_created', session_thread_id: 'sthr_r', agent_name: 'reviewer', workflow_run_id: null });
  log.in('sthr_t', { type: 'session.thread_status_running', session_thread_id: 'sthr_t', agent_name: 'tester' });
  log.in('sthr_r', { type: 'session.thread_status_running', session_thread_id: 'sthr_r', agent_name: 'reviewer' });
  const [ts, te] = log.span(usage);
  log.threads[ts.id] = log.threads[te.id] = 'sthr_t';
  log.in('sthr_t', { type: 'agent.message', content: text('Running the suite now.') });
  log.in('sthr_t', { type: 'agent.tool_use', name: 'read', input: { file_path: 'test/date.test.ts' }, evaluated_permission: 'allow', session_thread_id: 'sthr_t' });
  const [rs, re] = log.span(usage);
  log.threads[rs.id] = log.threads[re.id] = 'sthr_r';
  log.models[re.id] = 'claude-opus-4-8';
  const ask = log.in('sthr_r', { type: 'agent.tool_use', name: 'bash', input: { command: 'git diff' }, evaluated_permission: 'ask', session_thread_id: 'sthr_r' });
  log.in('sthr_r', { type: 'session.thread_status_idle', session_thread_id: 'sthr_r', agent_name: 'reviewer', stop_reason: { type: 'requires_action', event_ids: [ask.id] } });
  log.add({ type: 'session.thread_status_idle', session_thread_id: 'sthr_primary', agent_name: 'coder', stop_reason: { type: 'end_turn' } });
  log.idle([ask.id]);
  return { log, ask };
}

describe('webview: multi-agent threads', () => {
  describe('model', () => {
    it("puts each thread's messages, tool calls and model requests in its own lane, priced with its own model", () => {
      const { log } = delegatedLog();
      const m = new SessionModel(coordinatorSession(), PRICING);
      m.priceRequests(log.models, { 'claude-opus-4-8': OPUS });
      for (const e of log.events) m.apply(e, undefined, undefined, log.threads[e.id]);
      assert.deepEqual([...m.lanes.keys()], [PRIMARY, 'sthr_t', 'sthr_r'], "the coordinator's own status events make no lane");
      const kinds = (id: string) => m.lanes.get(id)!.items.map((i) => i.kind);
      assert.deepEqual(kinds(PRIMARY), ['user', 'note', 'thread_message', 'note', 'note']);
      assert.deepEqual(kinds('sthr_t'), ['thread_message', 'span', 'agent', 'tool']);
      assert.deepEqual(kinds('sthr_r'), ['span', 'tool', 'note']);
      assert.equal(m.lanes.get(PRIMARY)!.status, 'idle');
      assert.equal(m.lanes.get('sthr_t')!.status, 'running');
      // 100k input tokens: $0.30 on Sonnet 4.5, $0.50 on Opus 4.8.
      assert.equal(Math.round(m.lanes.get('sthr_t')!.costCents), 30);
      assert.equal(Math.round(m.lanes.get('sthr_r')!.costCents), 50);
      assert.equal(Math.round(m.summary.costCents), 80, "the session's cost is its threads' sum");
    });

    it("gives a sub-thread's finished turn its own end note with its model requests", () => {
      const log = new ThreadLog();
      log.add({ type: 'session.thread_created', session_thread_id: 'sthr_t', agent_name: 'tester', workflow_run_id: null });
      const [s, e] = log.span();
      log.threads[s.id] = log.threads[e.id] = 'sthr_t';
      const idle = log.in('sthr_t', { type: 'session.thread_status_idle', session_thread_id: 'sthr_t', agent_name: 'tester', stop_reason: { type: 'end_turn' } });
      const m = new SessionModel(coordinatorSession(), PRICING);
      for (const ev of log.events) m.apply(ev, undefined, undefined, log.threads[ev.id]);
      const note = m.item(idle.id);
      assert.ok(note?.kind === 'note' && note.lane === 'sthr_t');
      assert.equal(note.text, 'Turn ended');
      assert.equal(note.spans?.length, 1);
    });

    it("marks a rewind in every thread's lane: each thread's context went back with the shared files", () => {
      const { log } = delegatedLog();
      const rewind = log.add({ type: 'hangar.rewind', checkpoint_id: 'ckpt_1', tree: 'a'.repeat(40) });
      const m = new SessionModel(coordinatorSession(), PRICING);
      for (const e of log.events) m.apply(e, undefined, undefined, log.threads[e.id]);
      for (const lane of [PRIMARY, 'sthr_t', 'sthr_r']) {
        const last = m.lanes.get(lane)!.items.at(-1);
        assert.ok(last?.kind === 'note' && /^Rewound: the files are back/.test(last.text), `the ${lane} lane ends with the rewind`);
      }
      assert.equal(m.item(rewind.id)?.lane, PRIMARY, "the coordinator's note is the rewind event's own item");
    });
  });

  it("streams a sub-agent's message into its own tab and replaces the preview with the final event there", () => {
    const log = new ThreadLog();
    log.add({ type: 'session.thread_created', session_thread_id: 'sthr_t', agent_name: 'tester', workflow_run_id: null });
    const m = new SessionModel(coordinatorSession(), PRICING);
    for (const e of log.events) m.apply(e, undefined, undefined, log.threads[e.id]);
    m.preview({ type: 'event_start', event: { type: 'agent.message', id: 'sevt_live' } }, 'sthr_t');
    m.preview({ type: 'event_delta', event_id: 'sevt_live', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Running' } } }, 'sthr_t');
    const live = m.item('sevt_live');
    assert.ok(live?.kind === 'agent' && live.lane === 'sthr_t' && live.live && live.text === 'Running');
    assert.ok(!m.lanes.get(PRIMARY)!.items.includes(live), "not in the coordinator's tab");
    m.apply(log.in('sthr_t', { id: 'sevt_live', type: 'agent.message', content: text('Running the suite.') }), undefined, undefined, 'sthr_t');
    assert.deepEqual(m.lanes.get('sthr_t')!.items.map((i) => (i.kind === 'agent' ? [i.text, i.live] : i.kind)), [['Running the suite.', false]]);
  });

  describe('panel', () => {
    let m: Mounted;
    afterEach(() => m.close());

    function open(): { log: ThreadLog; ask: SessionEvent } {
      const out = delegatedLog();
      m = mountPanel();
      m.send({ type: 'init', pricing: PRICING, requestModels: out.log.models, modelPricing: { 'claude-opus-4-8': OPUS }, session: coordinatorSession({ status: 'idle' }), events: out.log.events, eventThreads: out.log.threads });
      return out;
    }

    it("marks a sub-agent's cost an estimate when its model has no list price, as the CLI summary does", () => {
      const out = delegatedLog();
      m = mountPanel();
      m.send({ type: 'init', pricing: PRICING, requestModels: out.log.models, modelPricing: { 'claude-opus-4-8': { ...OPUS, estimate: true } }, session: coordinatorSession({ status: 'idle' }), events: out.log.events, eventThreads: out.log.threads });
      assert.deepEqual(m.$$('.rollup-cost').map((c) => c.textContent), ['$0.30', '~$0.50']);
    });

    it("shows a tab per thread and, on the coordinator's tab, each sub-agent's status, last activity and cost", () => {
      open();
      assert.deepEqual(m.$$('[role="tab"]').map((t) => t.textContent), ['coder (main)', 'tester', 'reviewer']);
      const rows = m.$$('.rollup-row');
      assert.equal(m.$('.rollup').hidden, false);
      assert.equal(m.$('.rollup-title').textContent, 'Sub-agents (2)');
      assert.deepEqual(
        rows.map((r) => [r.querySelector('.rollup-name')!.textContent, r.querySelector('.rollup-status')!.textContent, r.querySelector('.rollup-last')!.textContent, r.querySelector('.rollup-cost')!.textContent]),
        [
          ['tester', 'Running', 'read test/date.test.ts', '$0.30'],
          ['reviewer', 'Waiting for you', 'bash git diff', '$0.50'],
        ],
      );
      assert.match(rows[1]!.getAttribute('aria-label')!, /^reviewer: Waiting for you\. .*Cost \$0\.50\. Open its tab$/);
      // A row opens the sub-agent's tab: its own messages and calls, no roll-up.
      rows[0]!.click();
      assert.equal(m.$('[role="tab"][aria-selected="true"]').textContent, 'tester');
      assert.equal(m.$('.rollup').hidden, true);
      assert.match(m.$('.stream').textContent!, /Running the suite now\./);
      assert.doesNotMatch(m.$('.stream').textContent!, /review and test the change/, "the coordinator's messages stay in its tab");
    });

    it("shows a sub-agent's question on every tab, named, with a bell on its tab, and answers it to that call", async () => {
      const { log, ask } = open();
      const prompt = m.$(`.prompt[data-key="${ask.id}"]`);
      assert.equal(m.$('.prompts').hidden, false, "the question shows on the coordinator's tab");
      assert.match(prompt.querySelector('.prompt-title')!.textContent!, /^Sub-agent reviewer asks: Allow bash\?$/);
      assert.equal(prompt.getAttribute('aria-label'), 'Permission request for bash from sub-agent reviewer');
      const reviewerTab = m.$('[role="tab"][data-lane="sthr_r"]');
      assert.ok(reviewerTab.querySelector('.codicon-bell-dot'), 'its tab rings');
      assert.equal(reviewerTab.getAttribute('aria-label'), 'reviewer, waiting for you');
      assert.equal(m.$('.header .status').textContent, 'Waiting for you');
      // From the tester's tab, the question is still there.
      m.$('[role="tab"][data-lane="sthr_t"]').click();
      assert.ok(m.doc.querySelector(`.prompt[data-key="${ask.id}"]`));
      (m.$(`.prompt[data-key="${ask.id}"] button[aria-label="Allow bash"]`) as HTMLButtonElement).click();
      assert.deepEqual(m.posted.at(-1), { type: 'confirm', tool_use_id: ask.id, result: 'allow' });
      await m.reply();
      const confirmation = log.add({ type: 'user.tool_confirmation', tool_use_id: ask.id, result: 'allow', session_thread_id: 'sthr_r' });
      m.send({ type: 'events', events: [confirmation], eventThreads: { [confirmation.id]: 'sthr_r' } });
      assert.equal(m.$('.prompts').hidden, true);
      assert.equal(m.$('[role="tab"][data-lane="sthr_r"]').querySelector('.codicon-bell-dot'), null, 'the bell goes with the answer');
    });

    it("allows a tool for the rest of the session for the sub-agent that asked, naming its thread", () => {
      const { ask } = open();
      (m.$(`.prompt[data-key="${ask.id}"] .allow-session`) as HTMLButtonElement).click();
      assert.deepEqual(m.posted.at(-1), { type: 'allowForSession', tool: { name: 'bash' }, session_thread_id: 'sthr_r' });
    });

    it("shows each sub-agent's allowances on its tab and, named, on the coordinator's, each revocable for its thread", () => {
      open();
      const chips = () => m.$$('.allowance').map((c) => [c.querySelector('.allowance-agent')?.textContent ?? null, c.querySelector('code')!.textContent, c.getAttribute('data-thread')]);
      m.send({ type: 'allowed', tools: [{ name: 'read' }], threads: { sthr_t: [], sthr_r: [{ name: 'bash' }, { name: 'search', mcp_server_name: 'docs' }] } });
      assert.equal(m.$('.allowances-label').textContent, 'Allowed for this session:');
      assert.deepEqual(chips(), [
        [null, 'read', null],
        ['reviewer:', 'bash', 'sthr_r'],
        ['reviewer:', 'docs/search', 'sthr_r'],
      ]);
      m.$('[aria-label="Revoke: ask again before bash (sub-agent reviewer)"]').click();
      assert.deepEqual(m.posted.at(-1), { type: 'revokeAllowance', tool: { name: 'bash' }, session_thread_id: 'sthr_r' });
      m.$('[aria-label="Revoke: ask again before read"]').click();
      assert.deepEqual(m.posted.at(-1), { type: 'revokeAllowance', tool: { name: 'read' } }, "the coordinator's names no thread");

      // A sub-agent's tab shows its own only; the tester has none.
      m.$('[role="tab"][data-lane="sthr_r"]').click();
      assert.equal(m.$('.allowances-label').textContent, 'Allowed for sub-agent reviewer this session:');
      assert.deepEqual(chips(), [
        [null, 'bash', 'sthr_r'],
        [null, 'docs/search', 'sthr_r'],
      ]);
      m.$('[aria-label="Revoke: ask again before docs/search"]').click();
      assert.deepEqual(m.posted.at(-1), { type: 'revokeAllowance', tool: { name: 'search', mcp_server_name: 'docs' }, session_thread_id: 'sthr_r' });
      m.$('[role="tab"][data-lane="sthr_t"]').click();
      assert.equal(m.$('.allowances').hidden, true);
      // The host's next list (after a revoke) replaces the shown one.
      m.$('[role="tab"][data-lane="sthr_r"]').click();
      m.send({ type: 'allowed', tools: [{ name: 'read' }], threads: { sthr_t: [], sthr_r: [] } });
      assert.equal(m.$('.allowances').hidden, true);
    });

    it('keeps allowances that arrive before the session loads, and shows them once it does', () => {
      m = mountPanel();
      m.send({ type: 'allowed', tools: [], threads: { sthr_r: [{ name: 'bash' }] } });
      const { log } = delegatedLog();
      m.send({ type: 'init', pricing: PRICING, session: coordinatorSession(), events: log.events, eventThreads: log.threads });
      assert.deepEqual(m.$$('.allowance').map((c) => c.textContent), ['reviewer:bash']);
    });

    it("interrupts only the sub-agent whose tab is shown, while its thread runs", () => {
      open();
      const interrupt = () => m.$('.composer-actions button.secondary') as HTMLButtonElement;
      assert.equal(interrupt().getAttribute('aria-label'), 'Interrupt the agent (Escape)');
      m.$('[role="tab"][data-lane="sthr_t"]').click();
      assert.equal(interrupt().getAttribute('aria-label'), 'Interrupt sub-agent tester (Escape)');
      assert.equal(interrupt().disabled, false, 'the tester still runs, though the session waits for the reviewer');
      interrupt().click();
      assert.deepEqual(m.posted.at(-1), { type: 'interrupt', session_thread_id: 'sthr_t' });
      m.$('[role="tab"][data-lane="sthr_r"]').click();
      assert.equal(interrupt().disabled, true, 'the reviewer is not running');
    });

    it("sends the composer's message to the sub-agent whose tab is shown; an archived sub-agent's tab takes none", () => {
      const { log } = open();
      const input = m.$('.composer-input') as HTMLTextAreaElement;
      const send = m.$('.composer-actions button.primary') as HTMLButtonElement;
      m.$('[role="tab"][data-lane="sthr_t"]').click();
      assert.equal(input.getAttribute('aria-label'), 'Message to sub-agent tester');
      assert.match(input.placeholder, /Steer tester: sent to this sub-agent only/);
      input.value = 'also run the slow tests';
      send.click();
      assert.deepEqual(m.posted.at(-1), { type: 'send', text: 'also run the slow tests', session_thread_id: 'sthr_t' });
      m.$('[role="tab"][data-lane=""]').click();
      assert.equal(input.getAttribute('aria-label'), 'Message to the agent');
      input.value = 'thanks';
      send.click();
      assert.deepEqual(m.posted.at(-1), { type: 'send', text: 'thanks' }, "the coordinator's tab messages the coordinator");
      const archived = log.in('sthr_r', { type: 'session.thread_status_terminated', session_thread_id: 'sthr_r', agent_name: 'reviewer' });
      m.send({ type: 'events', events: [archived], eventThreads: { [archived.id]: 'sthr_r' } });
      m.$('[role="tab"][data-lane="sthr_r"]').click();
      assert.equal(input.disabled, true);
      assert.equal(send.disabled, true);
      assert.match(input.placeholder, /reviewer's thread is archived/);
    });

    it("opens a thread's tab when the host asks (a sub-agent node of the Sessions tree)", () => {
      open();
      m.send({ type: 'showThread', session_thread_id: 'sthr_r' });
      assert.equal(m.$('[role="tab"][aria-selected="true"]').textContent, 'reviewer');
      assert.match(m.$('.stream').textContent!, /git diff/);
      m.send({ type: 'showThread', session_thread_id: 'sthr_unknown' });
      assert.equal(m.$('[role="tab"][aria-selected="true"]').textContent, 'reviewer', 'an unknown thread changes nothing');
    });

    it('shows no tabs and no roll-up for a single-agent session', () => {
      const log = new EventLog();
      log.user('hi');
      log.agent('hello');
      m = mountPanel();
      m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
      assert.equal(m.$('[role="tablist"]').hidden, true);
      assert.equal(m.$('.rollup').hidden, true);
    });
  });
});
