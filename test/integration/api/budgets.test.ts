import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { byAgent, delegating, DELEGATION_DONE, reply } from '../../../src/model/scripted';
import type { MessageReply } from '../../../src/model/scripted/script';
import { collect, startApi, type ApiFixture, type StreamEvent } from './helpers';

// Session budgets through the real SDK (issue #11 §3): a cost cap reached mid-turn stops the session before its next
// model request with stop reason budget_reached, raising it lets the same turn go on; sub-agents' spend counts; the
// reference's refusals (budget_create_only, budget_not_raised, model_not_budgetable) and malformed budgets.

type Budget = Anthropic.Beta.Sessions.BetaManagedAgentsBudgetLimit;
const usd = (cents: number): Budget => ({ type: 'limit', max_list_cost: { amount: String(cents), currency: 'USD' } });
// 100,000 input tokens of the default model (Sonnet 5.5, $2 per million): 20 cents a request.
const costly = (r: MessageReply): MessageReply => ({ ...r, usage: { input_tokens: 100_000, output_tokens: 0 } });
const say = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });
const idle = (events: StreamEvent[]) => events.at(-1)?.type === 'session.status_idle';
const stopOf = (events: StreamEvent[]) => {
  const last = events.at(-1);
  return last?.type === 'session.status_idle' ? last.stop_reason.type : null;
};

async function refused(p: Promise<unknown>, code: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    const body = err.error as { error?: { message?: string; details?: { error_code?: string } } };
    if (typeof code === 'string') assert.equal(body.error?.details?.error_code, code, body.error?.message);
    else assert.match(body.error?.message ?? '', code);
    return true;
  });
}

