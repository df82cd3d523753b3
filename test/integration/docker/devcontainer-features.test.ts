import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { DevcontainerError } from '../../../src/sandbox/docker';
import { pruneDerivedImages } from '../../../src/sandbox/docker/derived-image';
import { freePort } from '../../support/mcp-servers';
import { listenOnLoopback } from '../../support/listen';
import { featureTar, startRegistry, type Registry } from '../../support/oci-registry';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, TIMEOUT } from './helpers';

// devcontainer.json `features` on real Docker: a local feature (a folder next to devcontainer.json) and an OCI feature
// pushed to a real registry on loopback (Debian's docker-registry), installed in the spec's order (installsAfter
// before listing order) with their options as variables and their containerEnv visible to the agent; the derived
// image reused by a second session and rebuilt when a feature's files change; the settings a feature may ask for that
// would weaken the sandbox named and not applied; and the bad inputs (a missing feature, one the registry lacks, a
// failing install.sh, a dependency cycle) as setup errors that name the feature.

const json = (v: unknown) => JSON.stringify(v, null, 2);

const TOOL_FEATURE = {
  '.devcontainer/tool/devcontainer-feature.json': json({
    id: 'tool',
    version: '1.0.0',
    options: { greeting: { type: 'string', default: 'hello' }, 'flavour-name': { type: 'string', default: 'plain' } },
    containerEnv: { TOOL_HOME: '/opt/tool', PATH: '/opt/tool/bin:${PATH}' },
    installsAfter: [], // filled per test
    onCreateCommand: 'echo feature-onCreate >> /workspace/.lifecycle',
  }),
  '.devcontainer/tool/install.sh': [
    '#!/bin/sh',
    'set -e',
    'mkdir -p /opt/tool/bin',
    'printf "#!/bin/sh\\necho %s %s from $TOOL_HOME\\n" "$GREETING" "$FLAVOUR_NAME" > /opt/tool/bin/tool',
    'chmod +x /opt/tool/bin/tool',
    'echo "tool remote=$_REMOTE_USER home=$_REMOTE_USER_HOME lang=$LANG_HOME" >> /opt/order',
  ].join('\n'),
};

const LANG_FILES = {
  'devcontainer-feature.json': json({ id: 'lang', version: '1.2.0', options: { version: { type: 'string', default: 'latest' } }, containerEnv: { LANG_HOME: '/opt/lang' } }),
  'install.sh': '#!/bin/sh\nset -e\nmkdir -p /opt/lang\necho "$VERSION" > /opt/lang/version\necho "lang version=$VERSION" >> /opt/order\n',
};

