import { promises as fsp } from 'node:fs';
import { writeFileAtomic } from '../log/fsutil';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import * as z from 'zod';
import type { EgressEndpoint, SandboxEgress } from '../sandbox/types';
import type { Credential, CredentialSecret } from '../wire';
// From the proxy's modules, not its index: the index also exports the CA, whose node-forge loads only on first use.
import { EgressProxy, type EgressProxyOptions } from '../vault/proxy/server';
import { EGRESS_LOG } from '../vault/proxy/egress-log';
import { placeholderFor, SANDBOX_CA_PATH, sandboxProxyEnv, sandboxTrustPem } from '../vault/proxy/sandbox-env';
import type { EgressPolicy, ProxyCredential } from '../vault/proxy/policy';
import type { Vault } from '../vault/types';
import { readRecord, type SessionRecord } from './session-record';
import { readCredentialSecret, type VaultStore } from './vaults';
import { repositoryCredentials } from './repository-tokens';

// The runtime's side of sandbox egress: one proxy per runtime (started when the first sandbox with networking is
// provisioned), its CA under <storageRoot>/egress, and each session's policy built from its record and vaults when
// a connection starts. Sandbox providers see it through the SandboxEgress seam; the proxy never sees a wire object.

/** Knobs of the proxy that tests and embedders set (loopback upstreams, their own CA, a short header timeout). */
export type EgressOptions = Pick<EgressProxyOptions, 'lookup' | 'allowPrivate' | 'upstreamCa' | 'headersTimeoutMs' | 'idleTimeoutMs'>;

const Ports = z.record(z.string(), z.number().int().min(1).max(65_535));

/** Where a host-side client (a repository clone) reaches the proxy as one session, and the trust it needs. */
export interface HostClientProxy {
  url: string;
  /**
   * The system's roots (and the proxy's extra upstream roots: what it tunnels untouched reaches git with the server's
   * own certificate) plus the runtime CA, which signs what the proxy intercepts to inject a credential.
   */
  caFile: string;
}

