import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineConfigError, resolveEngine } from '../../../src/sandbox/docker/engine';
import { SshAgent, sshArgs } from '../../../src/sandbox/docker/ssh-transport';
import { DiskFullError, DockerUnavailableError, ImageMissingError, onEngine } from '../../../src/sandbox/docker/errors';

// Which engine Hangar talks to, found as Docker's CLI finds it (explicit address or context, DOCKER_HOST and its TLS
// variables, DOCKER_CONTEXT, the config's current context, the local socket), and whether it counts as remote.

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-engine-'));
}

function writeCerts(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), `${f} bytes`);
}

/** A context as `docker context create` stores it. */
function writeContext(config: string, name: string, host: string, certs: boolean): void {
  const id = createHash('sha256').update(name).digest('hex');
  fs.mkdirSync(path.join(config, 'contexts', 'meta', id), { recursive: true });
  fs.writeFileSync(path.join(config, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  if (certs) writeCerts(path.join(config, 'contexts', 'tls', id, 'docker'));
}

describe('docker engine resolution', () => {
  it('a unix socket is local; the default is /var/run/docker.sock', () => {
    const t = resolveEngine('unix:///run/other.sock', {});
    assert.equal(t.local, true);
    assert.equal(t.options.socketPath, '/run/other.sock');
    assert.equal(t.options.host, undefined);
    const d = resolveEngine(undefined, { DOCKER_CONFIG: tmp() });
    assert.equal(d.local, true);
    assert.equal(d.options.socketPath, '/var/run/docker.sock');
  });

  it('DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH is a remote engine over mutual TLS', () => {
    const certs = tmp();
    writeCerts(certs);
    const t = resolveEngine(undefined, { DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
    assert.equal(t.local, false);
    assert.deepEqual([t.options.protocol, t.options.host, t.options.port], ['https', '10.0.0.5', 2376]);
    assert.equal(String(t.options.ca), 'ca.pem bytes');
    assert.equal(String(t.options.cert), 'cert.pem bytes');
    assert.match(t.cli, /^-H tcp:\/\/10\.0\.0\.5:2376 --tlsverify --tlscacert .*ca\.pem --tlscert .*cert\.pem --tlskey .*key\.pem$/);
  });

  it('plain tcp without TLS variables is plain HTTP; an explicit address wins over DOCKER_HOST', () => {
    const t = resolveEngine('tcp://build-box:2375', { DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_CONFIG: tmp() });
    assert.deepEqual([t.local, t.options.protocol, t.options.host, t.options.port], [false, 'http', 'build-box', 2375]);
  });

  it('ssh:// is remote, reached through this machine\'s ssh running `docker system dial-stdio` there', () => {
    const t = resolveEngine('ssh://deploy@build-box:2222');
    assert.equal(t.local, false);
    const agent = (t.options as { agent?: unknown }).agent;
    assert.ok(agent instanceof SshAgent);
    assert.deepEqual(agent.destination, { host: 'build-box', user: 'deploy', port: 2222 });
    const args = sshArgs(agent.destination);
    assert.deepEqual(args.slice(args.indexOf('-T')), ['-T', '-l', 'deploy', '-p', '2222', '--', 'build-box', 'docker', 'system', 'dial-stdio']);
    assert.ok(args.includes('BatchMode=yes'), 'never waits for a password prompt');
    // A host alias from ~/.ssh/config: its port and user come from there.
    assert.deepEqual((resolveEngine('ssh://build-alias').options as { agent: SshAgent }).agent.destination, { host: 'build-alias', user: undefined, port: undefined });
    assert.throws(() => resolveEngine('ssh://'), EngineConfigError);
  });

  it('a context by name, by DOCKER_CONTEXT, and the current context of config.json', () => {
    const config = tmp();
    writeContext(config, 'box', 'tcp://192.168.1.9:2376', true);
    writeContext(config, 'laptop', 'unix:///home/me/.docker/run/docker.sock', false);
    const byName = resolveEngine('box', { DOCKER_CONFIG: config });
    assert.deepEqual([byName.local, byName.options.protocol, byName.options.host, byName.label, byName.cli], [false, 'https', '192.168.1.9', 'tcp://192.168.1.9:2376 (Docker context box)', '--context box']);
    assert.equal(String(byName.options.key), 'key.pem bytes');
    assert.equal(resolveEngine(undefined, { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'laptop' }).options.socketPath, '/home/me/.docker/run/docker.sock');
    fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'box' }));
    assert.equal(resolveEngine(undefined, { DOCKER_CONFIG: config }).options.host, '192.168.1.9');
    // DOCKER_HOST comes before the current context, as for Docker's CLI.
    assert.equal(resolveEngine(undefined, { DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///x.sock' }).options.socketPath, '/x.sock');
    assert.equal(resolveEngine('default', { DOCKER_CONFIG: config }).local, true);
  });

  it('refuses an unknown context, a damaged one and an unsupported scheme, naming them', () => {
    const config = tmp();
    assert.throws(() => resolveEngine('nope', { DOCKER_CONFIG: config }), (e: unknown) => e instanceof EngineConfigError && /no Docker context "nope"/.test(e.message) && /docker context ls/.test(e.message));
    writeContext(config, 'bad', 'tcp://x:1', false);
    const id = createHash('sha256').update('bad').digest('hex');
    fs.writeFileSync(path.join(config, 'contexts', 'meta', id, 'meta.json'), '{"Name":');
    assert.throws(() => resolveEngine('bad', { DOCKER_CONFIG: config }), (e: unknown) => e instanceof EngineConfigError && /context "bad"/.test(e.message) && /cannot be read/.test(e.message));
    assert.throws(() => resolveEngine('fd://3', {}), (e: unknown) => e instanceof EngineConfigError && /unsupported scheme fd/.test(e.message));
  });

  it('typed engine errors name a remote engine and give fixes that work there; the local ones stay as they were', () => {
    const remote = { label: 'tcp://box:2376', local: false, cli: '-H tcp://box:2376 --tlsverify' };
    const image = onEngine(new ImageMissingError('hangar-sandbox:latest'), remote) as Error;
    assert.match(image.message, /not present in the Docker engine at tcp:\/\/box:2376/);
    assert.match(image.message, /docker save hangar-sandbox:latest \| docker -H tcp:\/\/box:2376 --tlsverify load/);
    const disk = onEngine(new DiskFullError('no space left on device'), remote) as Error;
    assert.ok(disk instanceof DiskFullError);
    assert.match(disk.message, /engine at tcp:\/\/box:2376 is out of disk space \(no space left on device\)/);
    assert.match(disk.message, /docker -H tcp:\/\/box:2376 --tlsverify system prune/);
    assert.match((onEngine(new DockerUnavailableError('ECONNREFUSED'), remote) as Error).message, /engine at tcp:\/\/box:2376 does not answer \(ECONNREFUSED\)/);
    const local = new ImageMissingError('x:1');
    assert.equal(onEngine(local, { label: 'unix:///var/run/docker.sock', local: true, cli: '' }), local);
  });
});
