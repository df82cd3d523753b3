import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { DevcontainerError } from '../../../src/sandbox/docker';
import { SandboxSetupError } from '../../../src/sandbox/errors';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT } from './helpers';

// devcontainer.json beyond the image: lifecycle commands in the spec's order (create-time ones once per volume,
// start-time ones in every container), containerEnv/remoteEnv with ${containerEnv:…} and ${containerWorkspaceFolder},
// workspaceFolder, the settings Hangar refuses named, Compose and a missing image with clear errors, and a failing
// lifecycle command as a setup error that names the step and carries its output.

const LOG = '/workspace/.lifecycle';
const step = (name: string) => `echo ${name} >> ${LOG}`;

describe('docker sandbox: devcontainer.json to the spec', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  let provider: DockerSandboxProvider;

  before(async () => {
    docker = await requireDocker();
    provider = newProvider();
  });
  after(async () => {
    await provider.reap(new Set());
    await provider.close();
  });

  it('runs the lifecycle commands in order: create-time once per volume, start-time in every new container', async () => {
    const dc = {
      image: 'hangar-sandbox:latest',
      onCreateCommand: step('onCreate'),
      updateContentCommand: ['/bin/sh', '-c', step('updateContent')],
      postCreateCommand: { a: step('postCreate-a'), b: step('postCreate-b') },
      postStartCommand: step('postStart'),
      postAttachCommand: step('postAttach'),
    };
    const repo = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify(dc) });
    const sb = await provider.provision({ sessionId: 'lifecycle', repoPath: repo, environment: env() });
    assert.equal(await ok(sb, 'bash', { command: `cat ${LOG}` }), 'onCreate\nupdateContent\npostCreate-a\npostCreate-b\npostStart\npostAttach');
    const first = sandboxContainerId(sb);
    await docker.getContainer(first).kill();
    await docker.getContainer(first).wait();
    assert.equal(await ok(sb, 'bash', { command: `cat ${LOG}` }), 'onCreate\nupdateContent\npostCreate-a\npostCreate-b\npostStart\npostAttach\npostStart\npostAttach');
  });

  it('substitutes ${containerEnv:PATH} and ${containerWorkspaceFolder} in containerEnv and remoteEnv, and honours workspaceFolder /workspace', async () => {
    const dc = {
      image: 'hangar-sandbox:latest',
      workspaceFolder: '/workspace',
      containerEnv: { PATH: '${containerEnv:PATH}:/opt/extra/bin', TOOLS: '${containerWorkspaceFolder}/tools' },
      remoteEnv: { LATE: '${containerEnv:TOOLS}/late', MISSING: '${containerEnv:NOPE:fallback}', HOST: '${localEnv:HOME}' },
    };
    const repo = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify(dc) });
    const progress: string[] = [];
    const sb = await provider.provision({ sessionId: 'env-subst', repoPath: repo, environment: env(), onProgress: (m) => progress.push(m) });
    const out = await ok(sb, 'bash', { command: 'echo "$PATH"; echo $TOOLS; echo $LATE; echo $MISSING; echo "[$HOST]"; which ls' });
    const [pathLine, tools, late, missing, host, ls] = out.split('\n');
    assert.match(pathLine as string, /^\/usr\/local\/sbin:.*:\/usr\/bin:.*:\/opt\/extra\/bin$/);
    assert.equal(tools, '/workspace/tools');
    assert.equal(late, '/workspace/tools/late');
    assert.equal(missing, 'fallback');
    assert.equal(host, '[]', 'a host variable never enters the sandbox');
    assert.equal(ls, '/usr/bin/ls');
    assert.ok(progress.some((m) => m.includes('${localEnv:HOME}') && m.includes('never enter the sandbox')), progress.join('\n'));
  });

  it('refuses another workspaceFolder, names the isolation-weakening settings it does not apply, and refuses Compose clearly', async () => {
    const other = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'hangar-sandbox:latest', workspaceFolder: '/src' }) });
    await assert.rejects(provider.provision({ sessionId: 'wsf', repoPath: other, environment: env() }), /workspaceFolder "\/src" is not supported.*\/workspace/);

    const weakening = { image: 'hangar-sandbox:latest', privileged: true, runArgs: ['--network=host'], capAdd: ['SYS_ADMIN'], mounts: ['source=/,target=/host,type=bind'], initializeCommand: 'touch /tmp/hangar-pwned' };
    const repo = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify(weakening) });
    const progress: string[] = [];
    const sb = await provider.provision({ sessionId: 'weak', repoPath: repo, environment: env(), onProgress: (m) => progress.push(m) });
    const told = progress.find((m) => m.startsWith('devcontainer.json settings Hangar does not apply')) ?? '';
    for (const key of ['privileged', 'runArgs', 'capAdd', 'mounts', 'initializeCommand']) assert.match(told, new RegExp(`${key} \\(`), told);
    const info = await docker.getContainer(sandboxContainerId(sb)).inspect();
    assert.equal(info.HostConfig.Privileged, false);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.HostConfig.CapAdd, null);
    assert.equal(info.HostConfig.NetworkMode, 'none');

    const compose = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify({ dockerComposeFile: 'docker-compose.yml', service: 'app' }) });
    await assert.rejects(provider.provision({ sessionId: 'compose', repoPath: compose, environment: env() }), /uses dockerComposeFile, which Hangar does not run/);
  });

  it('tries to pull an image the engine lacks and says exactly why it could not', async () => {
    const repo = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify({ image: '127.0.0.1:1/hangar/absent:1' }) });
    const progress: string[] = [];
    await assert.rejects(provider.provision({ sessionId: 'pull', repoPath: repo, environment: env(), onProgress: (m) => progress.push(m) }), (err: unknown) => {
      assert.ok(err instanceof DevcontainerError);
      assert.match(err.message, /the devcontainer image 127\.0\.0\.1:1\/hangar\/absent:1 is not in the Docker engine, and pulling it failed: .*connection refused/);
      return true;
    });
    assert.ok(progress.includes('Pulling the devcontainer image 127.0.0.1:1/hangar/absent:1'));
  });

  it('a failing lifecycle command is a setup error naming the step, with its output, and stops the later steps', async () => {
    const dc = { image: 'hangar-sandbox:latest', onCreateCommand: 'echo building; echo broken >&2; exit 3', postCreateCommand: step('postCreate') };
    const repo = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify(dc) });
    await assert.rejects(provider.provision({ sessionId: 'fails', repoPath: repo, environment: env() }), (err: unknown) => {
      assert.ok(err instanceof SandboxSetupError, 'the harness ends the turn on it');
      assert.match(err.message, /the devcontainer's onCreateCommand "\/bin\/sh -c echo building; echo broken >&2; exit 3" failed with exit code 3:\nbuilding\nbroken/);
      return true;
    });
  });
});
