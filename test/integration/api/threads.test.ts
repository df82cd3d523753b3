import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { byAgent, delegating, DELEGATION_DONE, reply, type RecordedRequest } from '../../../src/model/scripted';
import { collect, startApi, type ApiFixture, type StreamEvent } from './helpers';
import { typeCheckRecorded, type Recorded } from './sdk-types';

// Multi-agent sessions driven by the official SDK over HTTP: a coordinator with two roster agents runs them in
// parallel threads; a sub-thread's always_ask call is confirmed through the SDK; one thread is interrupted while the
// other finishes; the threads endpoints and the session-level stream show them as the reference says.

const requestText = (r: RecordedRequest) => JSON.stringify(r.body.messages);
const lead = delegating(Object.fromEntries(['writer', 'tester', 'sleeper'].map((a) => [a, `Do the ${a} part`])), ['wrote a', 'wrote b', 'interrupted this agent']);


describe('API: multi-agent threads with the SDK', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('runs sub-agents in parallel, confirms a sub-thread call, interrupts one thread, and lists threads and their events', async () => {
    f = await startApi({
      script: byAgent({
        lead,
        // Enough output to cost dollars, so pricing it with the wrong model would show in the totals.
        writer: [{ ...reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), usage: { output_tokens: 200_000 } }, reply.text('wrote a', { usage: { output_tokens: 200_000 } })],
        tester: [reply.tool('bash', { command: 'echo B > b.txt' }), reply.text('wrote b')],
        sleeper: [reply.tool('bash', { command: 'sleep 30' }), reply.text('never')],
      }),
    });
    // The writer runs on another (pricier) model: its usage is priced with it.
    const writer = await f.agent({ name: 'writer', model: 'claude-opus-5-5' });
    const tester = await f.agent({ name: 'tester', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
    const sleeper = await f.agent({ name: 'sleeper' });
    const coordinator = await f.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [writer.id, tester.id, { type: 'agent', id: sleeper.id }] } });
    assert.deepEqual(coordinator.multiagent, { type: 'coordinator', agents: [writer, tester, sleeper].map((a) => ({ type: 'agent', id: a.id, version: 1 })) });
    const session = await f.session(coordinator.id);
    assert.deepEqual(session.agent.multiagent?.type === 'coordinator' && session.agent.multiagent.agents.map((a) => a.type === 'agent' && a.name), ['writer', 'tester', 'sleeper']);

    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Split the work' }] }] });
    const seen: StreamEvent[] = [];
    // The sleeper runs, the tester asks: interrupt the sleeper, confirm the tester through the SDK.
    let asked: string | null = null;
    let interrupted = false;
    const all = await collect(
      stream,
      (events) => {
        seen.splice(0, seen.length, ...events);
        const last = events.at(-1)!;
        if (last.type === 'agent.tool_use' && last.evaluated_permission === 'ask' && !asked) {
          asked = last.id;
          void f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: last.id, result: 'allow' }] });
        }
        if (last.type === 'session.thread_status_running' && last.agent_name === 'sleeper' && !interrupted) {
          interrupted = true;
          setTimeout(() => void f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt', session_thread_id: last.session_thread_id }] }), 300);
        }
        return events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(DELEGATION_DONE)) && last.type === 'session.status_idle';
      },
      45_000,
    );
    // The session stream: the primary thread plus condensed sub-thread activity, never a sub-agent's own messages.
    assert.ok(all.some((e) => e.type === 'session.thread_created'));
    assert.ok(all.some((e) => e.type === 'agent.tool_use' && e.id === asked && e.session_thread_id), 'the sub-thread call waiting for the user is cross-posted with its thread');
    assert.ok(all.some((e) => e.type === 'user.tool_confirmation' && e.session_thread_id), 'the confirmation echo names the thread it reached');
    assert.ok(!all.some((e) => e.type === 'agent.message' && /wrote a|wrote b/.test(JSON.stringify(e.content))), 'sub-agent messages stay in their threads');
    assert.equal(all.filter((e) => e.type === 'session.status_idle').length, 1, 'the session idles once, when every thread is done');

    const listed = [];
    for await (const e of f.client.beta.sessions.events.list(session.id)) listed.push(e);
    assert.ok(listed.some((e) => e.type === 'session.thread_created') && listed.some((e) => e.type === 'agent.thread_message_received'));
    assert.ok(!listed.some((e) => e.type === 'agent.message' && /wrote a|wrote b/.test(JSON.stringify(e.content))), 'the session’s events list keeps sub-agent messages in their threads');

    const threads: Anthropic.Beta.Sessions.BetaManagedAgentsSessionThread[] = [];
    for await (const t of f.client.beta.sessions.threads.list(session.id)) threads.push(t);
    assert.equal(threads.length, 4);
    const paged = [];
    for await (const t of f.client.beta.sessions.threads.list(session.id, { limit: 1 })) paged.push(t.id);
    assert.deepEqual(paged, threads.map((t) => t.id), 'a page at a time, every thread once, in order');
    assert.deepEqual((await f.client.beta.sessions.threads.list(session.id, { statuses: ['running'] })).data, []);
    await assert.rejects(f.client.beta.sessions.threads.list(session.id, { page: 'not-a-cursor' }), Anthropic.BadRequestError);
    assert.equal(threads[0]!.parent_thread_id, null);
    const byName = (n: string) => threads.find((t) => t.agent.type === 'agent' && t.agent.name === n)!;
    assert.equal(byName('writer').parent_thread_id, threads[0]!.id);
    for (const sub of threads.slice(1)) {
      const stats = sub.stats!;
      assert.ok(stats.active_seconds! >= 0 && stats.active_seconds! <= stats.duration_seconds!, 'a thread is active at most as long as it exists');
      assert.equal(sub.usage?.active_seconds, stats.active_seconds);
    }
    assert.ok(Number(byName('writer').usage?.list_cost?.amount ?? '0') >= 0);
    const total = (await f.client.beta.sessions.retrieve(session.id)).usage;
    assert.equal(threads.reduce((n, t) => n + (t.usage?.output_tokens ?? 0), 0), total.output_tokens, 'the session’s tokens are the threads’ sum');
    assert.equal(threads.reduce((n, t) => n + (t.usage?.input_tokens ?? 0), 0), total.input_tokens);
    // Each list_cost is rounded to whole cents on its own, so the sum may differ from the total by that rounding only.
    const cents = threads.map((t) => Number(t.usage?.list_cost?.amount ?? '0'));
    assert.ok(Math.abs(cents.reduce((a, b) => a + b, 0) - Number(total.list_cost?.amount)) <= threads.length / 2, `session cost ${total.list_cost?.amount} is the sum of ${cents.join(' + ')}`);
    const opus = f.t.runtime.catalog.lookup('claude-opus-5-5').prices.output;
    const sonnet = f.t.runtime.catalog.lookup('claude-sonnet-5-5').prices.output;
    assert.notEqual(opus, sonnet, 'the two models are priced differently, so a wrong price would show');
    const writerCents = Number(byName('writer').usage?.list_cost?.amount);
    assert.ok(Math.abs(writerCents - (400_000 * opus) / 10_000) <= 1, `the writer's ${writerCents} cents are priced with its own model`);
    const one = await f.client.beta.sessions.threads.retrieve(byName('writer').id, { session_id: session.id });
    const writerEvents = [];
    for await (const e of f.client.beta.sessions.threads.events.list(one.id, { session_id: session.id })) writerEvents.push(e);
    assert.ok(writerEvents.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('wrote a')), 'a thread lists its own events');
    assert.ok(!writerEvents.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('wrote b')));

    const diff = await f.t.runtime.sessions.changes(session.id);
    assert.deepEqual(diff.files.map((x) => x.path).sort(), ['a.txt', 'b.txt'], 'the diff holds both sub-agents’ work');

    const archived = await f.client.beta.sessions.threads.archive(byName('writer').id, { session_id: session.id });
    assert.equal(archived.status, 'terminated');
    assert.ok(archived.archived_at);
    await assert.rejects(f.client.beta.sessions.threads.archive(threads[0]!.id, { session_id: session.id }), (err: unknown) => err instanceof Anthropic.BadRequestError && /archive the session instead/.test(err.message));
    await assert.rejects(
      f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt', session_thread_id: 'sthr_011nothing' }] }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /names no thread of this session/.test(err.message),
    );

    const records: Recorded[] = [
      { label: 'threads.archive', type: 'Beta.Sessions.BetaManagedAgentsSessionThread', value: archived },
      { label: 'agents.create (coordinator)', type: 'Beta.BetaManagedAgentsAgent', value: coordinator },
      // The local_repository resource is Hangar's own (ARCHITECTURE.md, deviations); the roster is what is checked here.
      { label: 'sessions.create (roster expanded)', type: 'Beta.Sessions.BetaManagedAgentsSession', value: { ...session, resources: [] } },
      ...threads.map((t, i) => ({ label: `threads.list[${i}]`, type: 'Beta.Sessions.BetaManagedAgentsSessionThread', value: t })),
      ...writerEvents.map((e, i) => ({ label: `threads.events.list[${i}] ${e.type}`, type: 'Beta.Sessions.BetaManagedAgentsSessionEvent', value: e })),
      ...all.map((e, i) => ({ label: `stream[${i}] ${e.type}`, type: 'Beta.Sessions.BetaManagedAgentsStreamSessionEvents', value: e })),
      ...listed.map((e, i) => ({ label: `events.list[${i}] ${e.type}`, type: 'Beta.Sessions.BetaManagedAgentsSessionEvent', value: e })),
    ];
    assert.deepEqual(typeCheckRecorded(records), []);
  });

  it('streams one thread with its own previews; the session stream carries none of a sub-thread', async () => {
    f = await startApi({
      script: byAgent({
        lead: (r) => (requestText(r).includes('send_to_agent') ? reply.text('done') : reply.tool('send_to_agent', { agent: 'writer', message: 'Write it' })),
        writer: [{ ...reply.text('wrote a in the thread'), delay_ms: 800, chunk_delay_ms: 20 }],
      }),
    });
    const writer = await f.agent({ name: 'writer' });
    const coordinator = await f.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [writer.id] } });
    const session = await f.session(coordinator.id);
    const sessionStream = await f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
    let threadSeen: Promise<StreamEvent[]> | null = null;
    const onSession = await collect(sessionStream, (seen) => {
      const last = seen.at(-1)!;
      if (last.type === 'session.thread_created' && !threadSeen) {
        threadSeen = f.client.beta.sessions.threads.events
          .stream(last.session_thread_id, { session_id: session.id, event_deltas: ['agent.message'] })
          .then((s) => collect(s, (events) => events.some((e) => e.type === 'session.thread_status_idle')));
      }
      return last.type === 'session.status_idle';
    });
    const inThread = await threadSeen!;
    const message = inThread.find((e) => e.type === 'agent.message');
    assert.ok(message?.type === 'agent.message' && JSON.stringify(message.content).includes('wrote a in the thread'));
    assert.ok(inThread.some((e) => e.type === 'event_start' && e.event.id === message.id), 'the thread stream previews its own message');
    assert.ok(inThread.every((e) => e.type !== 'agent.message' || e.id === message.id), 'and only the thread’s messages');
    assert.ok(onSession.some((e) => e.type === 'event_start'), 'the session stream previews the coordinator');
    assert.ok(!onSession.some((e) => (e.type === 'event_start' && e.event.id === message.id) || (e.type === 'agent.message' && e.id === message.id)), 'but no sub-thread message or preview');
  });

  it('resolves the multiagent_20261001 form and refuses a roster naming a missing agent with the API error shape', async () => {
    f = await startApi({ script: [] });
    const member = await f.agent({ name: 'writer' });
    const modern = await f.agent({ name: 'lead', multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [member.id, { type: 'self' }] } } });
    const session = await f.session(modern.id);
    assert.deepEqual(
      session.agent.multiagent?.type === 'multiagent_20261001' && session.agent.multiagent.subagents.type === 'enabled' && session.agent.multiagent.subagents.predefined_agents.map((a) => a.name),
      ['writer', 'lead'],
    );
    assert.deepEqual(
      typeCheckRecorded([
        { label: 'agents.create (multiagent_20261001)', type: 'Beta.BetaManagedAgentsAgent', value: modern },
        { label: 'sessions.create (multiagent_20261001)', type: 'Beta.Sessions.BetaManagedAgentsSession', value: { ...session, resources: [] } },
      ]),
      [],
    );
    await assert.rejects(f.agent({ name: 'x', multiagent: { type: 'multiagent_20261001', workflows: { type: 'enabled' }, subagents: { type: 'enabled', predefined_agents: [member.id] } } }), (err: unknown) => {
      return err instanceof Anthropic.BadRequestError && /does not run workflows/.test(err.message);
    });
    await assert.rejects(f.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: ['agent_011missing'] } }), (err: unknown) => {
      return err instanceof Anthropic.BadRequestError && /agent agent_011missing does not exist/.test(err.message);
    });
  });
});
