import dns from 'node:dns';
import net from 'node:net';
import { classifyAddress, describeClass } from './address';
import { checkHost, credentialsFor, type EgressPolicy, type ProxyCredential } from './policy';

// Whether one connection may go out, and to which address. The name is checked against the environment's policy,
// then resolved here (never by the sandbox), and every address it resolves to is checked: a name that resolves to
// a private, loopback or link-local address is refused, and the connection goes to the address that was checked,
// so a second DNS answer (rebinding) cannot redirect it.

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type Lookup = (host: string) => Promise<ResolvedAddress[]>;

export const systemLookup: Lookup = async (host) => dns.promises.lookup(host, { all: true, verbatim: true });

export interface DecideOptions {
  lookup: Lookup;
  /** Lets a private destination through (tests with loopback upstreams, a registry on the LAN). Default: never. */
  allowPrivate?: (host: string, address: string) => boolean;
}

const NO_PRIVATE = 'Sandboxes may not reach the host machine, the local network or cloud metadata services through the proxy; no environment setting allows it.';

export type Decision =
  | { ok: true; address: ResolvedAddress; credentials: ProxyCredential[] }
  | { ok: false; status: 403 | 502; reason: string; message: string };

export async function decide(policy: EgressPolicy, host: string, port: number, opts: DecideOptions): Promise<Decision> {
  const where = `${host}:${port}`;
  // An address literal is judged by what it is before the allow-list, so the refusal names the real reason.
  const literal = net.isIP(host) ? classifyAddress(host) : null;
  if (literal && !opts.allowPrivate?.(host, host)) return refuse(where, `the address is ${describeClass(literal)}`, NO_PRIVATE);
  const verdict = checkHost(policy, host);
  if (!verdict.ok) {
    // The reference's credential_host_unreachable_error: a credential names the host, the environment blocks it.
    const owned = credentialsFor(policy, host).map((c) => c.id);
    const reason = owned.length > 0 ? `${verdict.reason}; credential ${owned.join(', ')} is meant for this host, but the environment's networking decides where the sandbox may go` : verdict.reason;
    return refuse(where, reason, verdict.hint);
  }
  let addresses: ResolvedAddress[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await opts.lookup(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
      return { ok: false, status: 502, reason: `DNS lookup failed (${code})`, message: `Hangar's egress proxy could not resolve ${host} (${code}). Check the host name.` };
    }
  }
  if (addresses.length === 0) return { ok: false, status: 502, reason: 'DNS lookup returned no address', message: `Hangar's egress proxy found no address for ${host}.` };
  for (const a of addresses) {
    const cls = classifyAddress(a.address);
    if (cls && !opts.allowPrivate?.(host, a.address)) {
      return refuse(
        where,
        `${host === a.address ? 'the address' : `it resolves to ${a.address}, which`} is ${describeClass(cls)}`,
        NO_PRIVATE,
      );
    }
  }
  return { ok: true, address: addresses[0] as ResolvedAddress, credentials: credentialsFor(policy, host) };
}

export function refuse(where: string, reason: string, hint: string): Decision {
  return { ok: false, status: 403, reason, message: refusalMessage(where, reason, hint) };
}

export function refusalMessage(where: string, reason: string, hint: string): string {
  return `Hangar's egress proxy refused the connection to ${where}: ${reason}.\n${hint}\n`;
}
