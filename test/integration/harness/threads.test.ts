import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { agentOf, byAgent, delegating, DELEGATION_DONE, reply, type RecordedRequest, type Reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';
import type { RuntimeOptions } from '../../../src/runtime';

// Multi-agent sessions through the runtime: a coordinator delegates to two roster agents that run in parallel threads.

const sessionIdle = (reason = 'end_turn') => (e: readonly SessionEvent[]) => e.some((x) => x.type === 'session.status_idle' && x.stop_reason.type === reason);
const textOfRequest = (r: RecordedRequest) => JSON.stringify(r.body.messages);
/** The coordinator: delegates both tasks in one reply, then waits until both answers are in. */
const lead = delegating({ writer: 'Write a.txt', tester: 'Write b.txt' }, ['wrote a', 'wrote b']);

for (const api of MODEL_APIS) {
  describe(`harness: multi-agent threads (${api})`, () => {
    let t: TestRuntime;
    afterEach(async () => t?.close());

    async function coordinatorSession(routes: Parameters<typeof byAgent>[0], extra: { tester?: object; runtime?: Partial<RuntimeOptions> } = {}) {
      t = await makeTestRuntime({ api, script: byAgent(routes), runtime: extra.runtime });
      const writer = await t.agent({ name: 'writer', description: 'writes files' });
      const tester = await t.agent({ name: 'tester', ...extra.tester });
      const coordinator = await t.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [writer, tester] } });
      const s = await t.runtime.sessions.create({ agent: coordinator, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
      return s.id;
    }

    it('runs two sub-agents in parallel threads, posts their answers to the coordinator and idles once all are done', async () => {
      const id = await coordinatorSession({
        lead: lead,
        writer: [{ ...reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), delay_ms: 300 }, reply.text('wrote a')],
        tester: [{ ...reply.tool('write', { file_path: 'b.txt', content: 'B\n' }), delay_ms: 300 }, reply.text('wrote b')],
      });
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'Split the work' }] }]);
      const events = await t.waitFor(id, (e) => sessionIdle()(e) && e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE)), 20_000);

      const created = events.filter((e) => e.type === 'session.thread_created');
      assert.deepEqual(created.map((e) => e.type === 'session.thread_created' && e.agent_name), ['writer', 'tester']);
      const received = events.filter((e) => e.type === 'agent.thread_message_received' && !e._hangar?.thread);
      assert.equal(received.length, 2, 'each answer reaches the coordinator once');
      // The two sub-agents' first requests overlapped (each took 300 ms): they ran concurrently.
      const first = (name: string) => t.model.requests.find((r) => agentOf(r) === name)!;
      const second = (name: string) => t.model.requests.filter((r) => agentOf(r) === name)[1]!;
      assert.ok(first('tester').at < second('writer').at && first('writer').at < second('tester').at, 'the sub-agents ran at the same time');
      // Each thread has its own context and system prompt.
      assert.match(JSON.stringify(first('writer').body.system), /sub-agent working for the coordinator \\"lead\\"/);
      assert.doesNotMatch(textOfRequest(first('writer')), /Write b\.txt/);
      assert.match(JSON.stringify(first('lead').body.tools), /send_to_agent/);
      assert.doesNotMatch(JSON.stringify(first('writer').body.tools), /send_to_agent/);
      // One sandbox: both files are in the session's diff.
      const changes = await t.runtime.sessions.changes(id);
      assert.deepEqual(changes.files.map((f) => f.path).sort(), ['a.txt', 'b.txt']);
      // The session went idle exactly once, at the end; the threads idled on their own.
      const idles = events.filter((e) => e.type === 'session.status_idle');
      assert.equal(idles.length, 1);
      assert.equal(events.filter((e) => e.type === 'session.thread_status_idle' && e._hangar?.thread).length, 2);
      assert.equal((await t.runtime.sessions.retrieve(id)).status, 'idle');
      assert.equal(readFileSync(path.join(t.repo, 'README.md'), 'utf8'), '# sample\n', 'the workspace itself is untouched');
    });

    it('interrupts one thread while the other finishes, and tells the coordinator', async () => {
      const id = await coordinatorSession({
        lead: lead,
        writer: [{ ...reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), delay_ms: 500 }, reply.text('wrote a')],
        tester: [reply.tool('bash', { command: 'sleep 30' }), reply.text('never')],
      });
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const running = await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.tool_use' && x.name === 'bash' && x.input.command === 'sleep 30'));
      const sleeper = running.find((x) => x.type === 'agent.tool_use' && x.input.command === 'sleep 30')!;
      const tester = sleeper._hangar?.thread;
      assert.ok(tester && sleeper.type === 'agent.tool_use' && sleeper.session_thread_id === tester, 'a sub-thread tool call carries its thread id');
      await t.runtime.sessions.send(id, [{ type: 'user.interrupt', session_thread_id: tester }]);
      const answers = (e: readonly SessionEvent[]) => e.filter((x) => x.type === 'agent.thread_message_received' && !x._hangar?.thread).length;
      const events = await t.waitFor(id, (e) => sessionIdle()(e) && answers(e) === 2, 20_000);
      const result = events.find((e) => e.type === 'agent.tool_result' && e.tool_use_id === sleeper.id);
      assert.match(JSON.stringify(result), /interrupted/);
      const interrupted = events.find((e) => e.type === 'agent.thread_message_received' && !e._hangar?.thread && e.from_agent_name === 'tester');
      assert.match(JSON.stringify(interrupted), /interrupted this agent/);
      assert.equal((await t.runtime.sessions.changes(id)).files.map((f) => f.path).join(), 'a.txt');
    });

    it('routes a sub-thread confirmation to the thread that asked; the session waits for it with requires_action', async () => {
      const id = await coordinatorSession(
        {
          lead: lead,
          writer: [reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), reply.text('wrote a')],
          tester: [reply.tool('bash', { command: 'echo B > b.txt' }), reply.text('wrote b')],
        },
        { tester: { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] } },
      );
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const waiting = await t.waitFor(id, sessionIdle('requires_action'));
      const ask = waiting.find((e) => e.type === 'agent.tool_use' && e.evaluated_permission === 'ask')!;
      const idle = waiting.find((e) => e.type === 'session.status_idle')!;
      assert.ok(idle.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action');
      assert.deepEqual(idle.stop_reason.event_ids, [ask.id], 'the session names the sub-thread call it waits for');
      assert.ok(ask.type === 'agent.tool_use' && ask.session_thread_id);
      const [echo] = await t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: ask.id, result: 'allow' }]);
      assert.ok(echo?.type === 'user.tool_confirmation' && echo.session_thread_id === ask.session_thread_id, 'the echo names the thread it was routed to');
      await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE)) && sessionIdle()(e), 20_000);
      assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path).sort(), ['a.txt', 'b.txt']);
    });

    it('keeps to the thread limit with an error the coordinator can act on', async () => {
      const id = await coordinatorSession(
        { lead: lead, writer: [reply.text('wrote a')], tester: [reply.text('wrote b')] },
        { runtime: { maxThreads: 1 } },
      );
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      await t.runtime.settled(id);
      const events = await t.events(id);
      assert.equal(events.filter((e) => e.type === 'session.thread_created').length, 1);
      const refused = events.find((e) => e.type === 'agent.tool_result' && e.is_error);
      assert.match(JSON.stringify(refused), /thread_limit_error: this session already has 1 thread, the most/);
      assert.ok(events.at(-1)?.type === 'session.status_idle');
    });

    it('stops a sub-agent that exceeds the requests per turn in its own thread and tells the coordinator', async () => {
      const id = await coordinatorSession(
        { lead: lead, writer: () => reply.tool('read', { file_path: 'README.md' }), tester: [reply.text('wrote b')] },
        { runtime: { maxRequestsPerTurn: 3 } },
      );
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      await t.runtime.settled(id);
      const events = await t.events(id);
      const limit = events.find((e) => e.type === 'session.error' && e.error.type === 'tool_use_limit_reached_error');
      const limited = limit?._hangar?.thread;
      assert.ok(limited, 'the limit is the sub-thread’s own');
      const stopped = events.find((e) => e.type === 'session.thread_status_idle' && e._hangar?.thread === limited && e.stop_reason.type === 'retries_exhausted');
      assert.ok(stopped, 'the sub-thread idles with retries_exhausted');
      assert.match(JSON.stringify(events.filter((e) => e.type === 'agent.thread_message_received' && !e._hangar?.thread)), /This agent stopped/);
      const last = events.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', 'the coordinator finishes the session');
    });

    it('archives an idle sub-thread (not a running one); the coordinator gets an error when it messages it', async () => {
      const coordinator = (r: RecordedRequest): Reply => {
        const text = textOfRequest(r);
        if (!text.includes('send_to_agent')) return reply.tool('send_to_agent', { agent: 'writer', message: 'Write a.txt' });
        const thread = /Started thread (sthr_\w+)/.exec(text)?.[1];
        if (text.includes('follow up') && !text.includes('is archived')) return reply.tool('send_to_agent', { session_thread_id: thread, message: 'more' });
        return reply.text('ok');
      };
      const id = await coordinatorSession({ lead: coordinator, writer: [{ ...reply.text('wrote a'), delay_ms: 400 }] });
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const started = await t.waitFor(id, (e) => e.some((x) => x.type === 'session.thread_created'));
      const created = started.find((e) => e.type === 'session.thread_created')!;
      const tid = created.type === 'session.thread_created' ? created.session_thread_id : '';
      await assert.rejects(t.runtime.sessions.archiveThread(id, tid), /is running; interrupt it/);
      await t.runtime.settled(id);
      const archived = await t.runtime.sessions.archiveThread(id, tid);
      assert.equal(archived.status, 'terminated');
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'follow up' }] }]);
      await t.runtime.settled(id);
      const events = await t.events(id);
      const refused = events.filter((e) => e.type === 'agent.tool_result' && e.is_error);
      assert.match(JSON.stringify(refused), /is archived and takes no more messages/);
      assert.ok(events.at(-1)?.type === 'session.status_idle');
    });

    it('archiving the session stops every thread and ends them with it', async () => {
      const id = await coordinatorSession({ lead: lead, writer: [reply.tool('bash', { command: 'sleep 30' })], tester: [reply.tool('bash', { command: 'sleep 30' })] });
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      await t.waitFor(id, (e) => e.filter((x) => x.type === 'agent.tool_use' && x.name === 'bash').length === 2);
      const session = await t.runtime.sessions.archive(id);
      assert.equal(session.status, 'terminated');
      const events = await t.events(id);
      const bash = events.filter((e) => e.type === 'agent.tool_use' && e.name === 'bash');
      for (const use of bash) assert.ok(events.some((e) => e.type === 'agent.tool_result' && e.tool_use_id === use.id && e.is_error), 'each running call was stopped');
      assert.equal(events.filter((e) => e.type === 'agent.thread_message_received' && !e._hangar?.thread).length, 0, 'an interrupt of the whole session posts nothing to the coordinator');
      assert.equal(events.at(-1)?.type, 'session.status_terminated');
      const threads = await t.runtime.sessions.threads(id);
      assert.deepEqual(threads.map((x) => x.status), ['terminated', 'terminated', 'terminated']);
      assert.ok(threads.every((x) => x.archived_at !== null));
    });

    it('sends a sub-thread custom tool result to the thread that asked, whatever thread id the client echoes', async () => {
      const id = await coordinatorSession(
        { lead: lead, writer: [reply.text('wrote a')], tester: [reply.tool('lookup', { key: 'b' }), reply.text('wrote b')] },
        { tester: { tools: [{ type: 'custom', name: 'lookup', description: 'Looks a key up', input_schema: { type: 'object', properties: { key: { type: 'string' } } } }] } },
      );
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const waiting = await t.waitFor(id, sessionIdle('requires_action'));
      const use = waiting.find((e) => e.type === 'agent.custom_tool_use')!;
      assert.ok(use.type === 'agent.custom_tool_use' && use.session_thread_id === use._hangar?.thread);
      const idle = waiting.findLast((e) => e.type === 'session.status_idle');
      assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action' && idle.stop_reason.event_ids.includes(use.id));
      const [echo] = await t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [{ type: 'text', text: 'value B' }], session_thread_id: 'sthr_011elsewhere' }]);
      assert.ok(echo?.type === 'user.custom_tool_result' && echo.session_thread_id === use.session_thread_id, 'the echo names the thread that asked');
      await t.waitFor(id, (e) => sessionIdle()(e) && e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE)));
      const testerSecond = t.model.requests.filter((r) => agentOf(r) === 'tester')[1]!;
      assert.match(textOfRequest(testerSecond), /value B/, 'the result reached the tester’s context');
    });

    it('retries a sub-agent’s failed model request in its own thread; the session stays running', async () => {
      const id = await coordinatorSession({
        lead: lead,
        writer: [reply.fault('overloaded'), reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), reply.text('wrote a')],
        tester: [reply.text('wrote b')],
      });
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const events = await t.waitFor(id, (e) => sessionIdle()(e) && e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE)));
      const retrying = events.find((e) => e.type === 'session.error' && e.error.retry_status.type === 'retrying');
      assert.ok(retrying?._hangar?.thread, 'the retry is logged in the writer’s thread');
      assert.ok(!events.some((e) => e.type === 'session.status_rescheduled'), 'the session itself is not rescheduled');
      assert.equal(events.filter((e) => e.type === 'session.status_idle').length, 1);
      assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path), ['a.txt']);
    });

    it('refuses an interrupt naming a thread the session does not have', async () => {
      const id = await coordinatorSession({ lead: [reply.text('hi')] });
      await assert.rejects(t.runtime.sessions.send(id, [{ type: 'user.interrupt', session_thread_id: 'sthr_011nothing' }]), /names no thread of this session/);
    });

    it('tells the coordinator about a delegation to an unknown agent so it can correct itself', async () => {
      const id = await coordinatorSession({ lead: [reply.tool('send_to_agent', { agent: 'ghost', message: 'x' }), reply.text('ok')] });
      await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const events = await t.waitFor(id, sessionIdle());
      const result = events.find((e) => e.type === 'agent.tool_result');
      assert.ok(result?.type === 'agent.tool_result' && result.is_error);
      assert.match(JSON.stringify(result.content), /no agent named \\"ghost\\".*writer, tester/);
    });
  });
}
