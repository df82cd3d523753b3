import type { EgressEndpoint, SandboxEgress } from '../types';
import { writeToContainer } from './archive';
import { execCollect, type Container, type Docker } from './client';
import { restrictHostAccess } from './firewall';
import { EGRESS_BRIDGE, networkGateway } from './network';
import { TUNNEL_URL } from './tunnel';

// The Docker side of sandbox egress. A container with networking sits on the internal sandbox network: no route
// out, only the host-side proxy on the network's gateway, which it is pointed at by the proxy variables. The
// runtime CA's certificate is installed into its trust store as root when it starts, and the proxy is told the
// container's address so it knows whose connections they are. The CA's key and every credential stay on the host.
// A remote engine's container has no network at all: it reaches the proxy through a relay over the engine
// connection (tunnel.ts), pointed at by the same variables.

export interface EgressPlan {
  env: string[];
  caCert: { pem: string; path: string } | null;
}

/** Variables that belong to the proxy: replaced wholesale when the proxy moves (a new port after a restart). */
const PROXY_VARS = /^(HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|NODE_USE_ENV_PROXY|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|CURL_CA_BUNDLE|GIT_SSL_CAINFO|REQUESTS_CA_BUNDLE)=/;

export function withoutProxyEnv(env: readonly string[]): string[] {
  return env.filter((e) => !PROXY_VARS.test(e));
}

const NO_PROXY_PLAN = (onProgress?: (m: string) => void): EgressPlan => {
  onProgress?.('No egress proxy is configured: the sandbox is on the isolated network and cannot reach anything.');
  return { env: [], caCert: null };
};

/** What a container on `network` needs for the proxy; warns (once per reason) when the host firewall could not be set. */
export async function planEgress(docker: Docker, network: string, egress: SandboxEgress | null, onProgress?: (m: string) => void): Promise<EgressPlan> {
  if (!egress) return NO_PROXY_PLAN(onProgress);
  const gateway = await networkGateway(docker, network);
  const endpoint: EgressEndpoint = await egress.endpoint(gateway);
  const fw = await restrictHostAccess(EGRESS_BRIDGE, gateway, endpoint.port);
  if (!fw.ok) warnOnce(`Sandboxes can reach services listening on this machine's addresses (${fw.reason}); only the egress proxy is meant to be reachable.`, onProgress);
  return { env: endpoint.env, caCert: endpoint.caCert };
}

/** What a remote engine's container needs: the proxy is the tunnel's relay on its own loopback (tunnel.ts). */
export async function planTunnelEgress(egress: SandboxEgress | null, onProgress?: (m: string) => void): Promise<EgressPlan> {
  if (!egress) return NO_PROXY_PLAN(onProgress);
  const endpoint = await egress.tunnelEndpoint(TUNNEL_URL);
  return { env: endpoint.env, caCert: endpoint.caCert };
}

const warned = new Set<string>();
function warnOnce(message: string, onProgress?: (m: string) => void): void {
  if (warned.has(message)) return;
  warned.add(message);
  onProgress?.(message);
}

/**
 * Puts the runtime CA's certificate where the image's trust store takes it from and rebuilds the store, as root
 * (the agent cannot). Images without update-ca-certificates get it appended to the usual bundle instead.
 */
export async function installCa(container: Container, ca: { pem: string; path: string }): Promise<void> {
  const rel = ca.path.replace(/^\/+/, '');
  await writeToContainer(container, [{ name: rel, mode: 0o644, uid: 0, gid: 0, content: ca.pem }]);
  const script = `update-ca-certificates >/dev/null 2>&1 || { mkdir -p /etc/ssl/certs && cat '${ca.path}' >> /etc/ssl/certs/ca-certificates.crt; }`;
  const r = await execCollect(container, { cmd: ['sh', '-c', script], user: '0' });
  if (r.exitCode !== 0) throw new Error(`installing the egress proxy CA in the sandbox failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').slice(0, 500)}`);
}

/** Tells the proxy which session the container's address on `network` belongs to. */
export async function bindContainer(egress: SandboxEgress, sessionId: string, container: Container, network: string): Promise<void> {
  const info = await container.inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (ip) egress.bind(sessionId, ip);
}