export class RuntimeEgress implements SandboxEgress {
  private proxyP: Promise<EgressProxy> | null = null;
  private readonly dir: string;
  /** Sessions being created: their record and egress log before the session's directory exists. */
  private readonly creating = new Map<string, { record: SessionRecord; logFile: string }>();
  /** Host-side clients go one at a time: the loopback address can name one session only. */
  private hostQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { storageRoot: string; sessionsDir: string; vaults: VaultStore; vault: Vault; options?: EgressOptions },
  ) {
    this.dir = path.join(deps.storageRoot, 'egress');
  }

  /** The proxy, created on first use (a runtime without networked sandboxes never makes a CA). */
  proxy(): Promise<EgressProxy> {
    // The CA module (and node-forge under it) loads here, not at start-up: most commands never open a sandbox.
    this.proxyP ??= import('../vault/proxy/ca').then(({ CertificateAuthority }) => CertificateAuthority.loadOrCreate(this.dir)).then(
      (ca) => new EgressProxy({ ...this.deps.options, ca, policyFor: (id) => this.policyFor(id), unattributedLog: path.join(this.dir, 'unattributed.jsonl') }),
    );
    this.proxyP.catch(() => (this.proxyP = null));
    return this.proxyP;
  }

  async endpoint(gateway: string): Promise<EgressEndpoint> {
    const proxy = await this.proxy();
    const address = await this.listen(proxy, gateway);
    return { port: address.port, env: sandboxProxyEnv(address.url), caCert: { pem: sandboxTrustPem(proxy.caCertPem), path: SANDBOX_CA_PATH } };
  }

  bind(sessionId: string, address: string): void {
    void this.proxy().then((p) => p.bind(sessionId, address));
  }

  async tunnelEndpoint(url: string): Promise<Omit<EgressEndpoint, 'port'>> {
    const proxy = await this.proxy();
    return { env: sandboxProxyEnv(url), caCert: { pem: sandboxTrustPem(proxy.caCertPem), path: SANDBOX_CA_PATH } };
  }

  accept(sessionId: string, connection: Duplex): void {
    this.proxy().then(
      (p) => p.accept(sessionId, connection),
      () => connection.destroy(),
    );
  }

  unbind(sessionId: string): void {
    void this.proxyP?.then((p) => p.unbind(sessionId)).catch(() => undefined);
  }

  /** Environment variables a session's sandbox gets for its environment_variable credentials: placeholders only. */
  async placeholders(record: SessionRecord): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const c of await this.credentialsOf(record)) {
      // The first vault in the session's order wins a name, as it does for injection.
      if (c.auth.type === 'environment_variable' && !(c.auth.secret_name in env)) env[c.auth.secret_name] = placeholderFor(c.id);
    }
    return env;
  }

  /**
   * Runs `fn` with a proxy on loopback whose connections count as the session's (a session being created: its record
   * and where its egress log goes until its directory exists). Host-side clones of repository resources go this way,
   * so they obey the session's policy, are logged with it and get its credentials injected: git holds no token.
   */
  asSession<T>(record: SessionRecord, logFile: string, fn: (proxy: HostClientProxy) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const proxy = await this.proxy();
      const address = await this.listen(proxy, '127.0.0.1');
      const caFile = path.join(this.dir, 'host-trust.pem');
      await writeFileAtomic(caFile, [...tls.rootCertificates, ...(this.deps.options?.upstreamCa ?? []), proxy.caCertPem].join('\n'));
      this.creating.set(record.id, { record, logFile });
      proxy.bind(record.id, '127.0.0.1');
      try {
        return await fn({ url: address.url, caFile });
      } finally {
        proxy.unbind(record.id);
        this.creating.delete(record.id);
        await proxy.log.flush();
      }
    };
    const next = this.hostQueue.then(run, run);
    this.hostQueue = next.catch(() => undefined);
    return next;
  }

  async policyFor(sessionId: string): Promise<EgressPolicy | null> {
    const dir = path.join(this.deps.sessionsDir, sessionId);
    const creating = this.creating.get(sessionId);
    const record = creating?.record ?? (await readRecord(dir));
    if (!record) return null;
    const repositories = await repositoryCredentials(this.deps.vault, record);
    const credentials: ProxyCredential[] = [...repositories.credentials];
    const names = new Set<string>();
    for (const c of await this.credentialsOf(record)) {
      if (c.auth.type === 'environment_variable') {
        if (names.has(c.auth.secret_name)) continue;
        names.add(c.auth.secret_name);
      }
      const secret = await readCredentialSecret(this.deps.vault, c.vault_id, c.id);
      const pc = secret ? proxyCredential(c, secret) : null;
      if (pc) credentials.push(pc);
    }
    return {
      sessionId,
      networking: record.environment.networking,
      mcpHosts: record.agent.mcp_servers.flatMap((s) => (s.type === 'url' ? [hostOf(s.url)] : [])).filter((h): h is string => h !== null),
      repositoryHosts: repositories.hosts,
      credentials,
      logFile: creating?.logFile ?? path.join(dir, EGRESS_LOG),
    };
  }

  async close(): Promise<void> {
    const p = this.proxyP;
    this.proxyP = null;
    await p?.then((proxy) => proxy.close()).catch(() => undefined);
  }

  private async credentialsOf(record: SessionRecord): Promise<Credential[]> {
    const out: Credential[] = [];
    for (const vaultId of record.vault_ids) {
      let page: string | undefined;
      try {
        do {
          const res = await this.deps.vaults.listCredentials(vaultId, { limit: 1000, page });
          out.push(...res.data.filter((c) => !c.archived_at));
          page = res.next_page ?? undefined;
        } while (page);
      } catch {
        // A vault that was deleted after the session started simply has no credentials any more.
      }
    }
    return out;
  }

  /**
   * Listens on the port this runtime used last time, so containers that outlived a restart of the runtime (their
   * HTTP_PROXY is fixed at creation) still reach it; another port only when that one is taken.
   */
  private async listen(proxy: EgressProxy, host: string) {
    const file = path.join(this.dir, 'ports.json');
    const ports = await fsp
      .readFile(file, 'utf8')
      .then((t) => Ports.parse(JSON.parse(t)))
      .catch(() => ({}) as Record<string, number>);
    const preferred = ports[host];
    let address;
    try {
      address = await proxy.listen(host, preferred ?? 0);
    } catch (err) {
      if (preferred === undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      address = await proxy.listen(host, 0);
    }
    if (address.port !== preferred) await writeFileAtomic(file, JSON.stringify({ ...ports, [host]: address.port })).catch(() => undefined);
    return address;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || null;
  } catch {
    return null;
  }
}

/** How the proxy applies one credential; null for kinds the sandbox never uses (MCP credentials stay host-side). */
export function proxyCredential(c: Credential, secret: CredentialSecret): ProxyCredential | null {
  if (c.auth.type === 'environment_variable' && secret.type === 'environment_variable') {
    const loc = c.auth.injection_location;
    return {
      id: c.id,
      hosts: c.auth.networking.type === 'unrestricted' ? 'any' : c.auth.networking.allowed_hosts,
      secret: secret.secret_value,
      injection: { kind: 'placeholder', placeholder: placeholderFor(c.id), headers: loc.header, body: loc.body },
    };
  }
  if (c.auth.type === 'http_header' && secret.type === 'http_header') {
    const v = secret.secret_value;
    const value = c.auth.scheme === 'bearer' ? `Bearer ${v}` : c.auth.scheme === 'basic' ? `Basic ${Buffer.from(`${c.auth.username ?? 'x-access-token'}:${v}`).toString('base64')}` : v;
    return { id: c.id, hosts: c.auth.allowed_hosts, secret: v, injection: { kind: 'header', name: c.auth.header_name, value } };
  }
  return null;
}
