import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import * as z from 'zod';
import { SshAgent } from './ssh-transport';

// Which Docker engine the provider talks to, found the way Docker's own CLI finds it: an explicit host URL or
// context name (Hangar's setting / flag), else DOCKER_HOST (with DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else
// DOCKER_CONTEXT, else the config's current context (`docker context use`), else the default local socket. A context
// is read from the Docker config dir (DOCKER_CONFIG or ~/.docker): contexts/meta/<sha256(name)>/meta.json names the
// endpoint, contexts/tls/<sha256(name)>/docker/ holds its certificates.
//
// `local` decides how files reach the sandbox: an engine on this host's unix socket (or Windows pipe) can bind host
// paths; any other (tcp, ssh) is treated as remote, with no shared filesystem: files are shipped through the API.

export interface EngineTarget {
  /** How messages name the engine: its address, and the context it came from. */
  label: string;
  /** Reached through a local socket: host paths can be bound into its containers. */
  local: boolean;
  /** Connection options for dockerode, complete (nothing left for it to read from the environment). */
  options: Dockerode.DockerOptions;
  /** How to repeat an engine command with Docker's CLI against this engine (`docker <cli> load`). */
  cli: string;
}

export class EngineConfigError extends Error {
  override readonly name = 'EngineConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_SOCKET = '/var/run/docker.sock';

const ContextMeta = z.object({
  Name: z.string(),
  Endpoints: z.object({ docker: z.object({ Host: z.string(), SkipTLSVerify: z.boolean().optional() }) }),
});

const ConfigFile = z.object({ currentContext: z.string().optional() }).passthrough();

function configDir(env: Env): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EngineConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function tlsFiles(dir: string): TlsFiles {
  return { ca: readIfExists(path.join(dir, 'ca.pem')), cert: readIfExists(path.join(dir, 'cert.pem')), key: readIfExists(path.join(dir, 'key.pem')) };
}

interface HostSettings {
  /** Verify the engine's certificate against `tls.ca` (tcp). */
  verify: boolean;
  /** Speak TLS at all (tcp): verify, DOCKER_TLS, or certificates given. */
  useTls: boolean;
  tls: TlsFiles;
}

/** Dockerode options for a host URL (unix://, npipe://, tcp://, ssh://). */
function hostOptions(host: string, readSettings: () => HostSettings, label: string, cli: string): EngineTarget {
  const url = parseHost(host);
  const base = { host: undefined, port: undefined, socketPath: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined } as const;
  if (url.protocol === 'unix:' || url.protocol === 'npipe:') {
    const socketPath = url.protocol === 'unix:' ? url.pathname || DEFAULT_SOCKET : host.slice('npipe://'.length);
    return { label, local: true, options: { ...base, socketPath }, cli };
  }
  if (url.protocol === 'ssh:') {
    if (!url.hostname) throw new EngineConfigError(`${label}: an ssh address names a host (ssh://[user@]host[:port])`);
    const dest = { host: url.hostname.replace(/^\[|\]$/g, ''), user: decodeURIComponent(url.username) || undefined, port: url.port ? Number(url.port) : undefined };
    // The host name is a placeholder: every connection is an ssh process to `dest` (ssh-transport.ts). docker-modem
    // takes `agent` for any protocol; its typings leave it out.
    const options: Dockerode.DockerOptions & { agent: http.Agent } = { ...base, protocol: 'http', host: 'docker', port: 80, agent: new SshAgent(dest) };
    return { label, local: false, options, cli };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EngineConfigError(`${label}: unsupported scheme ${url.protocol.replace(/:$/, '')}; use unix://, tcp://, ssh:// or a Docker context name`);
  }
  const settings = readSettings();
  const useTls = url.protocol === 'https:' || settings.useTls;
  const options: Dockerode.DockerOptions = {
    ...base,
    protocol: useTls ? 'https' : 'http',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (useTls ? 2376 : 2375)),
    // One kept-alive agent: every engine call would otherwise pay a TLS handshake. Without verification TLS still
    // encrypts, as Docker's --tls does; the engine is then trusted by its address only.
    ...(useTls ? { ca: settings.tls.ca, cert: settings.tls.cert, key: settings.tls.key, agent: new https.Agent({ keepAlive: true, rejectUnauthorized: settings.verify, ...settings.tls }) } : {}),
  };
  return { label, local: false, options, cli };
}

