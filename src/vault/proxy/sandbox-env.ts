import { readFileSync } from 'node:fs';
// What a sandbox with networking gets so that its programs use the proxy and trust the runtime CA: the usual proxy
// variables (both cases: curl reads only the lower-case http_proxy) and the CA variables of the common TLS stacks,
// pointing at the system bundle that update-ca-certificates rebuilds with the runtime CA in it.

/** Where the runtime CA's certificate goes in the sandbox (Debian/Alpine: update-ca-certificates picks it up). */
export const SANDBOX_CA_PATH = '/usr/local/share/ca-certificates/hangar-egress-ca.crt';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const NO_PROXY = 'localhost,127.0.0.1,::1';

export function sandboxProxyEnv(proxyUrl: string): string[] {
  return [
    `HTTP_PROXY=${proxyUrl}`,
    `HTTPS_PROXY=${proxyUrl}`,
    `http_proxy=${proxyUrl}`,
    `https_proxy=${proxyUrl}`,
    `NO_PROXY=${NO_PROXY}`,
    `no_proxy=${NO_PROXY}`,
    // Node's fetch ignores the proxy variables unless told (Node ≥ 24); older Node and other tools ignore this one.
    'NODE_USE_ENV_PROXY=1',
    `NODE_EXTRA_CA_CERTS=${SANDBOX_CA_PATH}`,
    `SSL_CERT_FILE=${SYSTEM_BUNDLE}`,
    `CURL_CA_BUNDLE=${SYSTEM_BUNDLE}`,
    `GIT_SSL_CAINFO=${SYSTEM_BUNDLE}`,
    `REQUESTS_CA_BUNDLE=${SYSTEM_BUNDLE}`,
  ];
}

/** The value an environment_variable credential's variable has in the sandbox; the proxy swaps it for the secret. */
export function placeholderFor(credentialId: string): string {
  return `hangar-placeholder-${credentialId}`;
}

/**
 * What the sandbox trusts: the runtime CA, plus the extra roots the host's own Node trusts (NODE_EXTRA_CA_CERTS). On
 * a network that inspects TLS (a corporate proxy) the host trusts the network's root that way, and a sandbox whose
 * connections the egress proxy only tunnels sees that root's certificates too; without it nothing HTTPS would verify
 * (npm, pip, git). Certificates only, never a key.
 */
export function sandboxTrustPem(proxyCaPem: string, hostExtra = process.env.NODE_EXTRA_CA_CERTS): string {
  if (!hostExtra) return proxyCaPem;
  let extra: string;
  try {
    extra = readFileSync(hostExtra, 'utf8');
  } catch {
    return proxyCaPem;
  }
  const certs = extra.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return [proxyCaPem.trimEnd(), ...certs].join('\n') + '\n';
}
