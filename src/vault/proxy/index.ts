// The host-side egress proxy (ARCHITECTURE.md invariant 5): see server.ts.
export { EgressProxy, type EgressProxyOptions, type ListenAddress } from './server';
export { CertificateAuthority } from './ca';
export { EGRESS_LOG, type EgressRecord } from './egress-log';
export { systemLookup, type Lookup, type ResolvedAddress } from './decide';
export type { EgressPolicy, Injection, ProxyCredential } from './policy';
export { placeholderFor, sandboxProxyEnv, SANDBOX_CA_PATH } from './sandbox-env';
export { classifyAddress } from './address';
export { matchesHost, normaliseHost, parseAuthority } from './hosts';
