import type { Networking } from '../../wire/environment';
import type { Docker } from './client';
import { LABEL_MANAGED } from './names';

// Where a sandbox's packets may go. `none` gets no interface but loopback. Limited and unrestricted networking
// attach, for now, to one dedicated bridge network; this is the seam for the egress-proxy issue, which will attach
// an internal network whose only way out is the host-side proxy and set the proxy variables here.

export const EGRESS_NETWORK = 'hangar-egress';

export interface NetworkPlan {
  /** HostConfig.NetworkMode: 'none' or a network name. */
  mode: string;
  /** Extra container environment the network needs (proxy variables, once there is a proxy). */
  env: string[];
}

export function planNetwork(networking: Networking): NetworkPlan {
  if (networking.type === 'none') return { mode: 'none', env: [] };
  return { mode: EGRESS_NETWORK, env: [] };
}

export async function ensureNetwork(docker: Docker, plan: NetworkPlan): Promise<void> {
  if (plan.mode === 'none') return;
  const existing = await docker.listNetworks({ filters: { name: [plan.mode] } });
  if (existing.some((n) => n.Name === plan.mode)) return;
  try {
    await docker.createNetwork({ Name: plan.mode, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL_MANAGED]: '1' } });
  } catch (err) {
    // Another provision created it meanwhile.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}
