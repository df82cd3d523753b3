import assert from 'node:assert/strict';
import { MessageBatcher } from '../../../src/extension/panel/batcher';
import { panelEvents, pricingIn } from '../../../src/extension/panel/panel-events';
import { formatCost } from '../../../src/format/cost';
import { byAgent, reply, type RecordedRequest } from '../../../src/model/scripted';
import type { HostMessage } from '../../../src/protocol/panel';
import { sessionPricing } from '../../../src/runtime/session-pricing';
import { summarize, type SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { mountPanel, type Mounted } from './dom-env';

// An inline sub-agent on another model than its coordinator's, run by the real runtime on the scripted model: the
// panel prices its model requests with its own model (as the catalogue in effect prices it), on its roll-up row and in
// the session's total, from the whole log (`init`) and from live batches alike, so the panel shows what the runtime's
// fold (sidebar, CLI) shows.

const DONE = 'The linter is done.';
/** The inline agent's model; the coordinator runs on the default (claude-sonnet-5-5, $2 per M input tokens). */
const LINTER_MODEL = 'claude-opus-4-8';
/** A user override of its input price, so the panel is seen to use the catalogue in effect: $7 per M input tokens. */
const MODELS = { [LINTER_MODEL]: { prices: { input: 7 } } };
/** The linter's one request: a million input tokens, nothing else (at the linter's price $7.00, at the coordinator's $2.00). */
const MILLION = { input_tokens: 1_000_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

function lead(r: RecordedRequest) {
  const seen = JSON.stringify(r.body.messages);
  if (seen.includes('linted')) return reply.text(DONE);
  if (seen.includes('send_to_agent')) return reply.text('Waiting for the linter.');
  return reply.tool('send_to_agent', { inline_agent: { name: 'linter', model: LINTER_MODEL, system: 'You lint.' }, message: 'Lint the code' });
}

describe('webview: an inline sub-agent on another model is priced with its model', function () {
  this.timeout(30_000);
  let t: TestRuntime;
  let m: Mounted | undefined;
  let sessionId: string;
  let records: SessionEvent[];

  before(async () => {
    t = await makeTestRuntime({ script: byAgent({ lead, linter: () => reply.text('linted', { usage: MILLION }) }), runtime: { models: MODELS } });
    sessionId = await t.start('Lint the code', { name: 'lead', multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'enabled' } } } });
    await t.waitFor(sessionId, (seen) => seen.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(DONE)) && seen.at(-1)?.type === 'session.status_idle');
    records = await t.events(sessionId);
  });
  after(async () => t?.close());
  afterEach(() => m?.close());

  const priced = (model: string) => pricingIn(t.runtime.catalog, model);

  /** The roll-up row of the linter: its cost. */
  const linterCost = (mounted: Mounted) => {
    const row = mounted.$$('.rollup-row').find((r) => r.querySelector('.rollup-name')?.textContent === 'linter');
    assert.ok(row, 'the linter has a roll-up row');
    return row.querySelector('.rollup-cost')!.textContent;
  };
  /** What the runtime's own fold says the session cost (each request priced with the model that made it). */
  const runtimeTotal = async () => {
    const session = await t.runtime.sessions.retrieve(sessionId);
    return formatCost(summarize(records, sessionPricing(t.runtime.catalog, session.agent.model.id)).costCents);
  };

  it('from the whole log: the roll-up and the header price the inline agent at its own model', async () => {
    const session = await t.runtime.sessions.retrieve(sessionId);
    assert.notEqual(session.agent.model.id, LINTER_MODEL, 'the coordinator runs on another model');
    m = mountPanel();
    m.send({ type: 'init', session, ...panelEvents(records, priced), pricing: priced(session.agent.model.id) });
    assert.equal(linterCost(m), '$7.00');
    const total = await runtimeTotal();
    assert.match(m.$('.header .stats').textContent!, new RegExp(`· ${total.replace('$', '\\$')} ·`), `the header shows the runtime's total, ${total}`);
  });

  it("from live batches: the sub-agent's requests that arrive after init are priced the same", async () => {
    const session = await t.runtime.sessions.retrieve(sessionId);
    const created = records.findIndex((e) => e.type === 'session.thread_created');
    assert.ok(created > 0);
    m = mountPanel();
    m.send({ type: 'init', session, ...panelEvents(records.slice(0, created), priced), pricing: priced(session.agent.model.id) });
    const sent: HostMessage[] = [];
    const batcher = new MessageBatcher((msg) => sent.push(msg), priced, undefined, { maxEvents: 3, delayMs: 10_000 });
    for (const e of records.slice(created)) batcher.event(e);
    batcher.flush();
    assert.ok(sent.some((msg) => msg.type === 'events' && msg.requestModels), 'a batch names the linter request');
    for (const msg of sent) m.send(msg);
    assert.equal(linterCost(m), '$7.00');
    const total = await runtimeTotal();
    assert.match(m.$('.header .stats').textContent!, new RegExp(`· ${total.replace('$', '\\$')} ·`));
  });
});
