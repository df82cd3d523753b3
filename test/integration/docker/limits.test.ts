import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { execCollect } from '../../../src/sandbox/docker/client';
import { networkGateway } from '../../../src/sandbox/docker/network';
import { DEFAULT_IMAGE } from '../../../src/sandbox/docker/plan';
import { env, newProvider, ok, requireDocker, sandboxContainerId, text, TIMEOUT } from './helpers';

// The limits hold and the session survives them: a fork bomb hits the pids limit, a memory hog the memory limit
// (reported to the model as out of memory), and with the default networking (limited, nothing allowed) nothing
// outside the container answers.

/** Output of a command in a throwaway container on the default bridge network (not a sandbox: the control). */
async function runOnce(docker: Docker, cmd: string[]): Promise<string> {
  const c = await docker.createContainer({ Image: DEFAULT_IMAGE, Entrypoint: ['sleep'], Cmd: ['60'], HostConfig: { NetworkMode: 'bridge', AutoRemove: false } });
  try {
    await c.start();
    return (await execCollect(c, { cmd })).stdout.toString('utf8');
  } finally {
    await c.remove({ force: true });
  }
}

/** The default bridge's gateway as a container on it is told it. */
async function bridgeGateway(docker: Docker): Promise<string> {
  const c = await docker.createContainer({ Image: DEFAULT_IMAGE, Entrypoint: ['sleep'], Cmd: ['60'], HostConfig: { NetworkMode: 'bridge' } });
  try {
    await c.start();
    const gateway = (await c.inspect()).NetworkSettings.Networks.bridge?.Gateway;
    assert.ok(gateway, 'a container on the default bridge has a gateway');
    return gateway;
  } finally {
    await c.remove({ force: true });
  }
}

describe('docker sandbox: limits and isolation', function () {
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

  it('runs hardened: non-root, no capabilities, no privilege gain, the limits from the environment', async () => {
    const sb = await provider.provision({ sessionId: 'hardened', environment: env({ hangar: { limits: { memory_mb: 300, cpus: 0.5, pids: 100 } } }) });
    const info = await docker.getContainer(sandboxContainerId(sb)).inspect();
    assert.equal(info.Config.User, 'agent');
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.deepEqual(info.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(info.HostConfig.PidsLimit, 100);
    assert.equal(info.HostConfig.Memory, 300 * 1024 * 1024);
    assert.equal(info.HostConfig.MemorySwap, 300 * 1024 * 1024);
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.equal(info.HostConfig.Privileged, false);
    assert.equal(await ok(sb, 'bash', { command: 'id -u; grep CapEff /proc/self/status' }), '1000\nCapEff:\t0000000000000000');
    assert.match(await ok(sb, 'bash', { command: 'ls /var/run/docker.sock 2>&1 || true' }), /No such file/);
  });

  it('a fork bomb is stopped by the pids limit and the session goes on', async () => {
    const sb = await provider.provision({ sessionId: 'forkbomb', environment: env({ hangar: { limits: { pids: 64 } } }) });
    // The command itself spins without forking, so it is still running when its timeout kills the whole group: a
    // bomb left running in the background would hold every pid and starve the next command (bash retries forks).
    const bomb = await sb.execute('bash', { command: 'bomb() { bomb | bomb & }; bomb; while :; do :; done', timeout_ms: 3000 });
    assert.match(text(bomb), /resource temporarily unavailable/i, 'the bomb reached the pids limit');
    assert.match(text(bomb), /timed out/);
    assert.equal(await ok(sb, 'bash', { command: 'echo still here' }), 'still here');
    assert.equal(await ok(sb, 'bash', { command: 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max' }), '64');
  });

  it('a memory hog is stopped by the memory limit, the model hears why, and the session goes on', async () => {
    const sb = await provider.provision({ sessionId: 'memhog', environment: env({ hangar: { limits: { memory_mb: 200 } } }) });
    const id = sandboxContainerId(sb);
    const hog = await sb.execute('bash', { command: 'python3 -c "b = bytearray(600 * 1024 * 1024); print(len(b))"' });
    assert.equal(hog.is_error, true);
    assert.match(text(hog), /out of memory.*200 MB/);
    assert.equal(await ok(sb, 'bash', { command: 'echo fine' }), 'fine');
    assert.equal(sandboxContainerId(sb), id);
  });

  describe('network', () => {
    let server: http.Server;
    let hostAddress: string;
    let port: number;
    before(async () => {
      server = http.createServer((_req, res) => res.end('reached'));
      await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
      port = (server.address() as AddressInfo).port;
      // This host as a container on the default bridge sees it: that container's gateway. The engine reports it for a
      // running container even where the network's IPAM data leaves the gateway out (Debian's docker.io 20.10).
      hostAddress = await bridgeGateway(docker);
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('control: a container with a network reaches the host server', async () => {
      const out = await runOnce(docker, ['curl', '-sS', '-m', '5', `http://${hostAddress}:${port}/`]);
      assert.equal(out, 'reached');
    });

    it('the provider finds the same host address from the network alone', async () => {
      assert.equal(await networkGateway(docker, 'bridge'), hostAddress);
    });

    it('with the default networking (nothing allowed), outbound connections fail', async () => {
      const sb = await provider.provision({ sessionId: 'net-off', environment: env() });
      const out = await sb.execute('bash', { command: `curl -sS -m 5 http://${hostAddress}:${port}/; echo "exit=$?"` });
      assert.match(text(out), /exit=(7|28)/);
      assert.doesNotMatch(text(out), /reached/);
      assert.equal(await ok(sb, 'bash', { command: 'ls /sys/class/net' }), 'lo');
    });
  });
});