describe('docker sandbox: devcontainer features', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  let provider: DockerSandboxProvider;
  let registry: Registry;
  let lang: string;

  before(async () => {
    docker = await requireDocker();
    provider = newProvider();
    registry = await startRegistry();
    await registry.push('features/lang', '1', LANG_FILES);
    lang = `${registry.host}/features/lang`;
  });
  after(async () => {
    await provider?.reap(new Set());
    await provider?.close();
    await registry?.close();
    if (provider) await pruneDerivedImages(docker, provider.root, null, { maxCount: 0 });
  });

  function featureRepo(extra: Record<string, unknown> = {}): string {
    const meta = JSON.parse(TOOL_FEATURE['.devcontainer/tool/devcontainer-feature.json']) as Record<string, unknown>;
    meta.installsAfter = [lang];
    return makeRepo({
      ...TOOL_FEATURE,
      '.devcontainer/tool/devcontainer-feature.json': json(meta),
      '.devcontainer/devcontainer.json': json({
        image: 'hangar-sandbox:latest',
        // Listed first, installed second: it installsAfter the OCI feature.
        features: { './tool': { 'flavour-name': 'mint' }, [`${lang}:1`]: '3.11' },
        onCreateCommand: 'echo devcontainer-onCreate >> /workspace/.lifecycle',
        ...extra,
      }),
    });
  }

  it('installs a local and an OCI feature in the spec order, with options as variables and containerEnv seen by the agent', async () => {
    const progress: string[] = [];
    const sb = await provider.provision({ sessionId: 'features', repoPath: featureRepo(), environment: env(), onProgress: (m) => progress.push(m) });
    const out = await ok(sb, 'bash', { command: 'tool; echo "$TOOL_HOME|$LANG_HOME"; cat /opt/lang/version; cat /opt/order; cat /workspace/.lifecycle; whoami' });
    const lines = out.split('\n');
    assert.equal(lines[0], 'hello mint from /opt/tool', 'the default and the given option, and containerEnv during the install');
    assert.equal(lines[1], '/opt/tool|/opt/lang', 'both features\' containerEnv reach the agent');
    assert.equal(lines[2], '3.11', 'a string in place of options sets the version option');
    assert.equal(lines[3], 'lang version=3.11', 'installsAfter puts the OCI feature first');
    assert.equal(lines[4], 'tool remote=agent home=/home/agent lang=/opt/lang', 'the earlier feature\'s containerEnv is set for the later install');
    assert.deepEqual(lines.slice(5, 7), ['feature-onCreate', 'devcontainer-onCreate'], 'a feature\'s lifecycle command runs before the devcontainer\'s');
    assert.equal(lines[7], 'agent');
    assert.ok(progress.some((m) => m.startsWith(`Installing the devcontainer's features (${lang}:1, ./tool) into an image`)), progress.join('\n'));
    assert.ok(progress.includes(`Fetching the devcontainer feature ${lang}:1`), progress.join('\n'));
    const image = (await docker.getContainer(sandboxContainerId(sb)).inspect()).Config.Image;
    assert.match(image, /^hangar-features:[0-9a-f]{16}$/);
    const scratch = await ok(sb, 'bash', { command: 'ls /var/tmp/hangar-features 2>&1 || true' });
    assert.match(scratch, /No such file/, 'the features\' folders do not stay in the image');
  });

  it('reuses the derived image for a second session, and builds another when a feature\'s files change', async () => {
    const repo = featureRepo();
    await provider.provision({ sessionId: 'cache-1', repoPath: repo, environment: env() });
    const progress: string[] = [];
    const sb = await provider.provision({ sessionId: 'cache-2', repoPath: repo, environment: env(), onProgress: (m) => progress.push(m) });
    assert.ok(progress.some((m) => m.startsWith("Using the cached image with the devcontainer's features")), progress.join('\n'));
    assert.ok(!progress.some((m) => m.startsWith('Installing the devcontainer')), progress.join('\n'));
    const first = (await docker.getContainer(sandboxContainerId(sb)).inspect()).Config.Image;

    fs.appendFileSync(path.join(repo, '.devcontainer/tool/install.sh'), '\necho changed > /opt/tool/changed\n');
    const changed: string[] = [];
    const sb3 = await provider.provision({ sessionId: 'cache-3', repoPath: repo, environment: env(), onProgress: (m) => changed.push(m) });
    assert.ok(changed.some((m) => m.startsWith('Installing the devcontainer')), changed.join('\n'));
    assert.equal(await ok(sb3, 'bash', { command: 'cat /opt/tool/changed' }), 'changed');
    assert.notEqual((await docker.getContainer(sandboxContainerId(sb3)).inspect()).Config.Image, first);
  });

  it('installs a feature from a tarball URL (gzipped tar on a loopback HTTP server); plain HTTP elsewhere is refused', async () => {
    const tgz = gzipSync(await featureTar({ 'devcontainer-feature.json': json({ id: 'hello', containerEnv: { HELLO: 'from-tarball' } }), 'install.sh': '#!/bin/sh\necho tarball > /opt/hello\n' }));
    const server = http.createServer((req, res) => {
      if (req.url === '/devcontainer-feature-hello.tgz') res.end(tgz);
      else res.writeHead(404).end();
    });
    const { port, close } = await listenOnLoopback(server);
    try {
      const url = `http://127.0.0.1:${port}/devcontainer-feature-hello.tgz`;
      const repo = makeRepo({ '.devcontainer/devcontainer.json': json({ image: 'hangar-sandbox:latest', features: { [url]: {} } }) });
      const sb = await provider.provision({ sessionId: 'tarball', repoPath: repo, environment: env() });
      assert.equal(await ok(sb, 'bash', { command: 'cat /opt/hello; echo $HELLO' }), 'tarball\nfrom-tarball');
      const missing = makeRepo({ '.devcontainer/devcontainer.json': json({ image: 'hangar-sandbox:latest', features: { [`http://127.0.0.1:${port}/nope.tgz`]: {} } }) });
      await assert.rejects(provider.provision({ sessionId: 'tarball-404', repoPath: missing, environment: env() }), /fetching the feature tarball http:\/\/127\.0\.0\.1:\d+\/nope\.tgz failed: .* answered 404/);
    } finally {
      await close();
    }
    const plain = makeRepo({ '.devcontainer/devcontainer.json': json({ image: 'hangar-sandbox:latest', features: { 'http://features.example.com/x.tgz': {} } }) });
    await assert.rejects(provider.provision({ sessionId: 'tarball-http', repoPath: plain, environment: env() }), /is fetched over plain HTTP; use https:\/\/ \(plain HTTP is accepted for loopback only\)/);
  });

  it('names the settings a feature asks for that would weaken the sandbox, and does not apply them', async () => {
    const repo = makeRepo({
      '.devcontainer/risky/devcontainer-feature.json': json({ id: 'risky', privileged: true, capAdd: ['SYS_ADMIN'], mounts: [{ source: '/', target: '/host', type: 'bind' }], init: true, entrypoint: '/usr/local/bin/risky' }),
      '.devcontainer/risky/install.sh': '#!/bin/sh\necho installed > /opt/risky\n',
      '.devcontainer/devcontainer.json': json({ image: 'hangar-sandbox:latest', features: { './risky': {} } }),
    });
    const progress: string[] = [];
    const sb = await provider.provision({ sessionId: 'risky', repoPath: repo, environment: env(), onProgress: (m) => progress.push(m) });
    const told = progress.find((m) => m.startsWith('devcontainer.json settings Hangar does not apply')) ?? '';
    for (const key of ['privileged', 'capAdd', 'mounts', 'init', 'entrypoint']) assert.match(told, new RegExp(`feature \\./risky: ${key} \\(`), told);
    assert.equal(await ok(sb, 'bash', { command: 'cat /opt/risky; ls /host 2>&1 || true' }), 'installed\nls: cannot access \'/host\': No such file or directory');
    const info = await docker.getContainer(sandboxContainerId(sb)).inspect();
    assert.equal(info.HostConfig.Privileged, false);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.HostConfig.CapAdd, null);
    assert.deepEqual(info.Mounts.filter((m) => m.Destination === '/host'), []);
  });

  it('a missing local feature, a feature the registry lacks, a failing install.sh and a dependency cycle are setup errors naming the feature', async () => {
    const dc = (features: Record<string, unknown>, files: Record<string, string> = {}) =>
      makeRepo({ ...files, '.devcontainer/devcontainer.json': json({ image: 'hangar-sandbox:latest', features }) });
    const fails = async (id: string, repo: string, pattern: RegExp) =>
      assert.rejects(provider.provision({ sessionId: id, repoPath: repo, environment: env() }), (err: unknown) => {
        assert.ok(err instanceof DevcontainerError, String(err));
        assert.match(err.message, pattern);
        return true;
      });
    await fails('missing', dc({ './nope': {} }), /the local feature \.\/nope does not exist/);
    await fails('outside', dc({ '../../..': {} }), /the local feature \.\.\/\.\.\/\.\. resolves to .*, outside the repository/);
    await fails('absent', dc({ [`${registry.host}/features/absent:1`]: {} }), new RegExp(`fetching the feature ${registry.host}/features/absent:1 failed: .* answered 404`));
    const closed = `127.0.0.1:${await freePort()}`;
    await fails('unreachable', dc({ [`${closed}/features/x:1`]: {} }), new RegExp(`fetching the feature ${closed}/features/x:1 from ${closed} failed: .*ECONNREFUSED`));
    await fails('bad-id', dc({ 'not a feature': {} }), /the feature id "not a feature" is neither a local folder/);
    await fails(
      'broken',
      dc({ './broken': {} }, { '.devcontainer/broken/devcontainer-feature.json': json({ id: 'broken' }), '.devcontainer/broken/install.sh': '#!/bin/sh\necho half-way\necho no compiler >&2\nexit 7\n' }),
      /the devcontainer feature \.\/broken failed to install: its install.sh exited with code 7:\nhalf-way\nno compiler/,
    );
    await fails(
      'cycle',
      dc({ './a': {} }, {
        '.devcontainer/a/devcontainer-feature.json': json({ id: 'a', dependsOn: { './b': {} } }),
        '.devcontainer/a/install.sh': 'true',
        '.devcontainer/b/devcontainer-feature.json': json({ id: 'b', dependsOn: { './a': {} } }),
        '.devcontainer/b/install.sh': 'true',
      }),
      /the devcontainer's features cannot be ordered: .*\.\/a \(dependsOn \.\/b.*\.\/b \(dependsOn \.\/a/,
    );
  });
});
