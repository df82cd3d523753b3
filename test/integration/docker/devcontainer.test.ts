import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { DevcontainerError, DockerUnavailableError, ImageMissingError } from '../../../src/sandbox/docker';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, text, TIMEOUT, tmpDir } from './helpers';

// A repository's devcontainer.json is honoured (Dockerfile build, containerEnv, remoteUser, postCreateCommand once
// per volume); images that cannot run the tool server fall back to exec; the typed errors say how to fix things.

const DEVCONTAINER = `{
  // comments and trailing commas are allowed (JSONC)
  "name": "test",
  "build": { "dockerfile": "Dockerfile", "args": { "MARK": "from-arg" }, },
  "containerEnv": { "GREETING": "hello from containerEnv" },
  "remoteUser": "agent",
  /* runs once per session volume */
  "postCreateCommand": "echo created >> /workspace/.post-create && echo post-create-ran",
}`;

const DOCKERFILE = `FROM hangar-sandbox:latest
ARG MARK
USER root
RUN echo "$MARK" > /opt/devcontainer-mark
USER agent
`;

const NO_NODE_DOCKERFILE = `FROM hangar-sandbox:latest
USER root
RUN rm -f /usr/bin/node /usr/bin/nodejs
USER agent
`;

// No USER at all (like debian, ubuntu, node images) and no `agent`; uid 1000 belongs to someone else.
const NO_USER_DOCKERFILE = `FROM hangar-sandbox:latest
USER root
RUN userdel -r agent && useradd --uid 1000 --create-home other
USER ""
`;

