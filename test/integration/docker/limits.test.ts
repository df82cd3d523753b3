import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { EGRESS_NETWORK } from '../../../src/sandbox/docker/network';
import { env, newProvider, ok, requireDocker, sandboxContainerId, text, TIMEOUT } from './helpers';

// The limits hold and the session survives them: a fork bomb hits the pids limit, a memory hog the memory limit
// (reported to the model as out of memory), and with networking "none" nothing outside the container answers.

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
    const bomb = await sb.execute('bash', { command: 'bomb() { bomb | bomb & }; bomb; sleep 5', timeout_ms: 8000 });
    assert.match(text(bomb), /fork|resource temporarily unavailable|timed out/i);
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
    let gateway: string;
    let port: number;
    before(async () => {
      server = http.createServer((_req, res) => res.end('reached'));
      await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
      port = (server.address() as AddressInfo).port;
      // The egress network's gateway is the host as containers on it see it.
      await provider.provision({ sessionId: 'net-probe', environment: env({ networking: { type: 'unrestricted' } }) });
      const net = await docker.getNetwork(EGRESS_NETWORK).inspect();
      const found = net.IPAM?.Config?.[0]?.Gateway;
      assert.ok(found, 'the egress network has a gateway');
      gateway = found;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('control: with networking allowed, the host server answers', async () => {
      const sb = await provider.provision({ sessionId: 'net-on', environment: env({ networking: { type: 'unrestricted' } }) });
      assert.equal(await ok(sb, 'bash', { command: `curl -sS -m 5 http://${gateway}:${port}/` }), 'reached');
    });

    it('with networking none, outbound connections fail', async () => {
      const sb = await provider.provision({ sessionId: 'net-off', environment: env() });
      const out = await sb.execute('bash', { command: `curl -sS -m 5 http://${gateway}:${port}/; echo "exit=$?"` });
      assert.match(text(out), /exit=(7|28)/);
      assert.doesNotMatch(text(out), /reached/);
      assert.equal(await ok(sb, 'bash', { command: 'ls /sys/class/net' }), 'lo');
    });
  });
});
