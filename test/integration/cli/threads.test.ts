import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openCliRuntime } from '../../../src/cli/env';
import { byAgent, delegating, reply, startScriptedModel, type ScriptedModel } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import type { AgentCreateParams } from '../../../src/wire';
import { useCli } from './harness';
import { inTerminal, screenText } from './terminal';

// Multi-agent sessions in the terminal: `hangar run` follows each sub-agent's lifecycle and prefixes what it does
// with its name; `hangar threads` lists the threads with status and cost; `hangar events --thread` prints one thread
// and refuses an id the session does not have; `hangar send --thread` messages one sub-agent; `hangar demo --multi`
// runs a coordinator and two sub-agents.

const toolset = [{ type: 'agent_toolset_20260401' as const }];
const lead = delegating({ writer: 'Write a.txt', checker: 'Write b.txt' }, ['wrote a', 'wrote b']);

describe('cli: multi-agent threads', function () {
  this.timeout(90_000);
  const t = useCli();
  let model: ScriptedModel | undefined;
  afterEach(async () => model?.close());

  /** Roster agents made in this test's storage (as the API or VS Code would), and a coordinator agent file naming them. */
  async function coordinatorFile(checkerTools: AgentCreateParams['tools'] = toolset): Promise<string> {
    const rt = await openCliRuntime({ storage: t.home, provider: 'local' });
    try {
      const writer = await rt.agents.create({ name: 'writer', model: DEFAULT_MODEL, tools: toolset });
      const checker = await rt.agents.create({ name: 'checker', model: DEFAULT_MODEL, tools: checkerTools });
      const file = path.join(t.home, 'lead.json');
      writeFileSync(file, JSON.stringify({ name: 'lead', model: DEFAULT_MODEL, tools: toolset, multiagent: { type: 'coordinator', agents: [writer.id, checker.id] } }));
      return file;
    } finally {
      await rt.close();
    }
  }

  it('follows sub-agents in run, lists the threads, and prints one thread with events --thread', async () => {
    model = await startScriptedModel({
      script: byAgent({
        lead,
        writer: [reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), reply.text('wrote a'), reply.text('a.txt is ready')],
        checker: [reply.tool('write', { file_path: 'b.txt', content: 'B\n' }), reply.text('wrote b')],
      }),
    });
    const agent = await coordinatorFile();
    const run = await t.hangar(['run', '--repo', t.repo, '--agent', agent, 'Split the work'], { ANTHROPIC_BASE_URL: model.url });
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout;
    const writerId = /▶ sub-agent writer started \((sthr_\w+)\)/.exec(out)?.[1];
    assert.ok(writerId, out);
    assert.match(out, /▶ sub-agent checker started \(sthr_\w+\)/);
    assert.match(out, /→ to writer: Write a\.txt/);
    assert.match(out, /\[writer\] ⚙ write a\.txt/, 'a sub-agent tool call carries its name');
    assert.match(out, /\[checker\] ⚙ write b\.txt/);
    assert.match(out, /■ sub-agent writer finished/);
    assert.match(out, /← from checker: wrote b/);
    assert.match(out, /● agent {2}All agents are done\./, 'the coordinator prints without a prefix');
    assert.doesNotMatch(out, /\[lead\]/);
    const id = / apply (sesn_\w+)/.exec(out)?.[1];
    assert.ok(id, out);
    // The whole log printed (read without a runtime, no fold of the threads) names the sub-agents as the run did.
    const all = await t.hangar(['events', id]);
    assert.equal(all.code, 0, all.stderr);
    for (const line of [`▶ sub-agent writer started (${writerId})`, '→ to writer: Write a.txt', '[writer] ⚙ write a.txt', '[checker] ⚙ write b.txt', '■ sub-agent writer finished', '← from checker: wrote b']) assert.ok(all.stdout.includes(line), `${line} in:\n${all.stdout}`);

    const threads = await t.hangar(['threads', id]);
    assert.equal(threads.code, 0, threads.stderr);
    const rows = threads.stdout.trim().split('\n');
    assert.equal(rows.length, 3, threads.stdout);
    assert.match(rows[0]!, /^lead \(primary\) +sthr_\w+ +idle +\$\d/);
    assert.match(rows[1]!, new RegExp(`^writer +${writerId} +idle +\\$\\d`));
    assert.match(rows[2]!, /^checker +sthr_\w+ +idle +\$\d/);

    const one = await t.hangar(['events', id, '--thread', writerId]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /← from lead: Write a\.txt/, "the thread's task, as it got it");
    assert.match(one.stdout, /⚙ write a\.txt/);
    assert.match(one.stdout, /● agent {2}wrote a/);
    assert.doesNotMatch(one.stdout, /b\.txt|wrote b|All agents|\[writer\]/, 'only this thread, without prefixes');

    const json = await t.hangar(['--json', 'events', id, '--thread', writerId]);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.ok(events.some((e) => e.type === 'agent.tool_use'));
    assert.ok(!events.some((e) => e.type === 'user.message'), "the coordinator's user message is not the writer's");

    // send --thread messages the writer only; its answer reaches the coordinator.
    const steered = await t.hangar(['send', id, 'Is a.txt ready?', '--thread', writerId], { ANTHROPIC_BASE_URL: model.url });
    assert.equal(steered.code, 0, steered.stderr);
    assert.match(steered.stdout, /← from writer: \[The user messaged this agent directly: "Is a\.txt ready\?"/);
    const writerNow = await t.hangar(['events', id, '--thread', writerId]);
    assert.match(writerNow.stdout, /Is a\.txt ready\?[\s\S]*● agent {2}a\.txt is ready/, 'the writer got the message and answered it');
    const bad = await t.hangar(['send', id, 'hello', '--thread', 'sthr_nope'], { ANTHROPIC_BASE_URL: model.url });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /session_thread_id sthr_nope names no thread of session/);
  });

  it("asks on the terminal for a sub-agent's call, naming the sub-agent, and the turn goes on once answered", async () => {
    model = await startScriptedModel({
      script: byAgent({
        lead,
        writer: [reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), reply.text('wrote a')],
        checker: [reply.tool('bash', { command: 'echo B > b.txt' }), reply.text('wrote b')],
      }),
    });
    const agent = await coordinatorFile([{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }]);
    const term = inTerminal([process.execPath, t.cli, 'run', '--agent', agent, '--repo', t.repo, 'Split the work'], t.env({ TERM: 'xterm', ANTHROPIC_BASE_URL: model.url }));
    term.answer(/\[n\]o: /, 'y\r', 300);
    assert.equal(await term.done, 0, term.raw);
    const screen = screenText(term.raw);
    assert.match(screen, /\[checker\] ⚙ bash \$ echo B > b\.txt \(needs your approval\)/);
    assert.match(screen, /Allow checker: bash \$ echo B > b\.txt\? \[y\]es \/ \[a\]lways in this session \/ \[n\]o: y/);
    assert.match(screen, /← from checker: wrote b[\s\S]*All agents are done\./);
  });

  it('refuses a thread id the session does not have, with exit 2 and the ids it has', async () => {
    t.model.push(reply.text('done'));
    const run = await t.hangar(['run', '--repo', t.repo, 'hi']);
    assert.equal(run.code, 0, run.stderr);
    const sessionId = (JSON.parse((await t.hangar(['--json', 'sessions'])).stdout.split('\n')[0]!) as { id: string }).id;
    const r = await t.hangar(['events', sessionId, '--thread', 'sthr_nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`Session ${sessionId} has no thread sthr_nope\\. Its threads: sthr_\\w+ \\(hangar-default, primary\\)\\.`));
    assert.equal(r.stdout, '');
  });

  it('demo --multi: a coordinator and two sub-agents fix and document the sample repository', async () => {
    const r = await t.hangar(['demo', '--multi'], { ANTHROPIC_API_KEY: undefined, ANTHROPIC_BASE_URL: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SCRIPTED model.*coordinator and two sub-agents/);
    assert.match(r.stdout, /▶ sub-agent fixer started/);
    assert.match(r.stdout, /▶ sub-agent documenter started/);
    assert.match(r.stdout, /\[fixer\] ⚙ edit src\/math\.js/);
    assert.match(r.stdout, /\[documenter\] ⚙ write docs\/math\.md/);
    assert.match(r.stdout, /■ sub-agent fixer finished[\s\S]*Both sub-agents are done/);
    assert.match(r.stdout, /\n {2}lead \(primary\) +sthr_\w+ +idle +\$[\d.]+\n {2}fixer +sthr_\w+ +idle +\$[\d.]+\n {2}documenter +sthr_\w+ +idle +\$[\d.]+\n/);
    assert.match(r.stdout, /Applied docs\/math\.md, src\/math\.js to the sample repository/);
    assert.match(r.stdout, /Its tests now say:[\s\S]*\nok\n/);
  });
});
