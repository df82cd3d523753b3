import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byAgent, delegating, DELEGATION_DONE, reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { tmpDir } from '../../support/tmp';
import { rendezvous, startsBeforeEnds } from '../../support/rendezvous';
import { isAlive } from '../../support/process';

// Each sub-agent thread runs bash in a shell of its own in the session's one sandbox: two threads' commands run at
// the same time, a thread's cd stays its own, and archiving a thread ends its shell.

describe('harness: a shell per sub-agent thread', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  async function session(writer: string[], tester: string[]) {
    t = await makeTestRuntime({
      script: byAgent({
        lead: delegating({ writer: 'w', tester: 't' }, ['writer done', 'tester done']),
        writer: [...writer.map((command) => reply.tool('bash', { command })), reply.text('writer done')],
        tester: [...tester.map((command) => reply.tool('bash', { command })), reply.text('tester done')],
      }),
    });
    const w = await t.agent({ name: 'writer' });
    const s = await t.agent({ name: 'tester' });
    const lead = await t.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [w, s] } });
    const created = await t.runtime.sessions.create({ agent: lead, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
    await t.runtime.sessions.send(created.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    const done = (e: readonly SessionEvent[]) =>
      e.some((x) => x.type === 'session.status_idle') && e.some((x) => x.type === 'agent.message' && JSON.stringify(x.content).includes(DELEGATION_DONE));
    const events = await t.waitFor(created.id, done, 30_000);
    return { id: created.id, events };
  }

  it("runs two threads' commands at the same time, each in its own cwd", async () => {
    const marks = path.join(tmpDir('marks'), 'log');
    const { events } = await session(
      ['mkdir -p w && cd w', rendezvous(marks, 'writer', 'tester'), 'pwd'],
      ['mkdir -p t && cd t', rendezvous(marks, 'tester', 'writer'), 'pwd'],
    );
    startsBeforeEnds(readFileSync(marks, 'utf8'));
    const bash = events.filter((e) => e.type === 'agent.tool_result' && e._hangar?.thread);
    assert.ok(bash.every((e) => e.type === 'agent.tool_result' && !e.is_error), JSON.stringify(bash));
    // Each thread's pwd is where its own cd left it, not where the other thread went.
    const pwdOf = (agent: string) => {
      const thread = events.find((e) => e.type === 'session.thread_created' && e.agent_name === agent);
      const use = events.find((e) => e.type === 'agent.tool_use' && e.input.command === 'pwd' && thread?.type === 'session.thread_created' && e._hangar?.thread === thread.session_thread_id);
      const result = events.find((e) => e.type === 'agent.tool_result' && e.tool_use_id === use?.id);
      return result?.type === 'agent.tool_result' ? (result.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('') : '';
    };
    assert.match(pwdOf('writer'), /\/w$/);
    assert.match(pwdOf('tester'), /\/t$/);
  });

  it("ends a thread's shell when the thread is archived", async () => {
    const pids = tmpDir('pids');
    const { id, events } = await session([`echo $$ > ${pids}/writer`], [`echo $$ > ${pids}/tester`]);
    const pidOf = (name: string) => Number(readFileSync(path.join(pids, name), 'utf8').trim());
    assert.notEqual(pidOf('writer'), pidOf('tester'), 'two shells');
    assert.ok(isAlive(pidOf('writer')) && isAlive(pidOf('tester')), 'a shell outlives its thread’s turn');
    const writer = events.find((e) => e.type === 'session.thread_created' && e.agent_name === 'writer');
    assert.ok(writer?.type === 'session.thread_created');
    await t.runtime.sessions.archiveThread(id, writer.session_thread_id);
    assert.equal(isAlive(pidOf('writer')), false, 'the archived thread’s shell is gone');
    assert.equal(isAlive(pidOf('tester')), true, 'the other thread’s shell lives on');
  });
});
