import assert from 'node:assert/strict';
import { byAgent, delegating, DELEGATION_DONE, reply } from '../../../src/model/scripted';
import type { EventOf, SessionEvent } from '../../../src/wire';
import { LocalRuntimeClient } from '../../../src/extension/connection/local-client';
import { answerPrompt, pendingPrompts } from '../../../src/extension/notifications/pending-prompts';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// The VS Code notification's path for a call waiting in a sub-agent thread, below the UI: the prompt read from the log
// names its thread and agent, and its "Allow for this session" (answerPrompt, what the notification's link runs)
// allows the tool for that sub-agent, not the coordinator, and runs the waiting call; the allowances the panel and the
// revoke command list (RuntimeClient.permissions.all) show it as that sub-agent's.

const uses = (events: readonly SessionEvent[]) => events.filter((e): e is EventOf<'agent.tool_use'> => e.type === 'agent.tool_use' && e.session_thread_id !== undefined);
const askBash = { type: 'agent_toolset_20260401' as const, configs: [{ name: 'bash' as const, permission_policy: { type: 'always_ask' as const } }] };

describe("notification path: a sub-agent's waiting call", () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it("is named by its thread and allowed for the session for that sub-agent's agent only", async () => {
    t = await makeTestRuntime({
      script: byAgent({
        lead: delegating({ tester: 'Write the files' }, ['tested']),
        tester: [reply.tool('bash', { command: 'echo 1 > one.txt' }), reply.tool('bash', { command: 'echo 2 > two.txt' }), reply.text('tested')],
      }),
    });
    const tester = await t.agent({ name: 'tester', tools: [askBash] });
    const lead = await t.agent({ name: 'lead', tools: [askBash], multiagent: { type: 'coordinator', agents: [tester] } });
    const id = (await t.runtime.sessions.create({ agent: lead, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
    await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'Write them' }] }]);

    let events = await t.waitFor(id, (e) => {
      const last = e.at(-1);
      return last?.type === 'session.status_idle' && last.stop_reason.type === 'requires_action';
    }, 20_000);
    const ask = uses(events).find((u) => u.name === 'bash' && u.evaluated_permission === 'ask')!;
    const client = new LocalRuntimeClient(t.runtime, t.runtime.options.storageRoot);
    const prompts = await pendingPrompts(client, id);
    assert.deepEqual(prompts.map((p) => ({ toolUseId: p.toolUseId, kind: p.kind, name: p.name, agent: p.agent, thread: p.thread })), [
      { toolUseId: ask.id, kind: 'permission', name: 'bash', agent: 'tester', thread: ask.session_thread_id },
    ]);

    await answerPrompt({ client }, prompts[0]!, 'allowForSession');
    events = await t.waitFor(id, (e) => e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE)) && e.at(-1)?.type === 'session.status_idle', 30_000);
    const bash = uses(events).filter((u) => u.session_thread_id === ask.session_thread_id && u.name === 'bash');
    assert.deepEqual(bash.map((u) => u.evaluated_permission), ['ask', 'allow'], 'the waiting call ran and the next did not ask');
    assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path).sort(), ['one.txt', 'two.txt']);
    // What the panel's allowances list and the revoke command read: the sub-agent's, not the coordinator's.
    const thread = prompts[0]!.thread!;
    assert.deepEqual(await client.permissions.all(id), { type: 'session_allowances', tools: [], sub_agents: [{ agent: 'tester', threads: [thread], tools: [{ name: 'bash' }] }] });
    await t.runtime.permissions.revoke(id, { name: 'bash' }, thread);
    assert.deepEqual(await client.permissions.all(id), { type: 'session_allowances', tools: [], sub_agents: [{ agent: 'tester', threads: [thread], tools: [] }] });
    assert.deepEqual(await pendingPrompts(client, id), [], 'nothing waits any more');
  });
});