describe('docker sandbox: devcontainer, fallbacks and errors', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  let provider: DockerSandboxProvider;
  /** Images the devcontainer builds made (each run's fresh repository hashes to a new tag). */
  const built = new Set<string>();
  const imageOf = async (id: string) => {
    const image = (await docker.getContainer(id).inspect()).Config.Image;
    if (image.startsWith('hangar-devcontainer:')) built.add(image);
    return image;
  };

  before(async () => {
    docker = await requireDocker();
    provider = newProvider();
  });
  after(async () => {
    await provider.reap(new Set());
    await provider.close();
    for (const image of built) await docker.getImage(image).remove().catch(() => undefined);
  });

  it('builds the devcontainer image, sets containerEnv and runs postCreateCommand once per volume', async () => {
    const repo = makeRepo({ '.devcontainer/devcontainer.json': DEVCONTAINER, '.devcontainer/Dockerfile': DOCKERFILE, 'app.txt': 'app\n' });
    const progress: string[] = [];
    const sb = await provider.provision({ sessionId: 'dc', repoPath: repo, environment: env(), onProgress: (m) => progress.push(m) });
    assert.ok(progress.includes('post-create-ran'), progress.join('\n'));
    assert.equal(await ok(sb, 'bash', { command: 'echo $GREETING; cat /opt/devcontainer-mark; whoami; cat app.txt' }), 'hello from containerEnv\nfrom-arg\nagent\napp');
    const image = await imageOf(sandboxContainerId(sb));
    assert.match(image, /^hangar-devcontainer:[0-9a-f]{16}$/);
    const first = sandboxContainerId(sb);
    await docker.getContainer(first).kill();
    await docker.getContainer(first).wait();
    // A new container on the same volume: postCreateCommand does not run again.
    assert.equal(await ok(sb, 'bash', { command: 'cat .post-create' }), 'created');
    assert.notEqual(sandboxContainerId(sb), first);
    // Same definition, same image: a second session reuses the build.
    const again = await provider.provision({ sessionId: 'dc-2', repoPath: repo, environment: env() });
    assert.equal((await docker.getContainer(sandboxContainerId(again)).inspect()).Config.Image, image);
  });

  it('an image without USER runs the agent as an added unprivileged agent user, in every new container', async () => {
    const repo = makeRepo({ '.devcontainer/devcontainer.json': '{"build": {"dockerfile": "Dockerfile"}}', '.devcontainer/Dockerfile': NO_USER_DOCKERFILE, 'f.txt': 'f\n' });
    const sb = await provider.provision({ sessionId: 'no-user', repoPath: repo, environment: env() });
    const image = await imageOf(sandboxContainerId(sb));
    assert.equal((await docker.getImage(image).inspect()).Config.User, '', 'the test image has no USER');
    assert.equal((await docker.getContainer(sandboxContainerId(sb)).inspect()).Config.User, 'agent');
    const who = 'whoami; id -u; id -g; echo $HOME; touch ~/home-ok && echo home writable; echo x > made.txt; stat -c %U made.txt';
    assert.equal(await ok(sb, 'bash', { command: who }), 'agent\n1001\n1001\n/home/agent\nhome writable\nagent');
    const first = sandboxContainerId(sb);
    await docker.getContainer(first).kill();
    await docker.getContainer(first).wait();
    assert.equal(await ok(sb, 'bash', { command: 'whoami; id -u; grep -c "^agent:" /etc/passwd' }), 'agent\n1001\n1');
    assert.notEqual(sandboxContainerId(sb), first);
  });

  it('a devcontainer that asks for root gets the unprivileged agent too', async () => {
    const repo = makeRepo({ '.devcontainer/devcontainer.json': '{"build": {"dockerfile": "Dockerfile"}, "remoteUser": "root"}', '.devcontainer/Dockerfile': NO_USER_DOCKERFILE });
    const sb = await provider.provision({ sessionId: 'asks-root', repoPath: repo, environment: env() });
    await imageOf(sandboxContainerId(sb));
    assert.equal(await ok(sb, 'bash', { command: 'whoami; id -u' }), 'agent\n1001');
  });

  it('a build context outside the repository is refused, also through a symlink', async () => {
    // outside/ holds a secret; the repository sits two levels below it, so "../../.." from .devcontainer is outside/.
    const outside = tmpDir('outside');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'ssh key\n');
    fs.writeFileSync(path.join(outside, 'Dockerfile'), 'FROM hangar-sandbox:latest\nCOPY secret.txt /opt/secret.txt\n');
    const repo = path.join(outside, 'a', 'repo');
    fs.mkdirSync(repo, { recursive: true });
    fs.cpSync(makeRepo({ 'f.txt': 'f\n' }), repo, { recursive: true });
    const refused = (given: string) => (err: unknown) =>
      err instanceof DevcontainerError && err.message.includes(`build.context ${JSON.stringify(given)} resolves to ${fs.realpathSync(outside)}`) && /outside the repository/.test(err.message);

    fs.mkdirSync(path.join(repo, '.devcontainer'));
    fs.writeFileSync(path.join(repo, '.devcontainer/devcontainer.json'), '{"build": {"dockerfile": "../../../Dockerfile", "context": "../../.."}}');
    await assert.rejects(provider.provision({ sessionId: 'ctx-dots', repoPath: repo, environment: env() }), refused('../../..'));

    fs.symlinkSync(outside, path.join(repo, 'ctx'));
    fs.writeFileSync(path.join(repo, '.devcontainer/devcontainer.json'), '{"build": {"dockerfile": "../ctx/Dockerfile", "context": "../ctx"}}');
    await assert.rejects(provider.provision({ sessionId: 'ctx-link', repoPath: repo, environment: env() }), refused('../ctx'));

    // A Dockerfile that is a link out of the repository is refused as well.
    fs.symlinkSync(path.join(outside, 'Dockerfile'), path.join(repo, '.devcontainer/Dockerfile'));
    fs.writeFileSync(path.join(repo, '.devcontainer/devcontainer.json'), '{"build": {"dockerfile": "Dockerfile"}}');
    await assert.rejects(provider.provision({ sessionId: 'df-link', repoPath: repo, environment: env() }), (err: unknown) => err instanceof DevcontainerError && /build\.dockerfile "Dockerfile" resolves to .*outside the repository/.test(err.message));
  });

  it('an image without Node.js runs tools through one docker exec per call, bash keeping its cwd and env', async () => {
    const repo = makeRepo({ '.devcontainer/devcontainer.json': '{"build": {"dockerfile": "Dockerfile"}}', '.devcontainer/Dockerfile': NO_NODE_DOCKERFILE, 'f.txt': 'f\n' });
    const sb = await provider.provision({ sessionId: 'no-node', repoPath: repo, environment: env() });
    await imageOf(sandboxContainerId(sb));
    assert.equal((sb as { toolTransport?: string }).toolTransport, 'exec');
    await ok(sb, 'bash', { command: 'mkdir -p d && cd d && export KEEP=yes' });
    assert.equal(await ok(sb, 'bash', { command: 'pwd; echo $KEEP; cat ../f.txt' }), '/workspace/d\nyes\nf');
    // A running command's output is previewed here too, and nothing is previewed after its result.
    const snapshots: { text: string; afterResult: boolean }[] = [];
    let resolved = false;
    const slow = await sb.execute('bash', { command: 'for i in 1 2 3; do echo "tick $i"; sleep 0.5; done' }, { onOutput: (s) => snapshots.push({ text: s.text, afterResult: resolved }) });
    resolved = true;
    assert.equal(text(slow), 'tick 1\ntick 2\ntick 3');
    assert.ok(snapshots.some((s) => s.text.includes('tick 1') && !s.text.includes('tick 3')), JSON.stringify(snapshots));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(snapshots.every((s) => !s.afterResult), 'no snapshot after the result');
    const read = await sb.execute('read', { file_path: 'f.txt' });
    assert.equal(read.is_error, true);
    assert.match(text(read), /no Node\.js.*Use bash/s);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1000);
    const aborted = await sb.execute('bash', { command: 'sleep 60' }, { signal: ac.signal });
    assert.equal(aborted.is_error, true);
    assert.equal(await ok(sb, 'bash', { command: 'pgrep -c "sleep 60" || true' }), '0');
  });

  it('a broken devcontainer.json is a clear error', async () => {
    const repo = makeRepo({ '.devcontainer/devcontainer.json': '{ "image": ' });
    await assert.rejects(provider.provision({ sessionId: 'dc-bad', repoPath: repo, environment: env() }), (err: unknown) => err instanceof DevcontainerError && /not valid JSON/.test(err.message));
  });

  it('a missing image says how to build it', async () => {
    await assert.rejects(provider.provision({ sessionId: 'no-image', environment: env({ hangar: { image: 'hangar-missing:nope' } }) }), (err: unknown) => {
      return err instanceof ImageMissingError && /hangar-missing:nope/.test(err.message) && /sandbox\/build-image\.sh/.test(err.message);
    });
  });

  it('no Docker engine says how to start one and names the local provider', async () => {
    const p = newProvider({ engine: 'unix:///tmp/hangar-no-such-engine.sock' });
    await assert.rejects(p.provision({ sessionId: 'no-engine', environment: env() }), (err: unknown) => {
      return err instanceof DockerUnavailableError && /docker-engine\.sh/.test(err.message) && /provider: "local"/.test(err.message);
    });
  });
});
