import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandboxProvider, ImageMissingError } from '../../../src/sandbox/docker';
import { connectDocker } from '../../../src/sandbox/docker/client';
import { resolveEngine } from '../../../src/sandbox/docker/engine';
import { pruneDerivedImages } from '../../../src/sandbox/docker/derived-image';
import { DockerTlsError } from '../../../src/sandbox/docker/errors';
import { LABEL_LAYER, LABEL_SESSION } from '../../../src/sandbox/docker/names';
import { packagesKey } from '../../../src/sandbox/docker/package-image';
import { packageSetOf } from '../../../src/sandbox/docker/package-managers';
import { reply } from '../../../src/model/scripted';
import { Packages } from '../../../src/wire/environment';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { startApi, type ApiFixture } from '../api/helpers';
import { env, tmpDir } from './helpers';
import { fullRemoteSession, textOf } from './remote-session';

// Sandboxes on a remote engine: the second dockerd that scripts/setup/docker-remote.sh runs (its own data root and
// bridge, mutual TLS on tcp://127.0.0.1:23760, the sandbox image loaded into it). Hangar reaches it through a Docker
// context made by Docker's own CLI, treats it as remote (tcp, not this host's socket) and so binds nothing from this
// host: the repository, the uploaded file and the tool server are sent in through the API, and the outputs and the
// review diff come back through it. Bad input: a wrong CA, no client certificate, plain HTTP, an image the engine
// lacks: each a clear error that names the engine. Environment packages install there too: their build container
// reaches the registry through a relay tunnelled to this host's egress proxy, as the engine's sandboxes do.

const HOST = process.env.HANGAR_DOCKER2_HOST ?? 'tcp://127.0.0.1:23760';
const CERTS = process.env.HANGAR_DOCKER2_CERTS ?? '/var/lib/hangar-docker2/client';
const CONTEXT = 'hangar-docker2';

