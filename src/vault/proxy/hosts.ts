import net from 'node:net';

// Host names as the proxy compares them, and the allow-list patterns they are compared with: an exact host, or
// `*.suffix`, which matches every name under the suffix but not the suffix itself (reference §7.7).

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A host as sent by a client (CONNECT authority, URL host), lower-cased without a trailing dot; null if malformed. */
export function normaliseHost(raw: string): string | null {
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (net.isIP(host)) return host;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253) return null;
  return host.split('.').every((l) => LABEL.test(l)) ? host : null;
}

export interface Target {
  host: string;
  port: number;
}

/** Parses a CONNECT authority (`host:port`, `[v6]:port`); null for anything else. */
export function parseAuthority(authority: string): Target | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/@]+):(\d{1,5})$/.exec(authority);
  if (!m) return null;
  const host = normaliseHost(m[1] as string);
  const port = Number(m[2]);
  if (!host || port < 1 || port > 65_535) return null;
  return { host, port };
}

/** Normalises an allow-list entry: tolerates a scheme, a port or a path around the host ("https://x.com/" → "x.com"). */
export function normalisePattern(entry: string): string | null {
  let s = entry.trim().toLowerCase();
  const scheme = s.indexOf('://');
  if (scheme >= 0) s = s.slice(scheme + 3);
  s = s.split('/')[0] as string;
  if (s.startsWith('[')) s = s.slice(0, s.indexOf(']') + 1);
  else if (s.split(':').length === 2) s = s.split(':')[0] as string;
  if (s.startsWith('*.')) {
    const suffix = normaliseHost(s.slice(2));
    return suffix && !net.isIP(suffix) ? `*.${suffix}` : null;
  }
  return normaliseHost(s);
}

export function matchesHost(pattern: string, host: string): boolean {
  const p = normalisePattern(pattern);
  if (!p) return false;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host;
}

export const matchesAny = (patterns: readonly string[], host: string): boolean => patterns.some((p) => matchesHost(p, host));

/** Registries the environment's `allow_package_managers` opens (apt, cargo, gem, go, npm, pip). */
export const PACKAGE_MANAGER_HOSTS: readonly string[] = [
  'deb.debian.org',
  'security.debian.org',
  'archive.ubuntu.com',
  'security.ubuntu.com',
  'dl-cdn.alpinelinux.org',
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  'rubygems.org',
  'index.rubygems.org',
  'proxy.golang.org',
  'sum.golang.org',
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
];
