import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, EgressProxy, type EgressPolicy, type EgressProxyOptions, type ListenAddress } from '../../../../src/vault/proxy';

// A proxy on loopback with a fixed policy, clients that are plain child processes (curl) or raw sockets, and
// names under .hangar.test that resolve to 127.0.0.1 (the only private address the proxy is told to allow, and only
// for those names).

export const TEST_DOMAIN = 'hangar.test';

export const testLookup: EgressProxyOptions['lookup'] = async (host) => {
  if (host === `private.${TEST_DOMAIN}`) return [{ address: '10.0.0.7', family: 4 }];
  if (host === `rebind.${TEST_DOMAIN}`) return [{ address: '127.0.0.1', family: 4 }, { address: '169.254.169.254', family: 4 }];
  if (host.endsWith(`.${TEST_DOMAIN}`) || host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
};

export const allowLoopbackTestNames = (host: string, address: string) => address === '127.0.0.1' && host.endsWith(`.${TEST_DOMAIN}`);

export interface ProxyFixture {
  proxy: EgressProxy;
  address: ListenAddress;
  dir: string;
  caFile: string;
  ca: CertificateAuthority;
  close(): Promise<void>;
}

export async function startProxy(policy: EgressPolicy, extra: Partial<EgressProxyOptions> = {}): Promise<ProxyFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-proxy-'));
  const ca = await CertificateAuthority.loadOrCreate(path.join(dir, 'egress'));
  const caFile = path.join(dir, 'runtime-ca.pem');
  writeFileSync(caFile, ca.certPem);
  const proxy = new EgressProxy({ ca, policyFor: async (id) => (id === policy.sessionId ? policy : null), lookup: testLookup, allowPrivate: allowLoopbackTestNames, unattributedLog: path.join(dir, 'unattributed.jsonl'), ...extra });
  const address = await proxy.listen('127.0.0.1');
  proxy.bind(policy.sessionId, '127.0.0.1');
  return { proxy, address, dir, caFile, ca, close: () => proxy.close() };
}

export interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** curl through the proxy, trusting the runtime CA only (as a sandbox does). */
export function curl(fx: ProxyFixture, args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--suppress-connect-headers', '--max-time', '20', '--proxy', fx.address.url, '--cacert', fx.caFile, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Sends raw bytes to the proxy and collects what comes back until it closes (or `waitMs` passes). */
export function raw(fx: ProxyFixture, data: Buffer | string | ((s: net.Socket) => void), opts: { waitMs?: number; localAddress?: string } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: fx.address.port, localAddress: opts.localAddress });
    const chunks: Buffer[] = [];
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(done, opts.waitMs ?? 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('connect', () => (typeof data === 'function' ? data(socket) : socket.write(data)));
  });
}
