import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { connectDocker } from '../../../src/sandbox/docker/client';
import { resolveEngine } from '../../../src/sandbox/docker/engine';
import { DockerSshError } from '../../../src/sandbox/docker/errors';
import { startApi, type ApiFixture } from '../api/helpers';
import { env, tmpDir } from './helpers';
import { fullRemoteSession } from './remote-session';

// The second dockerd (scripts/setup/docker-remote.sh) reached over ssh: scripts/setup/docker-ssh.sh runs an sshd on
// 127.0.0.1:23762 whose sessions talk to that engine, and names it `hangar-docker-ssh` in an ssh config (key,
// port, known_hosts). Hangar runs this machine's ssh with `docker system dial-stdio` there, as Docker's CLI does.
// Bad input: nothing listening, a key the server refuses, a host key that is not known: each a DockerSshError that
// names the engine and says what ssh said.

const SSH_HOST = process.env.HANGAR_DOCKER2_SSH ?? 'ssh://hangar-docker-ssh';

describe('docker: a remote engine over ssh (second dockerd behind a loopback sshd)', function () {
  this.timeout(240_000);
  let remote: Dockerode;
  let local: Dockerode;

  before(async () => {
    try {
      remote = await connectDocker({ target: resolveEngine(SSH_HOST), pingTimeoutMs: 20_000 });
      await remote.getImage('hangar-sandbox:latest').inspect();
    } catch (err) {
      throw new Error(`the second Docker engine is not reachable over ssh (${(err as Error).message}): run scripts/setup/docker-ssh.sh`, { cause: err });
    }
    local = await connectDocker({ target: resolveEngine('unix:///var/run/docker.sock') });
    assert.notEqual((await remote.info()).DockerRootDir, (await local.info()).DockerRootDir, 'ssh reaches the second engine, not this one');
  });

  it('resolves an ssh address as a remote engine', () => {
    const target = resolveEngine(SSH_HOST);
    assert.equal(target.local, false);
    assert.equal(target.label, SSH_HOST);
    assert.equal(target.cli, `-H ${SSH_HOST}`);
  });

  describe('a full session through the API', () => {
    let f: ApiFixture;
    before(async () => {
      f = await startApi({ provider: (storage) => new DockerSandboxProvider({ storageRoot: storage, engine: SSH_HOST }) });
    });
    after(async () => f?.close());

    it('ships the repository, the file and the tools in over ssh, and brings outputs and changes back', () => fullRemoteSession(f, remote, local));
  });

  describe('bad input names the engine and what ssh said', () => {
    const refused = (engine: string, said: RegExp) =>
      assert.rejects(new DockerSandboxProvider({ storageRoot: tmpDir('store'), engine }).provision({ sessionId: 'ssh-bad', environment: env() }), (err: unknown) => {
        assert.ok(err instanceof DockerSshError, String(err));
        assert.match(err.message, new RegExp(`at ${engine.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} failed`));
        assert.match(err.message, said);
        assert.match(err.message, /ssh HOST docker version/);
        return true;
      });

    it('nothing listens at the address', () => refused('ssh://root@127.0.0.1:1', /Connection refused/));
    it('a key the engine does not accept', () => refused('ssh://hangar-docker-ssh-wrong-key', /Permission denied \(publickey\)/));
    it('a host key that is not in known_hosts (never accepted silently)', () => refused('ssh://root@127.0.0.1:23762', /Host key verification failed/));
  });
});
