import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openCliRuntime } from '../../../src/cli/env';
import { byAgent, delegating, reply, startScriptedModel, type ScriptedModel } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { useCli } from './harness';
import { inTerminal, screenText } from './terminal';

// "Allow for this session" in the terminal, through the real CLI process: `hangar confirm … allow-for-session` runs the
// waiting call and every later call of that tool by the same agent without asking (a sub-agent's call: that
// sub-agent's agent only, `--thread` naming its thread or left out), and the interactive prompt's [a]lways does the
// same. Bad answers, calls that do not wait and a wrong --thread are refused.

const askingBash = [{ type: 'agent_toolset_20260401' as const, configs: [{ name: 'bash' as const, permission_policy: { type: 'always_ask' as const } }] }];
const lead = delegating({ writer: 'Write a.txt', checker: 'Run the checks' }, ['wrote a', 'checked']);

describe('cli: allow for this session', function () {
  this.timeout(90_000);
  const t = useCli();
  let model: ScriptedModel | undefined;
  afterEach(async () => model?.close());

  /** A coordinator agent file whose checker asks before bash (agents made in this test's storage). */
  async function coordinatorFile(): Promise<string> {
    const rt = await openCliRuntime({ storage: t.home, provider: 'local' });
    try {
      const writer = await rt.agents.create({ name: 'writer', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
      const checker = await rt.agents.create({ name: 'checker', model: DEFAULT_MODEL, tools: askingBash });
      const file = path.join(t.home, 'lead.json');
      writeFileSync(file, JSON.stringify({ name: 'lead', model: DEFAULT_MODEL, tools: askingBash, multiagent: { type: 'coordinator', agents: [writer.id, checker.id] } }));
      return file;
    } finally {
      await rt.close();
    }
  }
  const checkerScript = () =>
    byAgent({
      lead,
      writer: [reply.tool('write', { file_path: 'a.txt', content: 'A\n' }), reply.text('wrote a')],
      checker: [reply.tool('bash', { command: 'echo one >> checks.txt' }), reply.tool('bash', { command: 'echo two >> checks.txt' }), reply.text('checked')],
    });

  it('confirm … allow-for-session runs the call and the later ones of that tool; bad answers and ids are refused', async () => {
    const agentFile = path.join(t.home, 'agent.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'asker', model: DEFAULT_MODEL, tools: askingBash }));
    t.model.push(reply.tool('bash', { command: 'echo one >> log.txt' }), reply.tool('bash', { command: 'echo two >> log.txt' }), reply.text('ran both'));
    const r = await t.hangar(['run', '--agent', agentFile, '--repo', t.repo, 'two commands']);
    assert.equal(r.code, 4, r.stderr);
    const m = / confirm (sesn_\w+) (sevt_\w+) allow\|allow-for-session\|deny/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [, session, call] = m;

    const maybe = await t.hangar(['confirm', session!, call!, 'maybe']);
    assert.equal(maybe.code, 2);
    assert.match(maybe.stderr, /the answer is allow, allow-for-session, deny/);
    const nope = await t.hangar(['confirm', session!, 'sevt_nope', 'allow-for-session']);
    assert.notEqual(nope.code, 0);
    assert.match(nope.stderr, /Tool call sevt_nope does not wait for approval/);

    const c = await t.hangar(['confirm', session!, call!, 'allow-for-session']);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /Allowed bash for the rest of the session; the call runs\./);
    assert.doesNotMatch(c.stdout, /needs your approval/, 'the second bash call did not ask');
    assert.match(c.stdout, /\+one\n\+two/, 'both calls ran');
    const again = await t.hangar(['confirm', session!, call!, 'allow-for-session']);
    assert.match(again.stderr, /does not wait for approval/, 'an answered call is refused');
  });

  it("allows a sub-agent's tool for that sub-agent with --thread, and refuses another thread", async () => {
    model = await startScriptedModel({ script: checkerScript() });
    const agent = await coordinatorFile();
    const run = await t.hangar(['run', '--agent', agent, '--repo', t.repo, 'Split the work'], { ANTHROPIC_BASE_URL: model.url });
    assert.equal(run.code, 4, run.stdout + run.stderr);
    const checker = /▶ sub-agent checker started \((sthr_\w+)\)/.exec(run.stdout)?.[1];
    const writer = /▶ sub-agent writer started \((sthr_\w+)\)/.exec(run.stdout)?.[1];
    const m = / confirm (sesn_\w+) (sevt_\w+) allow\|allow-for-session\|deny/.exec(run.stdout);
    assert.ok(checker && writer && m, run.stdout);
    const [, session, call] = m;

    const wrong = await t.hangar(['confirm', session!, call!, 'allow-for-session', '--thread', writer], { ANTHROPIC_BASE_URL: model.url });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, new RegExp(`Tool call ${call} is in thread ${checker}, not ${writer}`));

    const c = await t.hangar(['confirm', session!, call!, 'allow-for-session', '--thread', checker], { ANTHROPIC_BASE_URL: model.url });
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, new RegExp(`Allowed bash for the rest of the session for the sub-agent of thread ${checker}; the call runs\\.`));
    assert.doesNotMatch(c.stdout, /needs your approval/, "the checker's second bash call did not ask");
    assert.match(c.stdout, /All agents are done\./);
    // The checker's agent allows bash now; the coordinator's still asks.
    const rt = await openCliRuntime({ storage: t.home, provider: 'local' });
    try {
      assert.deepEqual(await rt.permissions.allowed(session!, checker), [{ name: 'bash' }]);
      assert.deepEqual(await rt.permissions.allowed(session!), []);
    } finally {
      await rt.close();
    }
  });

  it("the terminal prompt's [a]lways allows the sub-agent's tool and asks no more", async () => {
    model = await startScriptedModel({ script: checkerScript() });
    const agent = await coordinatorFile();
    const term = inTerminal([process.execPath, t.cli, 'run', '--agent', agent, '--repo', t.repo, 'Split the work'], t.env({ TERM: 'xterm', ANTHROPIC_BASE_URL: model.url }));
    term.answer(/\[y\]es \/ \[a\]lways in this session \/ \[n\]o: /, 'a\r', 300);
    assert.equal(await term.done, 0, term.raw);
    const screen = screenText(term.raw);
    assert.match(screen, /Allow checker: bash \$ echo one >> checks\.txt\? \[y\]es \/ \[a\]lways in this session \/ \[n\]o: a/);
    assert.match(screen, /Allowed bash for the rest of the session for checker\./);
    assert.equal(screen.match(/\[a\]lways in this session/g)?.length, 1, 'asked once');
    assert.match(screen, /← from checker: checked[\s\S]*All agents are done\./);
  });
});
