import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { RemoteRuntimeClient, RuntimeRefusal } from '../../../src/extension/connection/remote-client';
import { byAgent, delegating, reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import type { AgentCreateParams, SessionEvent, StreamPreview } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useServedRuntime } from '../../support/served-runtime';

// What the panel gets over a detached runtime (issue #15), over real HTTP: the RemoteRuntimeClient (the official SDK
// inside) against the real API server on a real runtime. The log's checkpoint events reach it in the history and live
// (the panel's rewind and fork buttons hang on them), and so do the previews the in-process panel shows: text as it
// streams and a running command's output.

describe('remote runtime client: checkpoints and previews over HTTP', function () {
  this.timeout(60_000);
  let t: TestRuntime | undefined;
  // Heartbeats often enough for the stream tests.
  const served = useServedRuntime({ heartbeatMs: 200 });
  const serve = (runtime: TestRuntime) => served.serve(runtime);

  async function connect(script: NonNullable<Parameters<typeof makeTestRuntime>[0]>['script'], tools: AgentCreateParams['tools'] = [{ type: 'agent_toolset_20260401' }]): Promise<{ c: RemoteRuntimeClient; sessionId: string }> {
    t = await makeTestRuntime({ script });
    const c = await serve(t);
    const agent = await c.createAgent({ name: 'parity', model: DEFAULT_MODEL, tools });
    const env = await c.defaultEnvironment({});
    const session = await c.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
    return { c, sessionId: session.id };
  }

  async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('follows checkpoint events and previews live, lists the checkpoints in the history, and rewinds to one', async () => {
    const { c, sessionId } = await connect([
      reply.tool('bash', { command: 'for i in 1 2 3 4; do echo "line $i" >> out.txt; cat out.txt; sleep 0.3; done' }),
      reply.text('All four lines are written, one by one, as you asked.', { chunk_delay_ms: 40 }),
      reply.text('Back at the first checkpoint.'),
    ]);
    const events: SessionEvent[] = [];
    const previews: StreamPreview[] = [];
    const stop = await c.follow(sessionId, 'now', { onEvent: (e) => events.push(e), onPreview: (p) => previews.push(p) });
    await c.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'write four lines' }] }]);
    await waitFor('the idle', () => (events.some((e) => e.type === 'session.status_idle') ? true : undefined));
    stop();

    const toolCheckpoint = events.find((e) => e.type === 'hangar.checkpoint' && e.trigger === 'tool_call');
    assert.ok(toolCheckpoint?.type === 'hangar.checkpoint', `followed: ${events.map((e) => e.type).join(', ')}`);
    const call = events.find((e) => e.type === 'agent.tool_use');
    assert.equal(toolCheckpoint.tool_use_id, call?.id, 'the checkpoint marks the bash call');
    assert.ok(events.some((e) => e.type === 'hangar.checkpoint' && e.trigger === 'idle'), 'and the idle');

    const output = previews.filter((p) => p.type === 'tool_output');
    assert.ok(output.some((p) => p.tool_use_id === call?.id && p.tail.includes('line 1')), `tool output previews: ${JSON.stringify(output)}`);
    const message = events.find((e) => e.type === 'agent.message');
    const deltas = previews.filter((p) => p.type === 'event_delta' && p.event_id === message?.id);
    assert.ok(deltas.length > 1, `the message streamed in pieces before it was logged: ${previews.map((p) => p.type).join(', ')}`);
    assert.equal(deltas.map((p) => (p.type === 'event_delta' ? p.delta.content.text : '')).join(''), 'All four lines are written, one by one, as you asked.');

    const history = await c.sessionEvents(sessionId);
    assert.deepEqual(history.map((e) => e.id), events.map((e) => e.id), 'the history holds the checkpoint events where the stream had them');

    const [first] = await c.checkpoints(sessionId);
    assert.equal(first?.event_id, toolCheckpoint.id);
    const rewound = await c.rewind(sessionId, first!.id);
    assert.equal(rewound.checkpoint.id, first!.id);
    const after = await c.sessionEvents(sessionId, ['hangar.rewind']);
    assert.deepEqual(after.map((e) => e.type), ['hangar.rewind']);
  });

  it('allows a tool for the session through the runtime: the waiting call runs, the list says so, a refusal is its sentence', async () => {
    const { c, sessionId } = await connect([reply.tool('bash', { command: 'echo asked' }), reply.tool('bash', { command: 'echo allowed' }), reply.text('done')], [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', enabled: true, permission_policy: { type: 'always_ask' } }] }]);
    const events: SessionEvent[] = [];
    const stop = await c.follow(sessionId, 'now', { onEvent: (e) => events.push(e) });
    await c.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'run' }] }]);
    await waitFor('the question', () => (events.some((e) => e.type === 'session.status_idle' && e.stop_reason.type === 'requires_action') ? true : undefined));
    await c.permissions.allow(sessionId, { name: 'bash' });
    await waitFor('the end of the turn', () => (events.some((e) => e.type === 'session.status_idle' && e.stop_reason.type === 'end_turn') ? true : undefined));
    stop();
    assert.deepEqual(events.flatMap((e) => (e.type === 'agent.tool_use' ? [e.evaluated_permission] : [])), ['ask', 'allow']);
    assert.deepEqual(await c.permissions.all(sessionId), { type: 'session_allowances', tools: [{ name: 'bash' }], sub_agents: [] });
    await assert.rejects(c.permissions.revoke(sessionId, { name: 'read' }), (err: unknown) => err instanceof RuntimeRefusal && err.status === 400 && /read is not allowed for session .*nothing to revoke/.test(err.message));
    await c.permissions.revoke(sessionId, { name: 'bash' });
    assert.deepEqual((await c.permissions.all(sessionId)).tools, []);
  });

  it('starts best-of attempts on the runtime and compares them; bad input is its sentence', async () => {
    const { c, sessionId } = await connect((req) => (JSON.stringify(req.body.messages).includes('tool_result') ? reply.text('attempt done') : reply.tool('write', { file_path: 'attempt.txt', content: 'mine\n' })));
    const session = await c.retrieveSession(sessionId);
    const params = { n: 2, agents: [session.agent.id], environment_id: session.environment_id, resources: [{ type: 'local_repository' as const, path: t!.repo }], title: 'attempt', first: { type: 'user.message' as const, content: [{ type: 'text' as const, text: 'write it' }] } };
    const ids = await c.bestOf.start(params);
    assert.equal(ids.length, 2);
    for (const id of ids) await waitFor(`attempt ${id} to finish`, async () => ((await c.sessionEvents(id, ['agent.message'])).length > 0 && (await c.retrieveSession(id)).status === 'idle' ? true : undefined));
    const rows = await c.bestOf.compare(ids);
    assert.deepEqual(rows.map((r) => [r.id, r.status, r.files]), ids.map((id) => [id, 'idle', 1]));
    await assert.rejects(c.bestOf.start({ ...params, n: 9 }), (err: unknown) => err instanceof RuntimeRefusal && err.status === 400 && /Best-of takes 1 to 4 attempts/.test(err.message));
  });

  it("follows a sub-agent thread's previews: its command's output and its text as they stream", async () => {
    t = await makeTestRuntime({
      script: byAgent({
        lead: delegating({ counter: 'Count to four' }, ['Counted to four, slowly.']),
        counter: [reply.tool('bash', { command: 'for i in 1 2 3 4; do echo "count $i"; sleep 0.3; done' }), reply.text('Counted to four, slowly.', { chunk_delay_ms: 40 })],
      }),
    });
    const c = await serve(t);
    const counter = await c.createAgent({ name: 'counter', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const lead = await c.createAgent({ name: 'lead', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }], multiagent: { type: 'coordinator', agents: [counter.id] } });
    const env = await c.defaultEnvironment({});
    const { id } = await c.createSession({ agent: lead.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
    const events: SessionEvent[] = [];
    const previews: StreamPreview[] = [];
    const stops: (() => void)[] = [];
    stops.push(await c.follow(id, 'now', { onEvent: (e) => {
      events.push(e);
      if (e.type === 'session.thread_created') void c.followThreadPreviews(id, e.session_thread_id, (p) => previews.push(p)).then((stop) => stops.push(stop));
    } }));
    await c.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'count' }] }]);
    await waitFor('the coordinator to finish', () => (events.some((e) => e.type === 'session.status_idle' && e.stop_reason.type === 'end_turn') ? true : undefined), 40_000);
    for (const stop of stops) stop();
    assert.ok(previews.some((p) => p.type === 'tool_output' && p.tail.includes('count 1')), `the sub-agent's command output: ${previews.map((p) => p.type).join(', ')}`);
    const text = previews.flatMap((p) => (p.type === 'event_delta' ? [p.delta.content.text] : [])).join('');
    assert.ok(text.includes('Counted to four, slowly.'), `the sub-agent's text as it streamed: ${text}`);
    // An unknown thread: the runtime refuses its stream (404), so the follow ends and delivers nothing.
    const sdk = new Anthropic({ apiKey: served.current.server.token, baseURL: served.current.server.url });
    await assert.rejects(sdk.beta.sessions.threads.events.stream('sthr_nosuch', { session_id: id }), (err: unknown) => err instanceof Anthropic.APIError && err.status === 404);
    const none: StreamPreview[] = [];
    (await c.followThreadPreviews(id, 'sthr_nosuch', (p) => none.push(p)))();
    assert.deepEqual(none, []);
  });
});
