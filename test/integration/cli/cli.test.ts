import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeEsmBundle, toolServerBundle } from '../../../bundles.mjs';
import { reply, startScriptedModel, type ScriptedModel } from '../../../src/model/scripted';
import { makeRepo } from '../../support/runtime';
import { inTerminal, screenText } from './terminal';
import { EVERYTHING_BIN } from '../../support/mcp-servers';

// The bundled CLI as a user runs it: a child process, the scripted model behind ANTHROPIC_BASE_URL, a temp HANGAR_HOME.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('cli: hangar as a user runs it', function () {
  this.timeout(60_000);
  let cli: string;
  let home: string;
  let model: ScriptedModel;
  let repo: string;

  const hangar = (args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: model.url, ...env },
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      if (input !== undefined) child.stdin?.end(input);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  /** A command line as a user pastes it, from a directory that is neither the repository nor Hangar's. */
  const shell = (line: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', line], { cwd: os.tmpdir(), env: { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  before(async () => {
    // Built inside the repository, as `npm run build` does, so the CLI finds its bundled sample repository.
    cli = path.resolve('.cache', 'test-cli', 'cli.js');
    await build({ ...nodeEsmBundle('src/cli/index.ts', cli), logLevel: 'error' });
    // Beside the CLI, as in dist/: the Docker provider ships this bundle into each container.
    await build({ ...toolServerBundle(path.join(path.dirname(cli), 'toolserver.cjs')), logLevel: 'error' });
  });
  // A fresh model per test: a failing test must not leave replies behind for the next one.
  beforeEach(async () => {
    model = await startScriptedModel();
    home = mkdtempSync(path.join(os.tmpdir(), 'hangar-cli-home-'));
    repo = makeRepo({ 'README.md': '# demo\n', 'src/app.js': 'console.log("hi");\n' });
  });
  afterEach(async () => {
    await model.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('says exactly how to provide a key when there is none', async () => {
    const r = await hangar(['run', '--repo', repo, 'do it'], { ANTHROPIC_API_KEY: undefined });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ANTHROPIC_API_KEY/);
    assert.match(r.stderr, /hangar demo/);
  });

  it('stores a key given on standard input in the 0600 vault and uses it without the variable', async () => {
    const bad = await hangar(['set-key'], {}, 'x\n');
    assert.equal(bad.code, 2);
    const set = await hangar(['set-key'], {}, 'sk-ant-from-stdin-123\n');
    assert.equal(set.code, 0, set.stderr);
    const vaultFile = path.join(home, 'vault.json');
    assert.equal(statSync(vaultFile).mode & 0o777, 0o600);
    model.push(reply.text('keyed'));
    const r = await hangar(['run', '--repo', repo, 'hi'], { ANTHROPIC_API_KEY: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(model.requests.at(-1)?.headers.authorization, 'Bearer sk-ant-from-stdin-123');
  });

  it('runs a session, shows the diff and summary, then applies it', async () => {
    model.push(reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }), reply.text('Changed the greeting.'));
    const r = await hangar(['run', '--repo', repo, 'change the greeting']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Changed the greeting\./);
    assert.match(r.stdout, /\+console\.log\("hello"\);/);
    assert.match(r.stdout, /Summary {2}turns 1 · model requests 2 · tool calls 1/);
    assert.equal(readFileSync(path.join(repo, 'src/app.js'), 'utf8'), 'console.log("hi");\n', 'the repository is untouched until apply');
    const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1];
    assert.ok(id);
    const hint = /Apply with: (.+)\n/.exec(r.stdout)?.[1];
    assert.ok(hint, r.stdout);
    // The printed hint works pasted into a shell anywhere (no `hangar` on PATH here).
    const applied = await shell(hint);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(readFileSync(path.join(repo, 'src/app.js'), 'utf8'), 'console.log("hello");\n');
    assert.doesNotMatch(applied.stdout, /nothing has touched|Apply with|@@/, 'apply lists files, not the diff');
    assert.match(applied.stdout, /Applied 1 file\(s\) to .*:\n {2}src\/app\.js/);
    const diff = await hangar(['diff', id]);
    assert.match(diff.stdout, /applied to .* at \d{4}-/);
    assert.doesNotMatch(diff.stdout, /nothing has touched|Apply with/);
    const list = await hangar(['sessions']);
    assert.match(list.stdout, new RegExp(`${id} .*local +applied \\d{4}-.*${repo}`));
    const again = await hangar(['apply', id]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Already applied/);
  });

  it('names the sandbox and repository in the run header and keeps setup lines out of the output', async () => {
    model.push(reply.text('hello'));
    const r = await hangar(['run', '--repo', repo, 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`local sandbox · repo ${repo}`));
    assert.doesNotMatch(r.stdout + r.stderr, /Listing the repository files|Copied \d+ files/);
  });

  it('exits 2 on bad usage and unknown sessions, with a message', async () => {
    for (const args of [['run'], ['--nope', 'sessions'], ['nope'], ['events', 'sesn_doesnotexist'], ['diff', 'sesn_doesnotexist']]) {
      const r = await hangar(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '', args.join(' '));
    }
    const help = await hangar(['run', '--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout.match(/default/g)?.length, 1, help.stdout);
  });

  it('resume returns at once on an idle session and refuses a message', async () => {
    model.push(reply.text('done'));
    const r = await hangar(['--json', 'run', '--repo', repo, 'hi']);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;
    const idle = await hangar(['resume', id]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /nothing to resume[\s\S]* send /);
    const withText = await hangar(['resume', id, 'more']);
    assert.equal(withText.code, 2);
    assert.match(withText.stderr, /resume takes no message/);
  });

  it('does not mention Docker on commands that touch no sandbox, and says it once with the flag', async () => {
    const noDocker = { HANGAR_SANDBOX: 'auto', DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    model.push(reply.text('one'), reply.text('two'));
    const first = await hangar(['run', '--repo', repo, 'one'], noDocker);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Docker sandboxes are not available[\s\S]*--provider local/);
    assert.doesNotMatch(first.stderr, /hangar\.image|hangar\.sandbox\.provider|environment config/);
    const second = await hangar(['run', '--repo', repo, 'two'], noDocker);
    assert.doesNotMatch(second.stderr, /Docker/);
    const id = /session (sesn_\w+)/.exec(second.stdout)?.[1] ?? '';
    for (const args of [['sessions'], ['events', id]]) assert.equal((await hangar(args, noDocker)).stderr, '', args[0]);
  });

  it('opens a local session under auto even when Docker is available (Docker required)', async () => {
    model.push(reply.tool('write', { file_path: 'x.txt', content: 'x\n' }), reply.text('ok'));
    const r = await hangar(['run', '--repo', repo, 'x'], { HANGAR_SANDBOX: 'local' });
    const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1] ?? '';
    const diff = await hangar(['diff', id], { HANGAR_SANDBOX: 'auto' });
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /x\.txt/);
  });

  it('refuses to apply over a file the user changed, naming it, and writes nothing', async () => {
    model.push(reply.tool('bash', { command: 'echo new > added.txt && sed -i s/hi/hey/ src/app.js' }), reply.text('done'));
    const r = await hangar(['run', '--json', '--repo', repo, 'edit']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; session_id?: string; end?: string });
    const summary = lines.at(-1)!;
    assert.equal(summary.type, 'hangar.summary');
    assert.equal(summary.end, 'end_turn');
    writeFileSync(path.join(repo, 'src/app.js'), 'console.log("mine");\n');
    const applied = await hangar(['apply', summary.session_id!]);
    assert.equal(applied.code, 5);
    assert.match(applied.stderr, /src\/app\.js: the file changed in the repository/);
    assert.equal(readFileSync(path.join(repo, 'src/app.js'), 'utf8'), 'console.log("mine");\n');
    assert.throws(() => readFileSync(path.join(repo, 'added.txt')), /ENOENT/, 'a conflict anywhere means nothing is written');
  });

  it('stops with exit 4 when a tool needs approval and nobody can answer, then continues on confirm', async () => {
    const agentFile = path.join(home, 'agent.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'asker', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] }));
    model.push(reply.tool('bash', { command: 'echo approved > ok.txt' }), reply.text('ran'));
    const r = await hangar(['run', '--agent', agentFile, '--repo', repo, 'needs approval']);
    assert.equal(r.code, 4, r.stderr);
    const m = / confirm (sesn_\w+) (sevt_\w+) allow\|deny/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const c = await hangar(['confirm', m[1]!, m[2]!, 'allow']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /Summary {2}turns 1 · model requests 2 · tool calls 1/, 'the summary counts the turn it continued');
    assert.match(c.stdout, /\+approved/, 'confirm shows the diff');
    const diff = await hangar(['diff', m[1]!]);
    assert.match(diff.stdout, /ok\.txt/);
  });

  it('runs the session in its own container with --provider docker (Docker required)', async () => {
    // write goes through the tool server shipped beside the CLI; bash proves who runs the commands.
    model.push(reply.tool('write', { file_path: 'notes.txt', content: 'from the container\n' }), reply.tool('bash', { command: 'id -un > who.txt' }), reply.text('checked'));
    const r = await hangar(['run', '--provider', 'docker', '--repo', repo, 'who am i']);
    assert.equal(r.code, 0, r.stderr);
    const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const underAuto = await hangar(['diff', id], { HANGAR_SANDBOX: 'auto' });
    assert.equal(underAuto.code, 0, underAuto.stderr);
    const engineGone = await hangar(['diff', id], { HANGAR_SANDBOX: 'auto', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(engineGone.code, 2);
    assert.match(engineGone.stderr, /works in a Docker sandbox, and Docker sandboxes are not available now[\s\S]*docker-engine\.sh/);
    const mismatched = await hangar(['apply', id]);
    assert.equal(mismatched.code, 2, 'the local provider cannot see a docker session');
    assert.match(mismatched.stderr, /works in a docker sandbox[\s\S]*--provider docker/);
    const applied = await hangar(['--provider', 'docker', 'apply', id]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /who\.txt/);
    assert.equal(readFileSync(path.join(repo, 'notes.txt'), 'utf8'), 'from the container\n', 'the shipped tool server ran the write tool');
    const deleted = await hangar(['--provider', 'docker', 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await hangar(['--provider', 'docker', 'diff', id]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /does not exist/);
    assert.equal(readFileSync(path.join(repo, 'who.txt'), 'utf8'), 'agent\n', 'the command ran as the sandbox user inside the container');
  });

  it('lists sessions and prints events as JSON lines', async () => {
    model.push(reply.text('hello'));
    const r = await hangar(['run', '--repo', repo, 'hi']);
    assert.equal(r.code, 0);
    const list = await hangar(['--json', 'sessions']);
    const sessions = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string });
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.status, 'idle');
    const events = await hangar(['--json', 'events', sessions[0]!.id]);
    const types = events.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(types, ['user.message', 'session.status_running', 'span.model_request_start', 'agent.thinking', 'agent.message', 'span.model_request_end', 'session.status_idle']);
  });

  it('keeps the approval question on screen while it waits for the answer', async () => {
    const agentFile = path.join(home, 'agent.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'asker', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] }));
    model.push(reply.tool('bash', { command: 'echo approved > ok.txt' }), reply.text('ran'));
    const env = { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: model.url, TERM: 'xterm' };
    const t = inTerminal([process.execPath, cli, 'run', '--agent', agentFile, '--repo', repo, 'needs approval'], env);
    // Answered after several spinner ticks: an erasing spinner would have wiped the question by then.
    t.answer(/\[y\]es \/ \[n\]o: /, 'y\r', 600);
    assert.equal(await t.done, 0, t.raw);
    assert.match(screenText(t.raw), /Allow bash \$ echo approved > ok\.txt\? \[y\]es \/ \[n\]o: y/);
  });

  it('ends quietly when the reader of its output goes away', async () => {
    for (let i = 0; i < 12; i++) model.push(reply.tool('bash', { command: `yes line-${i} | head -c 20000` }));
    model.push(reply.text('done'));
    const r = await hangar(['--json', 'run', '--repo', repo, 'lots of output']);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;
    const piped = await shell(`${process.execPath} ${cli} --storage ${home} --json events ${id} | head -1`);
    assert.equal(piped.stdout.trim().split('\n').length, 1);
    assert.equal(piped.stderr, '', 'no EPIPE stack trace');
  });

  /** Pids of live processes whose environment holds `marker` (the stdio MCP servers this test started). */
  const withMarker = (marker: string): number[] =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/environ`, 'latin1').includes(marker);
        } catch {
          return false;
        }
      })
      .map(Number);

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`closes its stdio MCP servers and exits ${code} on ${signal}`, async () => {
      const marker = `HANGAR_CLI_TEST_${signal}_${process.pid}_${Date.now()}`;
      const agentFile = path.join(home, 'mcp-agent.json');
      const mcp = { type: 'stdio', name: 'everything', command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], env: { [marker]: '1' } };
      writeFileSync(agentFile, JSON.stringify({ name: 'mcp', model: 'claude-sonnet-5-5', mcp_servers: [mcp], tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'everything' }] }));
      model.push(reply.text('slow', { delay_ms: 60_000 }));
      const child = spawn(process.execPath, [cli, 'run', '--agent', agentFile, '--repo', repo, 'wait'], {
        env: { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: model.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      while (model.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
      assert.ok(withMarker(marker).length > 0, 'the MCP server runs while the model is asked');
      child.kill(signal);
      assert.equal(await exited, code, stderr);
      assert.deepEqual(withMarker(marker), [], 'no MCP server outlives the CLI');
    });
  }

  it('prints the events of a session that crashed while running, and returns', async () => {
    model.push(reply.text('slow', { delay_ms: 60_000 }));
    const child = spawn(process.execPath, [cli, '--json', 'run', '--repo', repo, 'crash me'], {
      env: { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: model.url },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    while (model.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const id = (JSON.parse(out.split('\n')[0]!) as { session_id?: string; id: string }).session_id;
    const list = await hangar(['--json', 'sessions']);
    const sid = id ?? (JSON.parse(list.stdout.trim().split('\n')[0]!) as { id: string }).id;
    const events = await hangar(['--json', 'events', sid]);
    assert.equal(events.code, 0, events.stderr);
    assert.equal((JSON.parse(events.stdout.trim().split('\n').at(-1)!) as { type: string }).type, 'span.model_request_start');
  });

  it('rejects a bad agent file with what is wrong', async () => {
    const agentFile = path.join(home, 'bad.json');
    writeFileSync(agentFile, JSON.stringify({ name: 'x', tools: [{ type: 'agent_toolset_20260401' }] }));
    const r = await hangar(['run', '--agent', agentFile, '--repo', repo, 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a valid agent definition[\s\S]*model/);
  });

  it('answers unknown session ids with a not-found error and exit 2', async () => {
    const r = await hangar(['interrupt', 'sesn_doesnotexist']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Session sesn_doesnotexist does not exist/);
  });

  it('runs the demo without a key and ends with passing tests', async () => {
    const r = await hangar(['demo'], { ANTHROPIC_API_KEY: undefined, ANTHROPIC_BASE_URL: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SCRIPTED model/);
    assert.match(r.stdout, /- {2}return a - b;\n\+ {2}return a \+ b;/);
    assert.match(r.stdout, /Its tests now say:[\s\S]*\nok\n/);
  });
});
