import Anthropic from '@anthropic-ai/sdk';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { trustingAgent, TrustError, type Trust } from './tls-trust';

// A client of a runtime elsewhere (`hangar serve` detached on this machine, or on another one over HTTPS): the
// official SDK pointed at it, with the trust the user chose, and failures turned into sentences that say what is
// wrong and how to fix it (the SDK's own say "Connection error.").

export interface RuntimeTarget {
  /** http://127.0.0.1:PORT (loopback) or https://host:PORT. */
  url: string;
  token: string;
  trust?: Trust;
  /** The SDK's retries of connection failures and 5xx (default 2). */
  maxRetries?: number;
}

export class RuntimeConnectionError extends Error {
  constructor(
    message: string,
    /** What kind of failure, for callers that branch (reconnect on `unreachable`, not on `token`). */
    readonly kind: 'unreachable' | 'token' | 'certificate' | 'protocol',
  ) {
    super(message);
  }
}

/** The hostnames (as URL.hostname spells them) that name this machine: plain http is allowed to these only. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

export function checkRuntimeUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RuntimeConnectionError(`"${raw}" is not a URL; give the runtime's address as https://host:port (or http://127.0.0.1:port on this machine).`, 'protocol');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RuntimeConnectionError(`${raw}: a runtime is reached over https:// (or http:// on loopback), not ${url.protocol}`, 'protocol');
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.includes(url.hostname)) {
    throw new RuntimeConnectionError(`${raw}: plain http:// would send the token over the network in the clear; serve the runtime with --tls-cert/--tls-key and use https://.`, 'protocol');
  }
  if (url.protocol === 'http:' && (url.searchParams.size > 0 || url.pathname !== '/')) throw new RuntimeConnectionError(`${raw}: give the runtime's base address only (scheme, host and port).`, 'protocol');
  return url;
}

export function runtimeClient(target: RuntimeTarget): Anthropic {
  const url = checkRuntimeUrl(target.url);
  if (url.protocol === 'http:' && (target.trust?.ca !== undefined || target.trust?.pin !== undefined)) {
    throw new RuntimeConnectionError(`${target.url} is plain http://, so a certificate pin or CA has nothing to check; use the runtime's https:// address.`, 'protocol');
  }
  const dispatcher = url.protocol === 'https:' ? trustingAgent(target.trust ?? {}) : undefined;
  return new Anthropic({
    baseURL: url.origin,
    apiKey: target.token,
    maxRetries: target.maxRetries ?? 2,
    ...(dispatcher ? { fetch: trustingFetch(dispatcher) } : {}),
  });
}

/**
 * undici's fetch through the trust's dispatcher (Node's own fetch takes no TLS options). The SDK builds multipart
 * bodies (files.upload) as the global FormData, which the npm undici does not encode (the SDK refused every upload
 * over https); such a body goes as the stream Node's Response encodes it into, with its boundary. `Response` is what
 * the SDK's check of FormData support encodes with.
 */
function trustingFetch(dispatcher: Dispatcher): typeof fetch {
  const trusted = (input: string | URL, init?: RequestInit) => {
    if (init?.body instanceof FormData) {
      const encoded = new Response(init.body);
      const headers = new Headers(init.headers);
      headers.set('content-type', encoded.headers.get('content-type')!);
      init = { ...init, body: encoded.body, headers, duplex: 'half' } as RequestInit;
    }
    return undiciFetch(input, { ...(init as object), dispatcher });
  };
  return Object.assign(trusted, { Response }) as unknown as typeof fetch;
}

/** The sentence for a failed call to the runtime at `url`; other errors come back unchanged. */
export function explainRuntimeError(err: unknown, url: string): unknown {
  if (err instanceof Anthropic.AuthenticationError) {
    return new RuntimeConnectionError(`The runtime at ${url} refused the token (401): use the token in the api-token file of that runtime's Hangar home (hangar serve prints where it is).`, 'token');
  }
  if (!(err instanceof Anthropic.APIConnectionError)) {
    // A response cut off mid-body (an event stream when the runtime dies) fails outside the SDK's connection errors.
    if (!(err instanceof Anthropic.APIError) && err instanceof Error && isBrokenConnection(err)) return new RuntimeConnectionError(`The connection to the runtime at ${url} broke (${(rootCause(err) as Error).message ?? err.message}).`, 'unreachable');
    return err;
  }
  const cause = rootCause(err);
  if (cause instanceof TrustError) return new RuntimeConnectionError(cause.message, 'certificate');
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  const reason = (cause as Error | undefined)?.message ?? err.message;
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return new RuntimeConnectionError(`The runtime at ${url} presents a certificate this machine does not trust (${code}). Trust it with --ca <its certificate or CA file> (HANGAR_RUNTIME_CA), or pin it with --pin <the fingerprint hangar serve prints> (HANGAR_RUNTIME_PIN).`, 'certificate');
    case 'CERT_HAS_EXPIRED':
      return new RuntimeConnectionError(`The runtime at ${url} presents an expired certificate; renew it on the runtime's machine (then restart hangar serve).`, 'certificate');
    case 'CERT_NOT_YET_VALID':
      return new RuntimeConnectionError(`The runtime at ${url} presents a certificate that is not valid yet; check the clocks of both machines.`, 'certificate');
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new RuntimeConnectionError(`The runtime's certificate does not name ${new URL(url).hostname} (${reason}); connect with a name the certificate holds, or pin its fingerprint with --pin.`, 'certificate');
    case 'ECONNREFUSED':
      return new RuntimeConnectionError(`Nothing answers at ${url} (connection refused): is hangar serve running there, on that port?`, 'unreachable');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RuntimeConnectionError(`${new URL(url).hostname} does not resolve (${code}); check the runtime's address.`, 'unreachable');
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return new RuntimeConnectionError(`${url} does not speak HTTPS (${reason}); if the runtime serves plain http on loopback, use http://.`, 'protocol');
    default:
      return new RuntimeConnectionError(`Cannot reach the runtime at ${url}: ${code ? `${code}: ` : ''}${reason}.`, 'unreachable');
  }
}

function rootCause(err: Error): unknown {
  let cause: unknown = err;
  for (let i = 0; i < 5 && cause instanceof Error && cause.cause !== undefined; i++) cause = cause.cause;
  return cause;
}

function isBrokenConnection(err: Error): boolean {
  const code = (rootCause(err) as NodeJS.ErrnoException | undefined)?.code ?? '';
  return ['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE'].includes(code) || (err instanceof TypeError && err.message === 'terminated');
}
