import assert from 'node:assert/strict';
import { sandboxExec, type Hands } from '../../../src/sandbox/docker/hands';
import type { DockerSandbox } from '../../../src/sandbox/docker/sandbox';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT } from './helpers';

// Hangar's own commands in a sandbox (copy mode's scans, a checkpoint's restore) go through the tool server's exec op
// while it is up: bytes both ways, exit codes, env and working directory as an engine exec gives them.

describe('docker sandbox: Hangar commands through the tool server', function () {
  this.timeout(TIMEOUT);
  const provider = newProvider({ files: 'overlay' });
  after(async () => {
    await provider.reap(new Set());
    await provider.close();
  });

  it('runs a program with stdin, env and cwd, and reports its exit code and output', async () => {
    await requireDocker();
    const sb = (await provider.provision({ sessionId: 'sandbox-exec', repoPath: makeRepo({ 'a.txt': 'a\n' }), environment: env() })) as DockerSandbox;
    await ok(sb, 'bash', { command: 'true' });
    assert.equal(sb.toolTransport, 'server');
    const hands = (sb as unknown as { hands: Hands }).hands;
    const exec = sandboxExec(hands, sb.state.settings.user);
    const bytes = Buffer.from([0, 1, 0xff, 0x0a, 0xe9]);
    const cat = await exec({ cmd: ['sh', '-c', 'cat; printf "%s|%s|%s" "$(pwd)" "$ONLY_HERE" "$(id -un)" >&2; exit 3'], env: ['ONLY_HERE=yes'], stdin: bytes });
    assert.deepEqual(cat.stdout, bytes, 'stdout bytes as written');
    assert.equal(cat.exitCode, 3);
    assert.equal(cat.stderr.toString('utf8'), `/workspace|yes|${sb.state.settings.user.split(':')[0]}`);
    const missing = await exec({ cmd: ['no-such-program-here'] });
    assert.equal(missing.exitCode, 127);
    assert.match(missing.stderr.toString('utf8'), /ENOENT/);
  });
});