function dockerCli(config: string, ...args: string[]): string {
  return execFileSync('docker', ['--config', config, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A Docker config dir with contexts made by Docker's CLI: the engine as set up, and broken variants of it. */
function makeContexts(): string {
  const config = tmpDir('docker-config');
  const pem = (f: string) => path.join(CERTS, f);
  dockerCli(config, 'context', 'create', CONTEXT, '--docker', `host=${HOST},ca=${pem('ca.pem')},cert=${pem('cert.pem')},key=${pem('key.pem')}`);
  // A CA that did not sign the engine's certificate.
  const other = tmpDir('other-ca');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=not the engine CA', '-keyout', path.join(other, 'key.pem'), '-out', path.join(other, 'ca.pem')], { stdio: 'ignore' });
  dockerCli(config, 'context', 'create', 'wrong-ca', '--docker', `host=${HOST},ca=${path.join(other, 'ca.pem')},cert=${pem('cert.pem')},key=${pem('key.pem')}`);
  dockerCli(config, 'context', 'create', 'no-client-cert', '--docker', `host=${HOST},ca=${pem('ca.pem')}`);
  dockerCli(config, 'context', 'create', 'plain-http', '--docker', `host=${HOST}`);
  return config;
}

describe('docker: a remote engine (second dockerd, TLS on loopback)', function () {
  this.timeout(240_000);
  let savedConfig: string | undefined;
  let remote: Dockerode;
  let local: Dockerode;

  before(async () => {
    savedConfig = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = makeContexts();
    try {
      remote = await connectDocker({ target: resolveEngine(CONTEXT) });
      await remote.getImage('hangar-sandbox:latest').inspect();
    } catch (err) {
      throw new Error(`the second Docker engine is not ready (${(err as Error).message}): run scripts/setup/docker-remote.sh`, { cause: err });
    }
    local = await connectDocker({ target: resolveEngine('unix:///var/run/docker.sock') });
    assert.notEqual((await remote.info()).DockerRootDir, (await local.info()).DockerRootDir, 'the second engine has its own data root');
  });
  after(() => {
    if (savedConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedConfig;
  });

  it('resolves the context as a remote engine over TLS', () => {
    const target = resolveEngine(CONTEXT);
    assert.equal(target.local, false);
    assert.equal(target.options.protocol, 'https');
    assert.match(target.label, /127\.0\.0\.1:23760 \(Docker context hangar-docker2\)/);
  });

  describe('a full session through the API', () => {
    let f: ApiFixture;
    before(async () => {
      f = await startApi({ provider: (storage) => new DockerSandboxProvider({ storageRoot: storage, engine: CONTEXT }) });
    });
    after(async () => f?.close());

    it('ships the repository, the file and the tools in, and brings outputs and changes back', () => fullRemoteSession(f, remote, local));
  });

  describe('installs in a build container that reaches the registries through a tunnel of its own', () => {
    const runtimes: TestRuntime[] = [];
    const progress: string[] = [];
    after(async () => {
      for (const t of runtimes) {
        await t.close();
        // The images this run derived on the remote engine (labelled with its storage root) go with it.
        await pruneDerivedImages(remote, `${t.storage}/docker`, null, { maxCount: 0 });
      }
    });

    /** A session on the remote engine in an environment of `config` whose one bash call runs `command`: its output. */
    async function firstCommand(config: Record<string, unknown>, command: string, repoFiles?: Record<string, string>): Promise<{ out: string; sessionId: string }> {
      const t = await makeTestRuntime({
        script: [reply.tool('bash', { command }), reply.text('ok')],
        provider: (storage) => new DockerSandboxProvider({ storageRoot: storage, engine: CONTEXT }),
        runtime: { onProgress: (_session, message) => progress.push(message) },
        ...(repoFiles ? { repoFiles } : {}),
      });
      runtimes.push(t);
      const networking = { type: 'limited', allowed_hosts: [], allow_package_managers: true };
      const environment = await t.runtime.environments.create({ name: 'remote-installs', config: { type: 'cloud', networking, ...config } });
      const session = await t.runtime.sessions.create({ agent: await t.agent(), environment_id: environment.id, resources: [{ type: 'local_repository', path: t.repo }] });
      await t.runtime.sessions.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
      const events = await t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle'), 600_000);
      const result = events.find((e) => e.type === 'agent.tool_result');
      const out = result?.type === 'agent.tool_result' ? textOf(result) : '';
      return { out: `${out}\n${JSON.stringify(events.filter((e) => e.type === 'session.error'))}\n${progress.join('\n')}`, sessionId: session.id };
    }

    it('environment packages: the session uses them', async () => {
      // A package image left by an earlier run would be reused: this run must install.
      const base = (await remote.getImage('hangar-sandbox:latest').inspect()).Id;
      await remote.getImage(`hangar-packages:${packagesKey(base, packageSetOf(Packages.parse({ npm: ['cowsay'] }))!).slice(0, 16)}`).remove({ force: true }).catch(() => undefined);
      const { out, sessionId } = await firstCommand({ packages: { npm: ['cowsay'] } }, 'cowsay moo; echo "proxy=$HTTPS_PROXY"');
      assert.match(out, /< moo >/, out);
      assert.match(out, /proxy=http:\/\/127\.0\.0\.1:3128/, "the session's own way out is its relay too");
      assert.match(out, /^Installing the environment's packages \(npm: cowsay\)/m, 'a fresh install');
      assert.match(out, /^npm: /m, 'npm progress is shown');

      // The session runs the derived image on the remote engine, which built it: the local engine made no container.
      const [container] = await remote.listContainers({ filters: { label: [`${LABEL_SESSION}=${sessionId}`] } });
      assert.match(container?.Image ?? '', /^hangar-packages:[0-9a-f]{16}$/);
      assert.equal(container?.HostConfig.NetworkMode, 'none');
      assert.deepEqual(await remote.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${sessionId}`, `${LABEL_LAYER}=packages`] } }), [], 'the build container is gone');
      assert.deepEqual(await local.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${sessionId}`] } }), []);
    });

    it("a devcontainer feature whose install.sh fetches from a registry: the image has what it fetched", async () => {
      const json = (v: unknown) => JSON.stringify(v, null, 2);
      const { out } = await firstCommand({}, 'cat /opt/fetched', {
        'README.md': '# sample\n',
        '.devcontainer/devcontainer.json': json({ image: 'hangar-sandbox:latest', features: { './fetcher': {} } }),
        '.devcontainer/fetcher/devcontainer-feature.json': json({ id: 'fetcher', version: '1.0.0' }),
        // The run's nonce makes this feature's image new: one an earlier run left would be reused without an install.
        '.devcontainer/fetcher/install.sh': `#!/bin/sh\nset -e\n# run ${randomUUID()}\ncurl -sS -o /dev/null -w 'npm registry %{http_code}' https://registry.npmjs.org/cowsay > /opt/fetched\n`,
      });
      assert.match(out, /^npm registry 200/, out);
      assert.match(out, /^Installing the devcontainer's features \(\.\/fetcher\)/m, 'a fresh install');
    });
  });

  describe('bad input names the engine', () => {
    const provider = (engine: string) => new DockerSandboxProvider({ storageRoot: tmpDir('store'), engine });

    it('a CA that did not sign the engine certificate', async () => {
      await assert.rejects(provider('wrong-ca').provision({ sessionId: 'tls-ca', environment: env() }), (err: unknown) => {
        return err instanceof DockerTlsError && /127\.0\.0\.1:23760 \(Docker context wrong-ca\)/.test(err.message) && /not signed by the CA/.test(err.message) && /ca\.pem/.test(err.message);
      });
    });

    it('no client certificate', async () => {
      await assert.rejects(provider('no-client-cert').provision({ sessionId: 'tls-client', environment: env() }), (err: unknown) => {
        return err instanceof DockerTlsError && /Docker context no-client-cert/.test(err.message) && /refused this client's certificate/.test(err.message);
      });
    });

    it('plain HTTP to the TLS port', async () => {
      await assert.rejects(provider('plain-http').provision({ sessionId: 'tls-none', environment: env() }), (err: unknown) => {
        return err instanceof DockerTlsError && /speaks TLS but no TLS settings were given/.test(err.message);
      });
    });

    it('an image the engine lacks: the command that loads it there', async () => {
      await assert.rejects(provider(CONTEXT).provision({ sessionId: 'no-image', environment: env({ hangar: { image: 'hangar-missing:nope' } }) }), (err: unknown) => {
        return err instanceof ImageMissingError && /at tcp:\/\/127\.0\.0\.1:23760 \(Docker context hangar-docker2\)/.test(err.message) && /docker save hangar-missing:nope \| docker --context hangar-docker2 load/.test(err.message);
      });
    });

    it('a session made on the remote engine, opened on the local one', async () => {
      const storageRoot = tmpDir('store');
      const there = new DockerSandboxProvider({ storageRoot, engine: CONTEXT });
      await there.provision({ sessionId: 'moved', environment: env() });
      await there.close();
      const here = new DockerSandboxProvider({ storageRoot, engine: 'unix:///var/run/docker.sock' });
      await assert.rejects(here.provision({ sessionId: 'moved', environment: env() }), (err: unknown) => {
        return err instanceof Error && /sandbox files are on the Docker engine at tcp:\/\/127\.0\.0\.1:23760 \(Docker context hangar-docker2\)/.test(err.message) && /now uses the engine at unix:\/\/\/var\/run\/docker\.sock/.test(err.message);
      });
      await here.close();
      const back = new DockerSandboxProvider({ storageRoot, engine: CONTEXT });
      await back.destroy('moved');
      await back.close();
    });

  });
});
