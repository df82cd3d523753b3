import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';

// How a client trusts a runtime's HTTPS certificate: the system's CAs (a certificate from a real CA), a CA or
// self-signed certificate the user gives (`--ca`), or a pinned SHA-256 fingerprint (`--pin`, what `hangar serve`
// prints). A pin replaces chain and name checks (a self-signed certificate has no chain, and the pin is stronger than
// a name), but an expired pinned certificate is still refused: the user asked for a certificate that is in date.

export interface Trust {
  /** PEM of the CA (or of the self-signed certificate itself) to trust besides the system's. */
  ca?: string;
  /** The certificate's SHA-256 fingerprint, hex with or without colons, optionally prefixed `sha256:`/`sha256/`. */
  pin?: string;
}

/** A TLS failure with a sentence saying what to do; `code` is Node's (CERT_HAS_EXPIRED, …) or PIN_MISMATCH. */
export class TrustError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Normalises a pin to upper-case hex without separators; throws on anything that is not 32 bytes of hex. */
export function normalizePin(pin: string): string {
  const hex = pin.trim().replace(/^sha256[:/]/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new TrustError('BAD_PIN', `"${pin}" is not a SHA-256 certificate fingerprint: give the 64 hex digits (colons allowed) that hangar serve prints as "fingerprint".`);
  return hex;
}

/** The undici dispatcher that connects with this trust. */
export function trustingAgent(trust: Trust): Agent {
  if (trust.pin === undefined) return new Agent({ connect: trust.ca === undefined ? {} : { ca: trust.ca } });
  const pinned = normalizePin(trust.pin);
  // No TLS session resumption: a resumed session shows no peer certificate to check (kept-alive connections still
  // spare most handshakes).
  const connect = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
  return new Agent({
    connect: (options, callback) =>
      connect(options, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('no socket'), null);
        const refusal = checkPinned(socket as TLSSocket, pinned);
        if (!refusal) return callback(null, socket);
        socket.destroy();
        callback(refusal, null);
      }),
  });
}

function checkPinned(socket: TLSSocket, pinned: string, now = Date.now()): TrustError | null {
  const cert = socket.getPeerCertificate();
  const got = (cert.fingerprint256 ?? '').replace(/:/g, '').toUpperCase();
  if (got !== pinned) {
    return new TrustError('PIN_MISMATCH', `The runtime's certificate has fingerprint ${cert.fingerprint256 || '(none)'}, not the pinned ${colons(pinned)}: the certificate was replaced or this is not your runtime. If the runtime's certificate was renewed, pin the fingerprint its hangar serve prints now.`);
  }
  if (Date.parse(cert.valid_to) <= now) return new TrustError('CERT_HAS_EXPIRED', `The runtime's pinned certificate expired on ${new Date(cert.valid_to).toISOString()}; renew it on the runtime's machine and pin the new fingerprint.`);
  if (Date.parse(cert.valid_from) > now) return new TrustError('CERT_NOT_YET_VALID', `The runtime's pinned certificate is not valid before ${new Date(cert.valid_from).toISOString()}; check this machine's clock.`);
  return null;
}

const colons = (hex: string) => hex.match(/../g)!.join(':');
