// The runtime's side of the egress seam without a runtime, shared by the Docker benches that need networking: every
// session the provider binds may reach what the proxy's own policy allows.
import type { Duplex } from 'node:stream';
import type { EgressEndpoint, SandboxEgress } from '../../src/sandbox/types';
import { SANDBOX_CA_PATH, sandboxProxyEnv, sandboxTrustPem } from '../../src/vault/proxy/sandbox-env';
import type { EgressProxy } from '../../src/vault/proxy/server';

export class BenchEgress implements SandboxEgress {
  constructor(private readonly proxy: EgressProxy) {}
  async endpoint(gateway: string): Promise<EgressEndpoint> {
    const address = await this.proxy.listen(gateway, 0);
    return { port: address.port, ...(await this.tunnelEndpoint(address.url)) };
  }
  bind(sessionId: string, address: string): void {
    this.proxy.bind(sessionId, address);
  }
  unbind(sessionId: string): void {
    this.proxy.unbind(sessionId);
  }
  async tunnelEndpoint(url: string): Promise<Omit<EgressEndpoint, 'port'>> {
    return { env: sandboxProxyEnv(url), caCert: { pem: sandboxTrustPem(this.proxy.caCertPem), path: SANDBOX_CA_PATH } };
  }
  accept(sessionId: string, connection: Duplex): void {
    this.proxy.accept(sessionId, connection);
  }
}
