import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { inTerminal, screenText } from './terminal';
import { useCli } from './harness';

// The commands a user types, and what they print and exit with.

describe('cli: hangar as a user runs it', function () {
  this.timeout(60_000);
  const t = useCli();

  it('says exactly how to provide a key when there is none', async () => {
    const r = await t.hangar(['run', '--repo', t.repo, 'do it'], { ANTHROPIC_API_KEY: undefined });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ANTHROPIC_API_KEY/);
    assert.match(r.stderr, /hangar demo/);
  });

  it('stores a key given on standard input in the 0600 vault and uses it without the variable', async () => {
    const bad = await t.hangar(['set-key'], {}, 'x\n');
    assert.equal(bad.code, 2);
    const set = await t.hangar(['set-key'], {}, 'sk-ant-from-stdin-123\n');
    assert.equal(set.code, 0, set.stderr);
    const vaultFile = path.join(t.home, 'vault.json');
    assert.equal(statSync(vaultFile).mode & 0o777, 0o600);
    t.model.push(reply.text('keyed'));
    const r = await t.hangar(['run', '--repo', t.repo, 'hi'], { ANTHROPIC_API_KEY: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.model.requests.at(-1)?.headers.authorization, 'Bearer sk-ant-from-stdin-123');
  });

  it('runs a session, shows the diff and summary, then applies it', async () => {
    t.model.push(reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }), reply.text('Changed the greeting.'));
    const r = await t.hangar(['run', '--repo', t.repo, 'change the greeting']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Changed the greeting\./);
    assert.match(r.stdout, /\+console\.log\("hello"\);/);
    assert.match(r.stdout, /Summary {2}turns 1 · model requests 2 · tool calls 1/);
    assert.equal(readFileSync(path.join(t.repo, 'src/app.js'), 'utf8'), 'console.log("hi");\n', 'the repository is untouched until apply');
    const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1];
    assert.ok(id);
    const hint = /Apply with: (.+)\n/.exec(r.stdout)?.[1];
    assert.ok(hint, r.stdout);
    // The printed hint works pasted into a shell anywhere (no `hangar` on PATH here).
    const applied = await t.shell(hint);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(readFileSync(path.join(t.repo, 'src/app.js'), 'utf8'), 'console.log("hello");\n');
    assert.doesNotMatch(applied.stdout, /nothing has touched|Apply with|@@/, 'apply lists files, not the diff');
    assert.match(applied.stdout, /Applied 1 file\(s\) to .*:\n {2}src\/app\.js/);
    const diff = await t.hangar(['diff', id]);
    assert.match(diff.stdout, /applied to .* at \d{4}-/);
    assert.doesNotMatch(diff.stdout, /nothing has touched|Apply with/);
    const list = await t.hangar(['sessions']);
    assert.match(list.stdout, new RegExp(`${id} .*local +applied \\d{4}-.*${t.repo}`));
    const again = await t.hangar(['apply', id]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Already applied/);
  });

  it('names the sandbox and repository in the run header and keeps setup lines out of the output', async () => {
    t.model.push(reply.text('hello'));
    const r = await t.hangar(['run', '--repo', t.repo, 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`local sandbox · repo ${t.repo}`));
    assert.doesNotMatch(r.stdout + r.stderr, /Listing the repository files|Copied \d+ files/);
  });

  it('exits 2 on bad usage and unknown sessions, with a message', async () => {
    for (const args of [['run'], ['--nope', 'sessions'], ['nope'], ['events', 'sesn_doesnotexist'], ['diff', 'sesn_doesnotexist']]) {
      const r = await t.hangar(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '', args.join(' '));
    }
    // A warm pool size out of range, from the flag or the variable, is refused before anything starts.
    for (const [args, extra] of [[['serve', '--warm-pool', '9'], {}], [['serve', '--warm-pool', 'two'], {}], [['serve'], { HANGAR_WARM_POOL: '-1' }]] as const) {
      const r = await t.hangar([...args], extra);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /expected a number of containers from 0 to 8/);
    }
    // The --repo default is said once, in words (commander would add its own `(default: "…")` for a default value).
    const help = await t.hangar(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /\n {2}--repo <dir> +the repository \(default: the current directory\)\n/);
    assert.equal(help.stdout.match(/default/g)?.length, 1, help.stdout);
  });

  it('resume returns at once on an idle session and refuses a message', async () => {
    t.model.push(reply.text('done'));
    const r = await t.hangar(['--json', 'run', '--repo', t.repo, 'hi']);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;
    const idle = await t.hangar(['resume', id]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /nothing to resume[\s\S]* send /);
    const withText = await t.hangar(['resume', id, 'more']);
    assert.equal(withText.code, 2);
    assert.match(withText.stderr, /resume takes no message/);
  });

  it('does not mention Docker on commands that touch no sandbox, and says it once with the flag', async () => {
    const noDocker = { HANGAR_SANDBOX: 'auto', DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    t.model.push(reply.text('one'), reply.text('two'));
    const first = await t.hangar(['run', '--repo', t.repo, 'one'], noDocker);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Docker sandboxes are not available[\s\S]*--provider local/);
    assert.doesNotMatch(first.stderr, /hangar\.image|hangar\.sandbox\.provider|environment config/);
    const second = await t.hangar(['run', '--repo', t.repo, 'two'], noDocker);
    assert.doesNotMatch(second.stderr, /Docker/);
    const id = /session (sesn_\w+)/.exec(second.stdout)?.[1] ?? '';
    for (const args of [['sessions'], ['events', id]]) assert.equal((await t.hangar(args, noDocker)).stderr, '', args[0]);
  });

  it('opens a local session under auto even when Docker is available (Docker required)', async () => {
    t.model.push(reply.tool('write', { file_path: 'x.txt', content: 'x\n' }), reply.text('ok'));
    const r = await t.hangar(['run', '--repo', t.repo, 'x'], { HANGAR_SANDBOX: 'local' });
    const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1] ?? '';
    const diff = await t.hangar(['diff', id], { HANGAR_SANDBOX: 'auto' });
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /x\.txt/);
  });

  it('refuses to apply over a file the user changed, naming it, and writes nothing', async () => {
    t.model.push(reply.tool('bash', { command: 'echo new > added.txt && sed -i s/hi/hey/ src/app.js' }), reply.text('done'));
    const r = await t.hangar(['run', '--json', '--repo', t.repo, 'edit']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; session_id?: string; end?: string });
    const summary = lines.at(-1)!;
    assert.equal(summary.type, 'hangar.summary');
    assert.equal(summary.end, 'end_turn');
    writeFileSync(path.join(t.repo, 'src/app.js'), 'console.log("mine");\n');
    const applied = await t.hangar(['apply', summary.session_id!]);
    assert.equal(applied.code, 5);
    assert.match(applied.stderr, /src\/app\.js: the file changed in the repository/);
    assert.equal(readFileSync(path.join(t.repo, 'src/app.js'), 'utf8'), 'console.log("mine");\n');
    assert.throws(() => readFileSync(path.join(t.repo, 'added.txt')), /ENOENT/, 'a conflict anywhere means nothing is written');
  });

  it('stops with exit 4 when a tool needs approval and nobody can answer, then continues on confirm', async () => {
    const agentFile = path.join(t.home, 'agent.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'asker', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] }));
    t.model.push(reply.tool('bash', { command: 'echo approved > ok.txt' }), reply.text('ran'));
    const r = await t.hangar(['run', '--agent', agentFile, '--repo', t.repo, 'needs approval']);
    assert.equal(r.code, 4, r.stderr);
    const m = / confirm (sesn_\w+) (sevt_\w+) allow\|allow-for-session\|deny/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const c = await t.hangar(['confirm', m[1]!, m[2]!, 'allow']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /Summary {2}turns 1 · model requests 2 · tool calls 1/, 'the summary counts the turn it continued');
    assert.match(c.stdout, /\+approved/, 'confirm shows the diff');
    const diff = await t.hangar(['diff', m[1]!]);
    assert.match(diff.stdout, /ok\.txt/);
  });

  it('runs the session in its own container with --provider docker (Docker required)', async () => {
    // write goes through the tool server shipped beside the CLI; bash proves who runs the commands.
    t.model.push(reply.tool('write', { file_path: 'notes.txt', content: 'from the container\n' }), reply.tool('bash', { command: 'id -un > who.txt' }), reply.text('checked'));
    const r = await t.hangar(['run', '--provider', 'docker', '--repo', t.repo, 'who am i']);
    assert.equal(r.code, 0, r.stderr);
    const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const underAuto = await t.hangar(['diff', id], { HANGAR_SANDBOX: 'auto' });
    assert.equal(underAuto.code, 0, underAuto.stderr);
    const engineGone = await t.hangar(['diff', id], { HANGAR_SANDBOX: 'auto', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(engineGone.code, 2);
    assert.match(engineGone.stderr, /works in a Docker sandbox, and Docker sandboxes are not available now[\s\S]*docker-engine\.sh/);
    const mismatched = await t.hangar(['apply', id]);
    assert.equal(mismatched.code, 2, 'the local provider cannot see a docker session');
    assert.match(mismatched.stderr, /works in a docker sandbox[\s\S]*--provider docker/);
    const applied = await t.hangar(['--provider', 'docker', 'apply', id]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /who\.txt/);
    assert.equal(readFileSync(path.join(t.repo, 'notes.txt'), 'utf8'), 'from the container\n', 'the shipped tool server ran the write tool');
    const deleted = await t.hangar(['--provider', 'docker', 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await t.hangar(['--provider', 'docker', 'diff', id]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /does not exist/);
    assert.equal(readFileSync(path.join(t.repo, 'who.txt'), 'utf8'), 'agent\n', 'the command ran as the sandbox user inside the container');
  });

  it('lists sessions and prints events as JSON lines', async () => {
    t.model.push(reply.text('hello'));
    const r = await t.hangar(['run', '--repo', t.repo, 'hi']);
    assert.equal(r.code, 0);
    const list = await t.hangar(['--json', 'sessions']);
    const sessions = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string });
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.status, 'idle');
    const events = await t.hangar(['--json', 'events', sessions[0]!.id]);
    const types = events.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(types, ['user.message', 'session.status_running', 'span.model_request_start', 'agent.thinking', 'agent.message', 'span.model_request_end', 'session.status_idle']);
  });

  it('keeps the approval question on screen while it waits for the answer', async () => {
    const agentFile = path.join(t.home, 'agent.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'asker', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] }));
    t.model.push(reply.tool('bash', { command: 'echo approved > ok.txt' }), reply.text('ran'));
    const term = inTerminal([process.execPath, t.cli, 'run', '--agent', agentFile, '--repo', t.repo, 'needs approval'], t.env({ TERM: 'xterm' }));
    // Answered after several spinner ticks: an erasing spinner would have wiped the question by then.
    term.answer(/\[n\]o: /, 'y\r', 600);
    assert.equal(await term.done, 0, term.raw);
    assert.match(screenText(term.raw), /Allow bash \$ echo approved > ok\.txt\? \[y\]es \/ \[a\]lways in this session \/ \[n\]o: y/);
  });

  it('ends quietly when the reader of its output goes away', async () => {
    for (let i = 0; i < 12; i++) t.model.push(reply.tool('bash', { command: `yes line-${i} | head -c 20000` }));
    t.model.push(reply.text('done'));
    const r = await t.hangar(['--json', 'run', '--repo', t.repo, 'lots of output']);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;
    const piped = await t.shell(`${process.execPath} ${t.cli} --storage ${t.home} --json events ${id} | head -1`);
    assert.equal(piped.stdout.trim().split('\n').length, 1);
    assert.equal(piped.stderr, '', 'no EPIPE stack trace');
  });

  it('folds long tool output and names a command that prints all of it', async () => {
    t.model.push(reply.tool('bash', { command: 'seq 1 20' }), reply.text('counted'));
    const r = await t.hangar(['run', '--repo', t.repo, 'count']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /│ 20\n/, 'the output is folded');
    const hint = /… 12 more lines \(all of it: (.+)\)\n/.exec(r.stdout)?.[1];
    assert.ok(hint, r.stdout);
    // Pasted into a shell anywhere, it prints the whole output.
    const all = await t.shell(hint);
    assert.equal(all.code, 0, all.stderr);
    const result = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; content?: { text?: string }[] })
      .find((e) => e.type === 'agent.tool_result');
    assert.match(result?.content?.[0]?.text ?? '', /^1\n2\n[\s\S]*\n19\n20\n?$/);
  });

  it('rejects a bad agent file with what is wrong', async () => {
    const agentFile = path.join(t.home, 'bad.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'x', tools: [{ type: 'agent_toolset_20260401' }] }));
    const r = await t.hangar(['run', '--agent', agentFile, '--repo', t.repo, 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a valid agent definition[\s\S]*model/);
  });

  it('answers unknown session ids with a not-found error and exit 2', async () => {
    const r = await t.hangar(['interrupt', 'sesn_doesnotexist']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Session sesn_doesnotexist does not exist/);
  });

  it('runs the demo without a key and ends with passing tests', async () => {
    const r = await t.hangar(['demo'], { ANTHROPIC_API_KEY: undefined, ANTHROPIC_BASE_URL: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SCRIPTED model/);
    assert.match(r.stdout, /- {2}return a - b;\n\+ {2}return a \+ b;/);
    assert.match(r.stdout, /Its tests now say:[\s\S]*\nok\n/);
  });
});
