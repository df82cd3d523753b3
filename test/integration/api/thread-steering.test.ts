import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { byAgent, reply, type RecordedRequest } from '../../../src/model/scripted';
import { collect, idleWith, startApi, type ApiFixture, type StreamEvent } from './helpers';

// Steering one sub-agent with the official SDK over HTTP: a user.message naming a sub-agent thread reaches that thread
// (the reference's echoes name the thread a routed event reached; its params have no thread field for messages, so the
// SDK sends it as an extra field), the sub-agent answers it, and its answer goes to the coordinator saying whom it
// answered. A message naming no thread, an archived thread, or a thread of a session without sub-agents is refused.

type Steer = Anthropic.Beta.Sessions.BetaManagedAgentsUserMessageEventParams & { session_thread_id: string };
const steer = (threadId: string, text: string): Steer => ({ type: 'user.message', content: [{ type: 'text', text }], session_thread_id: threadId });
const requestText = (r: RecordedRequest) => JSON.stringify(r.body.messages);

describe('API: steering a sub-agent thread with user.message', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('delivers a message to the named thread, which answers the coordinator; refuses unknown and archived threads', async () => {
    const leadRequests: string[] = [];
    f = await startApi({
      script: byAgent({
        lead: (r) => {
          leadRequests.push(requestText(r));
          return requestText(r).includes('send_to_agent') ? reply.text('noted') : reply.tool('send_to_agent', { agent: 'writer', message: 'Write the colour note' });
        },
        writer: (r) => {
          const text = requestText(r);
          if (text.includes('note.txt')) return reply.text('rewrote it as colour');
          return text.includes('British spelling') ? reply.tool('write', { file_path: 'note.txt', content: 'colour\n' }) : reply.text('first draft: color');
        },
      }),
    });
    const writer = await f.agent({ name: 'writer' });
    const lead = await f.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [writer.id] } });
    const session = await f.session(lead.id);

    let stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Get a note written' }] }] });
    await collect(stream, idleWith('end_turn'));
    const threads = (await f.client.beta.sessions.threads.list(session.id)).data;
    const thread = threads.find((t) => t.parent_thread_id !== null)!;
    assert.equal(thread.status, 'idle', 'the writer finished its first task');

    // The user steers the writer directly: the echo names its thread, the session runs again until both are done.
    stream = await f.client.beta.sessions.events.stream(session.id);
    const echo = await f.client.beta.sessions.events.send(session.id, { events: [steer(thread.id, 'Use British spelling')] });
    assert.equal((echo.data?.[0] as { session_thread_id?: string }).session_thread_id, thread.id, 'the echo names the thread the message reached');
    const after: StreamEvent[] = await collect(stream, (seen) => seen.some((e) => e.type === 'agent.thread_message_received') && seen.at(-1)?.type === 'session.status_idle');
    assert.ok(!after.some((e) => e.type === 'user.message'), 'the steering message stays in its thread (the session stream shows the coordinator)');

    const inThread: Anthropic.Beta.Sessions.BetaManagedAgentsSessionEvent[] = [];
    for await (const e of f.client.beta.sessions.threads.events.list(thread.id, { session_id: session.id })) inThread.push(e);
    const steered = inThread.findIndex((e) => e.type === 'user.message' && JSON.stringify(e.content).includes('British spelling'));
    assert.ok(steered > 0, 'the thread lists the user’s message');
    assert.ok(inThread.slice(steered).some((e) => e.type === 'agent.tool_use' && e.name === 'write'), 'and the sub-agent acted on it');
    assert.equal((await f.t.runtime.sessions.changes(session.id)).files.map((x) => x.path).join(), 'note.txt');
    const lastLead = leadRequests.at(-1)!;
    assert.ok(lastLead.includes('messaged this agent directly') && lastLead.includes('Use British spelling') && lastLead.includes('rewrote it as colour'), 'the coordinator is told what its sub-agent answered, and to whom');
    assert.ok(leadRequests.every((r) => !r.includes('first draft: color') || r.includes('Message from')), 'the coordinator got the first answer as a message from the writer');

    // Bad inputs: a thread this session does not have; the coordinator's own id goes to the coordinator.
    await assert.rejects(f.client.beta.sessions.events.send(session.id, { events: [steer('sthr_011nothing', 'hello')] }), (err: unknown) => err instanceof Anthropic.BadRequestError && /names no thread of session/.test(err.message));
    const archived = await f.client.beta.sessions.threads.archive(thread.id, { session_id: session.id });
    assert.equal(archived.status, 'terminated');
    await assert.rejects(
      f.client.beta.sessions.events.send(session.id, { events: [steer(thread.id, 'one more thing')] }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /is archived and takes no more messages/.test(err.message),
    );
    const before = (await f.client.beta.sessions.threads.events.list(thread.id, { session_id: session.id })).data.length;
    assert.equal(before, inThread.length + 1, 'nothing of the refused message was logged (the archive added its terminated status)');
  });

  it('refuses a thread id on a session without sub-agents and in initial_events', async () => {
    f = await startApi({ script: [] });
    const solo = await f.agent({ name: 'solo' });
    const session = await f.session(solo.id);
    await assert.rejects(f.client.beta.sessions.events.send(session.id, { events: [steer('sthr_011nothing', 'hello')] }), (err: unknown) => err instanceof Anthropic.BadRequestError && /names no thread of session/.test(err.message));
    assert.equal((await f.client.beta.sessions.events.list(session.id)).data.length, 0, 'nothing was logged');
    await assert.rejects(
      f.client.beta.sessions.create({ agent: solo.id, environment_id: f.t.envId, initial_events: [steer('sthr_011nothing', 'hello')] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /initial_events go to the coordinator/.test(err.message),
    );
  });
});
