import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { accumulateManagedAgentsEvent } from '@anthropic-ai/sdk/lib/sessions/accumulate';
import { reply } from '../../../src/model/scripted';
import { collect, idleWith, startApi, typesOf, type ApiFixture, type StreamEvent } from './helpers';

// §9 items 6-10 through the real SDK: a turn over SSE, history listing, previews, custom tools, confirmations and
// interrupts.

const say = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });
const idOf = (e: StreamEvent) => ('id' in e ? e.id : '');
const LONG_TEXT = 'The answer arrives in several chunks, so the preview has more than one delta to show.';

describe('api: turns over the SDK', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('streams one turn in order, stays open after idle, and lists the same events', async () => {
    f = await startApi({ script: [reply.text(LONG_TEXT)] });
    const agent = await f.agent();
    const session = await f.session(agent.id);
    assert.equal(session.status, 'idle');
    const stream = await f.client.beta.sessions.events.stream(session.id);
    const sent = (await f.client.beta.sessions.events.send(session.id, say('hello'))).data ?? [];
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.type, 'user.message');
    assert.match(sent[0]!.id, /^sevt_/);
    const seen = await collect(stream, idleWith('end_turn'));
    assert.deepEqual(typesOf(seen), ['user.message', 'session.status_running', 'span.model_request_start', 'agent.thinking', 'agent.message', 'span.model_request_end', 'session.status_idle']);
    assert.equal(idOf(seen[0]!), sent[0]!.id, 'the stream echoes the sent event with the same id');
    const end = seen.find((e) => e.type === 'span.model_request_end');
    assert.ok(end?.type === 'span.model_request_end' && end.model_usage.output_tokens > 0);
    const message = seen.find((e) => e.type === 'agent.message');
    assert.ok(message?.type === 'agent.message');
    assert.deepEqual(message.content, [{ type: 'text', text: LONG_TEXT }]);

    // History: the same persisted ids, ascending, across pages of 2; filters and descending order.
    const listed: string[] = [];
    for await (const e of f.client.beta.sessions.events.list(session.id, { limit: 2 })) listed.push(e.id);
    assert.deepEqual(listed, seen.map(idOf));
    const pages = f.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/events'));
    assert.equal(pages.length, 4, 'seven events in pages of two');
    const messages = await f.client.beta.sessions.events.list(session.id, { types: ['agent.message', 'user.message'] });
    assert.deepEqual(typesOf(messages.data), ['user.message', 'agent.message']);
    const desc = await f.client.beta.sessions.events.list(session.id, { order: 'desc' });
    assert.deepEqual(desc.data.map((e) => e.id), [...listed].reverse());
    const after = await f.client.beta.sessions.events.list(session.id, { created_at: { gte: message.processed_at! } } as Anthropic.Beta.Sessions.EventListParams);
    assert.ok(after.data.every((e) => e.processed_at! >= message.processed_at!) && after.data.length >= 3);
    assert.ok(f.requests.every((r) => r.beta?.split(',').includes('managed-agents-2026-04-01')), 'every SDK request carries the managed-agents beta');
    assert.equal((await f.client.beta.sessions.retrieve(session.id)).status, 'idle');
  });

  it('previews a message with event_start / event_delta only on a connection that opted in', async () => {
    f = await startApi({ script: [reply.text(LONG_TEXT, { chunk_delay_ms: 5 })] });
    const session = await f.session((await f.agent()).id);
    const withDeltas = await f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    const plain = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('preview please'));
    const [previewed, unpreviewed] = await Promise.all([collect(withDeltas, idleWith('end_turn')), collect(plain, idleWith('end_turn'))]);
    const start = previewed.findIndex((e) => e.type === 'event_start');
    const final = previewed.findIndex((e) => e.type === 'agent.message');
    assert.ok(start >= 0 && final > start);
    const startEvent = previewed[start];
    const finalEvent = previewed[final];
    assert.ok(startEvent?.type === 'event_start' && finalEvent?.type === 'agent.message');
    assert.equal(startEvent.event.id, finalEvent.id, 'the preview and the buffered event share an id');
    const deltas = previewed.slice(start + 1, final).filter((e) => e.type === 'event_delta');
    assert.ok(deltas.length >= 2, `expected several deltas, got ${deltas.length}`);
    let acc: ReturnType<typeof accumulateManagedAgentsEvent> = undefined;
    for (const e of previewed.slice(start, final)) acc = accumulateManagedAgentsEvent(acc, e);
    assert.deepEqual(acc && 'content' in acc ? acc.content : null, [{ type: 'text', text: LONG_TEXT }]);
    assert.ok(!typesOf(unpreviewed).some((t) => t === 'event_start' || t === 'event_delta'));
    const history = await f.client.beta.sessions.events.list(session.id);
    assert.ok(!typesOf(history.data).some((t) => t === 'event_start' || t === 'event_delta'), 'previews are never persisted');
    await assert.rejects(f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.tool_use' as 'agent.message'] }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.BadRequestError);
      assert.match(err.message, /event_deltas/);
      return true;
    });
  });

  it('round-trips a custom tool: use, requires_action, result echo, end_turn', async () => {
    f = await startApi({ script: [reply.tool('lookup', { q: 'order 1234' }), reply.text('Your order shipped.')] });
    const agent = await f.agent({ tools: [{ type: 'custom', name: 'lookup', description: 'Look an order up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }] });
    const session = await f.session(agent.id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('where is my order?'));
    const first = await collect(stream, idleWith('requires_action'));
    const use = first.find((e) => e.type === 'agent.custom_tool_use');
    const idle = first.at(-1);
    assert.ok(use?.type === 'agent.custom_tool_use' && idle?.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action');
    assert.deepEqual(use.input, { q: 'order 1234' });
    assert.deepEqual(idle.stop_reason.event_ids, [use.id]);
    const stream2 = await f.client.beta.sessions.events.stream(session.id);
    const echo = await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [{ type: 'text', text: 'shipped on Monday' }] }] });
    assert.ok(echo.data?.[0]?.processed_at, 'a custom tool result is processed on receipt');
    const second = await collect(stream2, idleWith('end_turn'));
    assert.deepEqual(typesOf(second).slice(0, 2), ['user.custom_tool_result', 'session.status_running']);
    assert.match(JSON.stringify(f.t.model.requests[1]!.body.messages), /shipped on Monday/);
  });

  it('asks before an always_ask bash call: allow runs it, deny sends the reason to the model', async () => {
    f = await startApi({
      script: [reply.tool('bash', { command: 'echo ran-it' }), reply.text('it ran'), reply.tool('bash', { command: 'echo must-not-run > nope.txt' }), reply.text('understood')],
    });
    const agent = await f.agent({ tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
    const session = await f.session(agent.id);
    const confirm = async (text: string, result: 'allow' | 'deny') => {
      const stream = await f.client.beta.sessions.events.stream(session.id);
      await f.client.beta.sessions.events.send(session.id, say(text));
      const asked = await collect(stream, idleWith('requires_action'));
      const use = asked.find((e) => e.type === 'agent.tool_use');
      assert.ok(use?.type === 'agent.tool_use');
      assert.equal(use.evaluated_permission, 'ask');
      const next = await f.client.beta.sessions.events.stream(session.id);
      await f.client.beta.sessions.events.send(session.id, {
        events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result, ...(result === 'deny' ? { deny_message: 'not on my machine' } : {}) }],
      });
      return { use, after: await collect(next, idleWith('end_turn')) };
    };
    const allowed = await confirm('run it', 'allow');
    assert.equal(allowed.after[0]!.type, 'user.tool_confirmation', 'the confirmation is echoed on the stream');
    const result = allowed.after.find((e) => e.type === 'agent.tool_result');
    assert.ok(result?.type === 'agent.tool_result' && result.tool_use_id === allowed.use.id);
    assert.match(JSON.stringify(result.content), /ran-it/);
    const denied = await confirm('run another', 'deny');
    // One order for both answers: the confirmation, running, then the tool result.
    for (const answered of [allowed.after, denied.after]) assert.deepEqual(typesOf(answered).slice(0, 3), ['user.tool_confirmation', 'session.status_running', 'agent.tool_result']);
    const idles = (await f.client.beta.sessions.events.list(session.id, { types: ['session.status_idle'] })).data;
    assert.ok(idles.length >= 4 && idles.every((e) => e.type === 'session.status_idle' && e.stop_details === null), 'every idle carries stop_details: null');
    const denial = denied.after.find((e) => e.type === 'agent.tool_result');
    assert.ok(denial?.type === 'agent.tool_result' && denial.is_error);
    assert.match(JSON.stringify(f.t.model.requests[3]!.body.messages.at(-1)), /not on my machine/);
    const changes = await f.t.runtime.sessions.changes(session.id);
    assert.ok(!JSON.stringify(changes).includes('nope.txt'), 'the denied command did not run');
  });

  it('interrupts a hanging model request: span closed, idle end_turn, next message starts a new turn', async () => {
    f = await startApi({ script: [reply.fault('hang'), reply.text('fresh start')] });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    await f.client.beta.sessions.events.send(session.id, say('this will hang'));
    await collect(stream, (seen) => seen.some((e) => e.type === 'span.model_request_start'));
    const live = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    const after = await collect(live, idleWith('end_turn'));
    assert.deepEqual(typesOf(after), ['user.interrupt', 'span.model_request_end', 'session.status_idle']);
    const next = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('again'));
    const turn = await collect(next, idleWith('end_turn'));
    assert.ok(turn.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('fresh start')));
    // On an idle session an interrupt is only echoed.
    const quiet = await f.client.beta.sessions.events.stream(session.id);
    const echo = await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    const idleEvents = await collect(quiet, (seen) => seen.some((e) => e.type === 'user.interrupt'));
    assert.equal(idleEvents.length, 1);
    assert.equal(echo.data?.[0]?.type, 'user.interrupt');
    await f.t.runtime.settled(session.id);
    const last = (await f.client.beta.sessions.events.list(session.id, { order: 'desc', limit: 1 })).data[0];
    assert.equal(last?.type, 'user.interrupt');
  });

  it('keeps an open stream alive when the session is released and re-woken (agent tools updated)', async () => {
    f = await startApi({ script: [reply.text('first'), reply.text('second')] });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('one'));
    const seen: StreamEvent[] = [];
    const iterate = collect(stream, (s) => {
      seen.push(s.at(-1)!);
      return s.filter((e) => e.type === 'session.status_idle').length === 2;
    });
    while (!seen.some((e) => e.type === 'session.status_idle')) await new Promise((r) => setTimeout(r, 20));
    // Changing tools releases the driver (lease, log writer); the stream must follow the session across it.
    await f.client.beta.sessions.update(session.id, { agent: { tools: [{ type: 'agent_toolset_20260401', default_config: { enabled: false } }] } } as Anthropic.Beta.Sessions.SessionUpdateParams);
    await f.client.beta.sessions.events.send(session.id, say('two'));
    const all = await iterate;
    assert.ok(typesOf(all).includes('session.updated'));
    assert.equal(all.filter((e) => e.type === 'agent.message').length, 2);
    assert.equal(new Set(all.map(idOf)).size, all.length, 'no event delivered twice');
  });
});