function parseHost(host: string): URL {
  const withScheme = host.includes('://') ? host : `tcp://${host}`;
  try {
    return new URL(withScheme);
  } catch {
    throw new EngineConfigError(`${JSON.stringify(host)} is not a Docker host address; use unix:///path, tcp://host:port, ssh://user@host or a Docker context name`);
  }
}

/** The environment's TLS settings for a tcp host (DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH; Docker's rules). */
function envTls(env: Env): HostSettings {
  const certDir = env.DOCKER_CERT_PATH || configDir(env);
  const verify = !!env.DOCKER_TLS_VERIFY;
  const tls = tlsFiles(certDir);
  return { verify, useTls: verify || !!env.DOCKER_TLS, tls };
}

function contextTarget(name: string, env: Env): EngineTarget {
  if (name === 'default') return defaultTarget(env);
  const id = createHash('sha256').update(name).digest('hex');
  const dir = configDir(env);
  const metaFile = path.join(dir, 'contexts', 'meta', id, 'meta.json');
  const raw = readIfExists(metaFile);
  if (!raw) throw new EngineConfigError(`there is no Docker context ${JSON.stringify(name)} in ${dir} (see \`docker context ls\`)`);
  let meta: z.infer<typeof ContextMeta>;
  try {
    meta = ContextMeta.parse(JSON.parse(raw.toString('utf8')));
  } catch (err) {
    throw new EngineConfigError(`the Docker context ${JSON.stringify(name)} (${metaFile}) cannot be read: ${(err as Error).message}`);
  }
  const host = meta.Endpoints.docker.Host;
  const tlsDir = path.join(dir, 'contexts', 'tls', id, 'docker');
  const tls = tlsFiles(tlsDir);
  const skip = meta.Endpoints.docker.SkipTLSVerify === true;
  const hasTls = !!(tls.ca || tls.cert);
  return hostOptions(host, () => ({ verify: hasTls && !skip, useTls: hasTls || skip, tls }), `${host} (Docker context ${name})`, `--context ${name}`);
}

function defaultTarget(env: Env): EngineTarget {
  const socket = fs.existsSync(path.join(os.homedir(), '.docker', 'run', 'docker.sock')) && !fs.existsSync(DEFAULT_SOCKET) ? path.join(os.homedir(), '.docker', 'run', 'docker.sock') : DEFAULT_SOCKET;
  return hostOptions(`unix://${socket}`, () => envTls(env), `unix://${socket}`, '');
}

function hostTarget(host: string, env: Env): EngineTarget {
  const tls = env.DOCKER_TLS_VERIFY ? ' --tlsverify' : env.DOCKER_TLS ? ' --tls' : '';
  const certs = tls && env.DOCKER_CERT_PATH ? ['ca', 'cert', 'key'].map((f) => ` --tls${f === 'ca' ? 'cacert' : f} ${path.join(env.DOCKER_CERT_PATH as string, `${f}.pem`)}`).join('') : '';
  return hostOptions(host, () => envTls(env), host, `-H ${host}${tls}${certs}`);
}

/** The context `docker context use` chose (config.json's currentContext); a damaged config counts as none, as for Docker. */
function currentContext(env: Env): string | undefined {
  const config = readIfExists(path.join(configDir(env), 'config.json'));
  if (!config) return undefined;
  try {
    return ConfigFile.parse(JSON.parse(config.toString('utf8'))).currentContext;
  } catch {
    return undefined;
  }
}

/**
 * The engine `spec` names: a host address (contains "://") or a Docker context name; empty or absent, Docker's own
 * resolution from the environment and the config's current context.
 */
export function resolveEngine(spec?: string, env: Env = process.env): EngineTarget {
  const given = spec?.trim();
  if (given) return given.includes('://') ? hostTarget(given, env) : contextTarget(given, env);
  if (env.DOCKER_HOST) return hostTarget(env.DOCKER_HOST, env);
  if (env.DOCKER_CONTEXT) return contextTarget(env.DOCKER_CONTEXT, env);
  const current = currentContext(env);
  if (current && current !== 'default') return contextTarget(current, env);
  return defaultTarget(env);
}
