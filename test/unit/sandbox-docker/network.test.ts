import assert from 'node:assert/strict';
import { gatewayFromIpam } from '../../../src/sandbox/docker/network';

// The host's address on a sandbox network comes from the engine's IPAM data, which not every engine fills in.

describe('sandbox-docker: network gateway', () => {
  it('takes the gateway the engine reports, without a prefix length', () => {
    assert.equal(gatewayFromIpam([{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]), '172.18.0.1');
    assert.equal(gatewayFromIpam([{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254/24' }]), '10.9.0.254');
  });

  it('falls back to the subnet\'s first host when the engine reports no gateway (docker.io 20.10\'s default bridge)', () => {
    assert.equal(gatewayFromIpam([{ Subnet: '172.17.0.0/16' }]), '172.17.0.1');
    assert.equal(gatewayFromIpam([{ Subnet: '192.168.77.128/25' }]), '192.168.77.129');
    // A subnet written with host bits set still names its network.
    assert.equal(gatewayFromIpam([{ Subnet: '10.1.2.3/8' }]), '10.0.0.1');
  });

  it('ignores IPv6 entries and says so when nothing usable is left', () => {
    assert.equal(gatewayFromIpam([{ Subnet: 'fd00:1::/64', Gateway: 'fd00:1::1' }, { Subnet: '172.20.0.0/16' }]), '172.20.0.1');
    assert.equal(gatewayFromIpam([{ Subnet: 'fd00:1::/64' }]), null);
    assert.equal(gatewayFromIpam([]), null);
    assert.equal(gatewayFromIpam(null), null);
    assert.equal(gatewayFromIpam([{ Subnet: '300.1.1.0/24' }]), null);
  });
});
