import assert from 'node:assert/strict';
import { agentOf, byAgent, delegating, reply, type RecordedRequest } from '../../../src/model/scripted';
import type { EventOf, SessionEvent } from '../../../src/wire';
import { RuntimeError } from '../../../src/runtime/errors';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// Checkpoints and rewind of a multi-agent session (runtime/checkpoints.ts under every thread's view): its threads share
// one sandbox, so a checkpoint follows any thread's call that changed files; a rewind waits until every thread has
// settled, puts the one sandbox back, and each thread's context continues from its own events up to the checkpoint.

const sessionIdles = (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle').length;
const said = (text: string, thread?: string) => [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }], ...(thread ? { session_thread_id: thread } : {}) }];
const lastOf = (t: TestRuntime, agent: string): RecordedRequest => t.model.requests.filter((r) => agentOf(r) === agent).at(-1)!;

describe('harness: checkpoints and rewind of a multi-agent session', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it("checkpoints after each thread's file change; a rewind once every thread settled restores the shared files and each thread's context", async () => {
    t = await makeTestRuntime({
      script: byAgent({
        lead: delegating({ writer: 'Write a.txt', tester: 'Write b.txt' }, ['wrote a', 'wrote b']),
        writer: [
          reply.tool('write', { file_path: 'a.txt', content: 'A\n' }),
          reply.text('wrote a'),
          reply.tool('bash', { command: 'echo A2 > a.txt && rm b.txt && echo c > c.txt' }),
          reply.text('changed a'),
          reply.text('writer after the rewind'),
          reply.tool('bash', { command: 'sleep 3' }),
          reply.text('slept'),
        ],
        tester: [reply.tool('bash', { command: "printf 'B\\n' > b.txt && chmod +x b.txt" }), reply.text('wrote b')],
      }),
    });
    const writer = await t.agent({ name: 'writer' });
    const tester = await t.agent({ name: 'tester' });
    const lead = await t.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [writer, tester] } });
    const id = (await t.runtime.sessions.create({ agent: lead, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;

    await t.runtime.sessions.send(id, said('Split the work'));
    const first = await t.waitFor(id, (es) => sessionIdles(es) >= 1, 30_000);
    const subCalls = first.filter((e) => e.type === 'agent.tool_use' && e._hangar?.thread).map((e) => e.id);
    const checkpoints = await t.runtime.sessions.checkpoints(id);
    // The sub-agents write at the same time: a checkpoint after the first result may hold both changes already, and
    // then the second result's files are the same tree, which is not recorded twice.
    const afterCalls = checkpoints.filter((c) => c.trigger === 'tool_call');
    assert.ok(afterCalls.length >= 1 && afterCalls.every((c) => subCalls.includes(c.tool_use_id!)), "checkpoints after the sub-agents' file changes");
    assert.equal(checkpoints.at(-1)?.trigger, 'idle', 'and one at the session idle');
    assert.equal(checkpoints.at(-1)?.tree, afterCalls.at(-1)?.tree, 'which holds both');
    const atFirst = checkpoints.at(-1)!;
    const patchAtFirst = (await t.runtime.sessions.changes(id)).patch;
    const writerThread = (first.find((e) => e.type === 'session.thread_created' && e.agent_name === 'writer') as EventOf<'session.thread_created'>).session_thread_id;

    // The user steers the writer: it changes, deletes and adds files in the shared sandbox.
    await t.runtime.sessions.send(id, said('Change a', writerThread));
    const second = await t.waitFor(id, (es) => sessionIdles(es) >= 2, 30_000);
    const steeredCall = second.filter((e) => e.type === 'agent.tool_use').at(-1)!;
    assert.equal(steeredCall._hangar?.thread, writerThread);
    assert.ok((await t.runtime.sessions.checkpoints(id)).some((c) => c.trigger === 'tool_call' && c.tool_use_id === steeredCall.id), "a checkpoint after the sub-agent's call");
    const patchAtSecond = (await t.runtime.sessions.changes(id)).patch;
    assert.notEqual(patchAtSecond, patchAtFirst);

    const done = await t.runtime.sessions.rewind(id, atFirst.id);
    assert.equal((await t.runtime.sessions.changes(id)).patch, patchAtFirst, 'the shared files are back: bytes, the mode, the deleted and the added file');

    // Each thread goes on from the checkpoint: the writer does not remember its second task, nor the coordinator its answer.
    await t.runtime.sessions.send(id, said('After the rewind', writerThread));
    await t.waitFor(id, (es) => sessionIdles(es) >= 3, 30_000);
    const writerContext = JSON.stringify(lastOf(t, 'writer').body.messages);
    assert.match(writerContext, /wrote a/);
    assert.match(writerContext, /After the rewind/);
    assert.doesNotMatch(writerContext, /Change a|changed a/, "the writer's context holds nothing the rewind undid");
    const leadContext = JSON.stringify(lastOf(t, 'lead').body.messages);
    assert.match(leadContext, /wrote b/);
    assert.match(leadContext, /writer after the rewind/);
    assert.doesNotMatch(leadContext, /changed a/, "nor the coordinator's");

    // A rewind waits until every thread settled: refused while the writer runs a command.
    await t.runtime.sessions.send(id, said('Sleep', writerThread));
    await t.waitFor(id, (es) => es.some((e) => e.type === 'agent.tool_use' && e.name === 'bash' && JSON.stringify(e.input).includes('sleep 3')), 30_000);
    await assert.rejects(t.runtime.sessions.rewind(id, done.before_checkpoint_id), (e: unknown) => e instanceof RuntimeError && /is running\. Interrupt it first/.test(e.message));
    await t.waitFor(id, (es) => sessionIdles(es) >= 4, 30_000);
    await t.runtime.sessions.rewind(id, done.before_checkpoint_id);
    assert.equal((await t.runtime.sessions.changes(id)).patch, patchAtSecond, 'undone: the files are as they were before the rewind');
  });
});
