import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import type { SessionEvent } from '../../../src/wire';
import { startServe, stopServe, type StartedServe } from '../../support/hangar-serve';
import { useCli } from './harness';

// A stopped `hangar serve` whose runtime cannot close cleanly still exits, and says why. Two causes, both real:
// its Hangar home removed under it (a test's clean-up did that while a serve was closing, and the serve never exited:
// the failed lease release ended the close before the sandbox was released, and the session's shell held the process),
// and a process the close waits on that does not answer (the launcher processes, SIGSTOPped), which only the close's
// deadline in withRuntime (src/cli/context.ts) ends.

/** What withRuntime says when it gives up waiting for the close. */
const CUT_CLOSE = /warning: the runtime did not finish closing within \d+ s; exiting anyway/;

describe('cli: hangar serve stopping when its runtime cannot close cleanly', function () {
  this.timeout(120_000);
  const t = useCli();
  let server: StartedServe | undefined;
  let client: RemoteRuntimeClient | undefined;
  let stopped: number[] = [];
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await stopServe(server);
    server = undefined;
    for (const pid of stopped) killIfAlive(pid);
    stopped = [];
  });

  /** A serve of the test's home; what it writes to stderr from now on. */
  async function serveHome(): Promise<{ c: RemoteRuntimeClient; serve: StartedServe; stderr: () => string }> {
    const serve = (server = await startServe([process.execPath, t.cli, '--json', 'serve'], t.env()));
    let stderr = '';
    serve.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client = new RemoteRuntimeClient({ url: serve.announced.url, token: readFileSync(serve.announced.token_file, 'utf8').trim() });
    return { c: client, serve, stderr: () => stderr };
  }

  /** A session on the test's repository. */
  async function newSession(c: RemoteRuntimeClient): Promise<string> {
    const agent = await c.createAgent({ name: 'closer', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const env = await c.defaultEnvironment({});
    return (await c.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] })).id;
  }

  /** Sends a message and resolves at the first event of `type`. */
  async function sendUntil(c: RemoteRuntimeClient, id: string, type: SessionEvent['type']): Promise<void> {
    let stop: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => {
      void c.follow(id, 'now', { onEvent: (e) => e.type === type && resolve() }).then((s) => (stop = s));
    });
    await c.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'look around' }] }]);
    await seen;
    stop();
  }

  async function terminate(serve: StartedServe): Promise<unknown> {
    serve.child.kill('SIGTERM');
    return serve.exited;
  }

  it('exits with its code, naming what failed, when its home was removed before it was stopped', async () => {
    // The bash call starts the session's shell: the process that kept the serve alive when the close ended early.
    t.model.push(reply.tool('bash', { command: 'echo here' }), reply.text('Looked.'));
    const { c, serve, stderr } = await serveHome();
    const id = await newSession(c);
    await sendUntil(c, id, 'session.status_idle');

    rmSync(t.home, { recursive: true, force: true });
    const code = await terminate(serve);
    assert.equal(code, 0, stderr());
    assert.match(stderr(), new RegExp(`warning: the runtime closed with errors .*: session ${id}: releasing its lease: ENOENT`));
    assert.doesNotMatch(stderr(), CUT_CLOSE, 'the close finished: every step ran despite the failed one');
  });

  it('exits with its code, saying so, when its close waits on a process that does not answer', async () => {
    // The launchers (src/tools/spawn-off-loop.ts) start every git run of a sandbox's setup. A first session's turn
    // starts them; stopped, the second session's setup never finishes, and neither does the close that waits for it.
    t.model.push(reply.tool('bash', { command: 'echo here' }), reply.text('Looked.'), reply.tool('bash', { command: 'echo there' }), reply.text('Looked again.'));
    const { c, serve, stderr } = await serveHome();
    await sendUntil(c, await newSession(c), 'session.status_idle');
    stopped = launchersOf(serve.child.pid!);
    assert.notDeepEqual(stopped, [], "the first session's setup started a launcher");
    for (const pid of stopped) process.kill(pid, 'SIGSTOP');
    await sendUntil(c, await newSession(c), 'agent.tool_use');

    const code = await terminate(serve);
    assert.equal(code, 0, stderr());
    assert.match(stderr(), CUT_CLOSE);
  });
});

/** The serve's launcher processes: bare Node processes running the launcher's script. */
function launchersOf(pid: number): number[] {
  const children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  return children.filter((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('STDERR_CAP'));
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
