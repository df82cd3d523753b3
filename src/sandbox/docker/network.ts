import type { Networking } from '../../wire/environment';
import type { Docker } from './client';
import { LABEL_MANAGED } from './names';

// Where a sandbox's packets may go. `none` gets no interface but loopback. Limited and unrestricted networking
// attach to one internal network (no route out) whose only exit is the host-side egress proxy on its gateway; the
// proxy enforces the environment's policy (egress.ts). The host end of the bridge has a fixed name so the host
// firewall rule can name it (firewall.ts).

export const EGRESS_NETWORK = 'hangar-sandbox-net';
export const EGRESS_BRIDGE = 'hangar-sbx0';

export interface NetworkPlan {
  /** HostConfig.NetworkMode: 'none' or a network name. */
  mode: string;
}

export function planNetwork(networking: Networking): NetworkPlan {
  return { mode: networking.type === 'none' ? 'none' : EGRESS_NETWORK };
}

export async function ensureNetwork(docker: Docker, plan: NetworkPlan): Promise<void> {
  if (plan.mode === 'none') return;
  const existing = (await docker.listNetworks({ filters: { name: [plan.mode] } })).find((n) => n.Name === plan.mode);
  if (existing) {
    // A network of that name that routes to the outside would silently bypass the proxy: never use it.
    if (!existing.Internal) throw new Error(`The Docker network ${plan.mode} exists but is not internal; remove it (docker network rm ${plan.mode}) so Hangar can recreate it isolated.`);
    return;
  }
  try {
    await docker.createNetwork({
      Name: plan.mode,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      Labels: { [LABEL_MANAGED]: '1' },
      Options: { 'com.docker.network.bridge.name': EGRESS_BRIDGE },
    });
  } catch (err) {
    // Another provision created it meanwhile.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}

/** The host's address on the network: where the proxy listens for its containers. */
export async function networkGateway(docker: Docker, name: string): Promise<string> {
  const info = await docker.getNetwork(name).inspect();
  const gateway = (info as { IPAM?: { Config?: { Gateway?: string }[] } }).IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  if (!gateway) throw new Error(`The Docker network ${name} has no gateway address, so sandboxes on it cannot reach the egress proxy.`);
  return gateway.split('/')[0] as string;
}
