import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// An internal Docker network has no route to the outside, but the host itself still answers on every address it has
// (the bridge's gateway, docker0, its LAN address): a service bound to 0.0.0.0 on the host would be a way around
// the proxy. When Hangar can (root, iptables present), it closes that: packets from the sandbox bridge into the host
// are rejected except to the proxy's port on the gateway. Without root this is reported, not silently skipped.

const CHAIN = 'HANGAR-SANDBOX';

function iptables(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('iptables', ['-w', '5', ...args], { timeout: 15_000 }, (err, stdout, stderr) => resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr) }));
  });
}

/** Ports something listens on at `address` (or on every address), from /proc/net/tcp. */
async function listeningPorts(address: string): Promise<Set<number>> {
  const hex = address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  const ports = new Set<number>();
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const [ip, port] = (local ?? '').split(':');
    if (state === '0A' && (ip === hex || ip === '00000000') && port) ports.add(parseInt(port, 16));
  }
  return ports;
}

/** Drops the rules of proxies that no longer listen (earlier runs), so their ports do not stay open. */
async function pruneDeadPorts(gateway: string, keep: number): Promise<void> {
  const live = await listeningPorts(gateway);
  const rules = (await iptables(['-S', CHAIN])).stdout.split('\n');
  for (const rule of rules) {
    const m = /^-A HANGAR-SANDBOX (.*--dport (\d+) -j ACCEPT)$/.exec(rule.trim());
    if (!m || Number(m[2]) === keep || live.has(Number(m[2]))) continue;
    await iptables(['-D', CHAIN, ...(m[1] as string).split(' ')]);
  }
}

async function ensureRule(check: string[], add: string[]): Promise<void> {
  if ((await iptables(['-C', ...check])).ok) return;
  const r = await iptables(add);
  if (!r.ok) throw new Error(`iptables ${add.join(' ')} failed: ${r.stderr.trim()}`);
}

export type FirewallResult = { ok: true } | { ok: false; reason: string };

/** Lets the sandbox bridge reach the host only at gateway:port (the proxy). Idempotent; safe to call per provision. */
export async function restrictHostAccess(bridge: string, gateway: string, port: number): Promise<FirewallResult> {
  if (process.platform !== 'linux') return { ok: false, reason: 'host firewall rules are only set on Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'setting the host firewall rule needs root' };
  try {
    const created = await iptables(['-N', CHAIN]);
    if (!created.ok && !/exists/i.test(created.stderr)) throw new Error(`iptables -N ${CHAIN} failed: ${created.stderr.trim()}`);
    await ensureRule([CHAIN, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'], ['-A', CHAIN, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']);
    const proxy = ['-p', 'tcp', '-d', gateway, '--dport', String(port), '-j', 'ACCEPT'];
    await ensureRule([CHAIN, ...proxy], ['-I', CHAIN, '1', ...proxy]);
    const established = ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'];
    await ensureRule([CHAIN, ...established], ['-I', CHAIN, '1', ...established]);
    await ensureRule(['INPUT', '-i', bridge, '-j', CHAIN], ['-I', 'INPUT', '1', '-i', bridge, '-j', CHAIN]);
    await pruneDeadPorts(gateway, port);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