describe('api: session budgets with the SDK', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  const create = (agent: string, budget?: unknown) =>
    f.client.beta.sessions.create({ agent, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }], ...(budget === undefined ? {} : { budget }) } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);

  it('stops before the next model request once the cost cap is reached, and goes on in the same turn when it is raised', async () => {
    f = await startApi({ script: [costly(reply.tool('bash', { command: 'echo one' })), costly(reply.tool('bash', { command: 'echo two' })), reply.text('all done')] });
    const agent = await f.agent();
    const session = await create(agent.id, usd(30));
    assert.deepEqual(session.budget, usd(30));

    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('go'));
    const first = await collect(stream, idle);
    assert.equal(stopOf(first), 'budget_reached');
    // Both calls of the paid replies ran: the cap stops the turn between steps, never inside one.
    assert.equal(first.filter((e) => e.type === 'agent.tool_result').length, 2);
    assert.equal(first.filter((e) => e.type === 'span.model_request_start').length, 2, 'no request after the cap was reached');
    const held = await f.client.beta.sessions.retrieve(session.id);
    assert.equal(held.status, 'idle');
    assert.equal(held.usage.list_cost?.amount, '40');

    // Lowering to what was spent is refused; raising continues the turn without a new message.
    await refused(f.client.beta.sessions.update(session.id, { budget: usd(40) }), 'budget_not_raised');
    const again = await f.client.beta.sessions.events.stream(session.id);
    const raised = await f.client.beta.sessions.update(session.id, { budget: usd(100) });
    assert.deepEqual(raised.budget, usd(100));
    const second = await collect(again, (e) => idle(e) && stopOf(e) === 'end_turn');
    const updated = second.find((e) => e.type === 'session.updated');
    assert.ok(updated?.type === 'session.updated' && updated.budget?.max_list_cost.amount === '100', 'the raise is logged as session.updated with the new budget');
    assert.ok(second.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('all done')));
    assert.ok(!second.some((e) => e.type === 'user.message'), 'the turn went on without another message');

    // Removed for good: null lifts the cap, and a budget cannot come back.
    const removed = await f.client.beta.sessions.update(session.id, { budget: null });
    assert.equal(removed.budget, null);
    await refused(f.client.beta.sessions.update(session.id, { budget: usd(5000) }), 'budget_create_only');
  });

  it('a token cap (Hangar) stops the session too; a runtime reopened on the held session adds nothing until the cap is raised', async () => {
    f = await startApi({ script: [{ ...reply.tool('bash', { command: 'echo one' }), usage: { input_tokens: 5_000, output_tokens: 100 } }, reply.text('finished')] });
    const agent = await f.agent();
    const session = await create(agent.id, { type: 'limit', max_total_tokens: 4_000 });
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('go'));
    assert.equal(stopOf(await collect(stream, idle)), 'budget_reached');
    const before = await f.t.events(session.id);
    // A new runtime on the same storage (a window reload) drives the held session from its log: it stays held.
    await f.t.runtime.close();
    const reopened = f.t.reopen();
    await reopened.sessions.wake(session.id);
    await reopened.sessions.update(session.id, { title: 'still held' });
    const after = [...(await reopened.sessions.listEvents(session.id, { limit: 1000 })).data];
    assert.deepEqual(after.map((e) => e.type), [...before.map((e) => e.type), 'session.updated'], 'waking the held session asked the model nothing');
    await reopened.sessions.update(session.id, { budget: { type: 'limit', max_total_tokens: 100_000 } });
    for (let i = 0; i < 200 && (await reopened.sessions.retrieve(session.id)).status !== 'idle'; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200; i++) {
      const events = [...(await reopened.sessions.listEvents(session.id, { limit: 1000 })).data];
      const last = events.at(-1);
      if (last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn') {
        assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('finished')));
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail('the raised session did not finish its turn');
  });

  it("counts sub-agents' spend: a sub-agent's paid requests stop the whole session", async () => {
    f = await startApi({
      script: byAgent({
        lead: delegating({ worker: 'Do the work' }, ['did it']),
        worker: [costly(reply.tool('bash', { command: 'echo w1' })), costly(reply.tool('bash', { command: 'echo w2' })), reply.text('did it')],
      }),
    });
    const worker = await f.agent({ name: 'worker' });
    const lead = await f.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [worker.id] } });
    const session = await create(lead.id, usd(30));
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('delegate'));
    const first = await collect(stream, idle, 30_000);
    assert.equal(stopOf(first), 'budget_reached', 'the session idles with the budget reason while the worker is held');
    const threads = await f.client.beta.sessions.threads.list(session.id);
    const workerThread = threads.data.find((t) => t.agent.type === 'agent' && t.agent.name === 'worker');
    assert.ok(workerThread, 'the worker has a thread');
    assert.ok(!first.some((e) => e.type === 'agent.thread_message_received' && JSON.stringify(e.content).includes('did it')), 'the held worker has not answered');
    const again = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.update(session.id, { budget: usd(200) });
    const second = await collect(again, (e) => idle(e) && stopOf(e) === 'end_turn', 30_000);
    assert.ok(second.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(DELEGATION_DONE)), 'the coordinator finished once the worker answered');
  });

  it('refuses malformed budgets, unpriced models and budgets added after creation, with the reference reason codes', async () => {
    f = await startApi({ script: [reply.text('ok')] });
    const agent = await f.agent();
    for (const bad of [usd(-5), { type: 'limit', max_list_cost: { amount: '0', currency: 'USD' } }, { type: 'limit', max_list_cost: { amount: '025', currency: 'USD' } }, { type: 'limit', max_list_cost: { amount: '100', currency: 'EUR' } }, { type: 'limit' }, { type: 'limit', max_total_tokens: -1 }, { type: 'cap', max_total_tokens: 5 }]) {
      await refused(create(agent.id, bad), /budget/);
    }
    const local = await f.agent({ name: 'local-model', model: 'qwen-coder-local' });
    await refused(create(local.id, usd(100)), 'model_not_budgetable');
    // A token cap needs no prices.
    assert.deepEqual((await create(local.id, { type: 'limit', max_total_tokens: 1000 })).budget, { type: 'limit', max_total_tokens: 1000 });
    const uncapped = await create(agent.id);
    assert.equal(uncapped.budget, null);
    await refused(f.client.beta.sessions.update(uncapped.id, { budget: usd(100) }), 'budget_create_only');
  });
});
