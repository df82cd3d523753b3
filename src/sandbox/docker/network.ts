import { reachesNothing, type Networking } from '../../wire/environment';
import type { Docker } from './client';
import { LABEL_MANAGED } from './names';

// Where a sandbox's packets may go. Networking that reaches nothing (the local default: limited, nothing allowed)
// gets no interface but loopback. Limited and unrestricted networking
// attach to one internal network (no route out) whose only exit is the host-side egress proxy on its gateway; the
// proxy enforces the environment's policy (egress.ts). The host end of the bridge has a fixed name so the host
// firewall rule can name it (firewall.ts).

export const EGRESS_NETWORK = 'hangar-sandbox-net';
export const EGRESS_BRIDGE = 'hangar-sbx0';

export interface NetworkPlan {
  /** HostConfig.NetworkMode: 'none' or a network name. */
  mode: string;
}

/** `needsProxy`: the sandbox has repository resources, whose hosts the proxy opens whatever the networking says. */
export function planNetwork(networking: Networking, needsProxy = false): NetworkPlan {
  return { mode: reachesNothing(networking) && !needsProxy ? 'none' : EGRESS_NETWORK };
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

interface IpamConfig {
  Subnet?: string;
  Gateway?: string;
}

/**
 * The host's address on a network as its inspect data tells it: the IPAM gateway when the engine reports one, else
 * the first host address of the network's IPv4 subnet, which is where the default IPAM driver puts the bridge when no
 * gateway was asked for (engines such as Debian's docker.io 20.10 leave `Gateway` out). Null when neither is known.
 */
export function gatewayFromIpam(configs: readonly IpamConfig[] | null | undefined): string | null {
  const ipv4 = (configs ?? []).filter((c) => c.Subnet === undefined || /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.Subnet));
  const gateway = ipv4.find((c) => c.Gateway)?.Gateway;
  if (gateway) return gateway.split('/')[0] as string;
  for (const { Subnet } of ipv4) {
    const first = subnetFirstHost(Subnet as string);
    if (first) return first;
  }
  return null;
}

function subnetFirstHost(cidr: string): string | null {
  const [address, bitsText] = cidr.split('/') as [string, string];
  const bits = Number(bitsText);
  const octets = address.split('.').map(Number);
  if (!(bits >= 0 && bits <= 30) || octets.some((o) => !(o >= 0 && o <= 255))) return null;
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = value - (value % size) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}

/** The host's address on the network: where the proxy listens for its containers. */
export async function networkGateway(docker: Docker, name: string): Promise<string> {
  const info = await docker.getNetwork(name).inspect();
  const gateway = gatewayFromIpam((info as { IPAM?: { Config?: IpamConfig[] | null } }).IPAM?.Config);
  if (!gateway) throw new Error(`The Docker network ${name} reports neither a gateway nor an IPv4 subnet, so sandboxes on it cannot reach the egress proxy; remove it (docker network rm ${name}) so Hangar can recreate it.`);
  return gateway;
}
