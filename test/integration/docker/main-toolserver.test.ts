import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { env, makeRepo, newProvider, ok, requireDocker, retireAll, sandboxContainerId, text, TIMEOUT } from './helpers';

// The tool server is the container's main process (container.ts, hands.ts): attached before the start, it is up as
// soon as the container is, without an exec. When it dies the container lives on and a tool server comes back by
// exec; when the main process itself dies, the container stops and the session gets a new one on its volume. (An
// image without Node.js: devcontainer.test.ts.)

/** The pids of the tool servers in the container: Node.js processes whose command line carries the loader's file name. */
const SERVERS = 'for p in /proc/[0-9]*; do grep -qs hangar-toolserver.cjs $p/cmdline && [ "$(cat $p/comm)" = node ] && echo ${p#/proc/}; done; true';
/** The container's main process: the shell that runs the tool server (container.ts), the init's child. */
const MAIN_SHELL = 'for p in /proc/[0-9]*; do grep -qs hangar-main $p/cmdline && [ "$(cat $p/comm)" = sh ] && echo ${p#/proc/}; done; true';

describe('docker sandbox: the tool server as the main process', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  const providers: DockerSandboxProvider[] = [];
  const make = () => {
    const p = newProvider();
    providers.push(p);
    return p;
  };
  before(async () => {
    docker = await requireDocker();
  });
  after(() => retireAll(providers));

  it('runs as the main process with no exec, and is answering when the provision returns', async () => {
    const sb = await make().provision({ sessionId: 'main', repoPath: makeRepo({ 'a.txt': 'a\n' }), environment: env() });
    const info = await docker.getContainer(sandboxContainerId(sb)).inspect();
    assert.deepEqual(info.ExecIDs ?? [], [], 'no exec was started in the container');
    assert.ok(info.Args.includes('node'), `main process: ${info.Path} ${info.Args.slice(0, 4).join(' ')}`);
    assert.match(await ok(sb, 'read', { file_path: 'a.txt' }), /^\s*1\ta$/);
    assert.equal(await ok(sb, 'bash', { command: 'whoami; echo $HOME' }), 'agent\n/home/agent');
  });

  it("forks the session's commands itself: the only Node.js in the container is the tool server", async () => {
    const sb = await make().provision({ sessionId: 'no-launcher', repoPath: makeRepo({ 'a.txt': 'needle\n' }), environment: env() });
    assert.match(await ok(sb, 'grep', { pattern: 'needle' }), /a\.txt/);
    const nodes = 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = node ] && echo ${p#/proc/}; done; true';
    const [server] = (await ok(sb, 'bash', { command: SERVERS })).split('\n');
    assert.deepEqual((await ok(sb, 'bash', { command: nodes })).split('\n'), [server]);
    assert.equal(await ok(sb, 'bash', { command: 'echo $PPID' }), server, "the shell is the tool server's child");
  });

  it('killed, the call in flight says the tool server stopped; the container lives on and the next call gets a new server', async () => {
    const sb = await make().provision({ sessionId: 'server-killed', repoPath: makeRepo({ 'a.txt': 'a\n' }), environment: env() });
    const container = sandboxContainerId(sb);
    await ok(sb, 'write', { file_path: 'kept.txt', content: 'kept\n' });
    const [main] = (await ok(sb, 'bash', { command: SERVERS })).split('\n');
    assert.ok(main);
    const outcome = await sb.execute('bash', { command: `kill -9 ${main}; sleep 30` });
    assert.equal(outcome.is_error, true);
    assert.match(text(outcome), /tool server/);
    assert.equal((await docker.getContainer(container).inspect()).State.Running, true);
    assert.equal(await ok(sb, 'bash', { command: 'cat kept.txt a.txt' }), 'kept\na');
    assert.equal(sandboxContainerId(sb), container);
    const [next] = (await ok(sb, 'bash', { command: SERVERS })).split('\n');
    assert.ok(next && next !== main, `a new tool server (${next}) instead of ${main}`);
  });

  it("its shell killed, the container stops: the call in flight names the cause, the next call gets a new container with the files", async () => {
    const sb = await make().provision({ sessionId: 'main-killed', repoPath: makeRepo({ 'a.txt': 'a\n' }), environment: env() });
    const container = sandboxContainerId(sb);
    await ok(sb, 'write', { file_path: 'kept.txt', content: 'kept\n' });
    const [shell] = (await ok(sb, 'bash', { command: MAIN_SHELL })).split('\n');
    assert.ok(shell);
    const outcome = await sb.execute('bash', { command: `kill -9 ${shell}; sleep 30` });
    assert.equal(outcome.is_error, true);
    assert.match(text(outcome), /sandbox container (exited|was killed)/);
    assert.equal(await ok(sb, 'bash', { command: 'cat kept.txt a.txt' }), 'kept\na');
    assert.notEqual(sandboxContainerId(sb), container);
  });
});
