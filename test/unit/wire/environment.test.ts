import assert from 'node:assert/strict';
import { CloudConfig, NO_NETWORK, SandboxEnvironment, reachesNothing } from '../../../src/wire';

// Networking in the wire's own terms: the old `{type: "none"}` (session records and environments stored before, and
// older requests) reads as limited with nothing allowed, which is what the sandbox treats as no network at all.

describe('environment networking', () => {
  it('reads a session record stored with networking "none" and config.hangar as the same sandbox', () => {
    const old = { type: 'cloud', networking: { type: 'none' }, packages: {}, hangar: { provider: 'docker', limits: { memory_mb: 512 } } };
    const read = SandboxEnvironment.parse(old);
    assert.deepEqual(read.networking, NO_NETWORK);
    assert.deepEqual(read.hangar, { provider: 'docker', limits: { memory_mb: 512, cpus: 2, pids: 512 } });
    assert.deepEqual(CloudConfig.parse({ type: 'cloud' }).networking, NO_NETWORK, 'the default');
  });

  it('reaches nothing only when nothing at all is allowed', () => {
    assert.equal(reachesNothing(NO_NETWORK), true);
    assert.equal(reachesNothing({ ...NO_NETWORK, allowed_hosts: ['pypi.org'] }), false);
    assert.equal(reachesNothing({ ...NO_NETWORK, allow_package_managers: true }), false);
    assert.equal(reachesNothing({ ...NO_NETWORK, allow_mcp_servers: true }), false);
    assert.equal(reachesNothing({ type: 'unrestricted' }), false);
  });
});
