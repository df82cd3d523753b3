import net from 'node:net';
import type { Networking } from '../../wire/environment';
import { matchesAny, PACKAGE_MANAGER_HOSTS } from './hosts';

// What the proxy needs to know about one session's sandbox: where it may connect (the environment's networking)
// and which credentials apply to which hosts. The runtime builds it from the session record and its vaults each time
// a connection starts, so a credential that changes or is archived takes effect on the next connection.

/** How a credential reaches the request, once the proxy terminates TLS for a host it belongs to. */
export type Injection =
  /** A header the proxy sets (replacing any the client sent): `Authorization: Bearer …`, Basic, or a custom one. */
  | { kind: 'header'; name: string; value: string }
  /** The sandbox holds `placeholder` in an environment variable; the proxy swaps it for the secret. */
  | { kind: 'placeholder'; placeholder: string; headers: boolean; body: boolean };

export interface ProxyCredential {
  /** The credential id: names it in the egress log and in redactions, never its value. */
  id: string;
  /** Host patterns the credential belongs to ('any': the credential's networking is unrestricted). */
  hosts: readonly string[] | 'any';
  /** The raw secret, for scrubbing it out of responses. */
  secret: string;
  injection: Injection;
}

export interface EgressPolicy {
  sessionId: string;
  networking: Networking;
  /** Hosts of the agent's MCP servers, opened by `allow_mcp_servers`. */
  mcpHosts: readonly string[];
  /** Hosts of the session's repository resources: given by the user with the session, so always open (clone, push). */
  repositoryHosts?: readonly string[];
  credentials: readonly ProxyCredential[];
  /** The session's egress log (JSONL); null: log to the proxy's unattributed log. */
  logFile: string | null;
}

export type HostVerdict = { ok: true } | { ok: false; reason: string; hint: string };

export function checkHost(policy: EgressPolicy, host: string): HostVerdict {
  const n = policy.networking;
  if (n.type === 'unrestricted') return { ok: true };
  const lists = [n.allowed_hosts, n.allow_package_managers ? PACKAGE_MANAGER_HOSTS : [], n.allow_mcp_servers ? policy.mcpHosts : [], policy.repositoryHosts ?? []];
  if (lists.some((l) => matchesAny(l, host))) return { ok: true };
  const shown = n.allowed_hosts.length > 0 ? n.allowed_hosts.slice(0, 10).join(', ') + (n.allowed_hosts.length > 10 ? ', …' : '') : 'none';
  return {
    ok: false,
    reason: `the host is not on the environment's allow-list (networking "limited"; allowed_hosts: ${shown})`,
    hint: `To allow it, add "${host}"${wildcardHint(host)} to the environment's config.networking.allowed_hosts and start a new session.`,
  };
}

function wildcardHint(host: string): string {
  const labels = host.split('.');
  return net.isIP(host) || labels.length < 3 ? '' : ` (or a wildcard such as "*.${labels.slice(1).join('.')}")`;
}

/** The credentials that apply to `host`, in the order the session's vaults list them. */
export function credentialsFor(policy: EgressPolicy, host: string): ProxyCredential[] {
  return policy.credentials.filter((c) => c.hosts === 'any' || matchesAny(c.hosts, host));
}

