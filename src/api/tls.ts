import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';

// The certificate a runtime serves HTTPS with (`hangar serve --tls-cert/--tls-key`): read and checked once at start,
// so an expired certificate or a key of another certificate is a start-up error naming the file, not a handshake
// failure every client sees. Its names decide which Host headers the server answers (the DNS-rebinding guard), and
// its SHA-256 fingerprint is what a client pins.

export interface ServerTls {
  cert: string;
  key: string;
  /** `AB:CD:…` (the form `openssl x509 -fingerprint -sha256` and Node print), what `--pin` takes. */
  fingerprint256: string;
  /** DNS names and IP addresses of the certificate's subjectAltName. */
  names: string[];
  validTo: Date;
}

export class TlsSetupError extends Error {}

export async function loadServerTls(certFile: string, keyFile: string, now = new Date()): Promise<ServerTls> {
  const cert = await readPem(certFile, 'certificate');
  const key = await readPem(keyFile, 'private key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsSetupError(`${certFile} is not a PEM certificate (${(err as Error).message}).`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new TlsSetupError(`${keyFile} is not the private key of ${certFile}; give the key the certificate was made with.`);
  } catch (err) {
    if (err instanceof TlsSetupError) throw err;
    throw new TlsSetupError(`${keyFile} is not a PEM private key (${(err as Error).message}).`);
  }
  const validTo = new Date(x509.validTo);
  if (validTo.getTime() <= now.getTime()) throw new TlsSetupError(`${certFile} expired on ${validTo.toISOString()}; renew it (clients refuse an expired certificate).`);
  const validFrom = new Date(x509.validFrom);
  if (validFrom.getTime() > now.getTime()) throw new TlsSetupError(`${certFile} is not valid before ${validFrom.toISOString()}; check the clock or the certificate.`);
  const names = subjectAltNames(x509.subjectAltName ?? '');
  if (names.length === 0) throw new TlsSetupError(`${certFile} names no host (no subjectAltName); clients check the name they connect to against it. Make it with -addext "subjectAltName=DNS:<host>,IP:<address>".`);
  return { cert, key, fingerprint256: x509.fingerprint256, names, validTo };
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new TlsSetupError(`Cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
}

/** "DNS:a.example, IP Address:10.0.0.1" → ["a.example", "10.0.0.1"]. */
function subjectAltNames(san: string): string[] {
  return san
    .split(',')
    .map((part) => part.trim())
    .flatMap((part) => {
      const m = /^(DNS|IP Address):(.+)$/.exec(part);
      return m ? [m[2]!.toLowerCase()] : [];
    });
}
