import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { readPrivateFile, writePrivateFile } from '../private-file';

// The runtime's own certificate authority, for the hosts whose TLS the proxy terminates to inject a credential.
// Its key is generated here, kept in <storageRoot>/egress (0600) and never leaves the host; only the certificate is
// copied into sandboxes. Leaf certificates are issued per host on first use and cached; they share one key pair
// that lives in memory only. Node's crypto makes the keys and the signatures; node-forge only assembles the
// certificate structure, which Node cannot do.

const CA_KEY = 'ca-key.pem';
const CA_CERT = 'ca.pem';
const CA_YEARS = 10;
const LEAF_DAYS = 30;
const LEAF_CACHE = 512;
const DAY_MS = 86_400_000;

export class CertificateAuthority {
  private readonly leaves = new Map<string, tls.SecureContext>();
  private leafKey: { pem: string; forge: forge.pki.rsa.PublicKey } | null = null;

  private constructor(
    /** PEM of the CA certificate: what sandboxes trust. */
    readonly certPem: string,
    private readonly caKey: KeyObject,
    private readonly caCert: forge.pki.Certificate,
  ) {}

  /** Loads the CA kept in `dir`, or creates it there (key 0600, directory 0700). */
  static async loadOrCreate(dir: string): Promise<CertificateAuthority> {
    const [keyPem, certPem] = await Promise.all([readPrivateFile(path.join(dir, CA_KEY)), readPrivateFile(path.join(dir, CA_CERT))]);
    if (keyPem && certPem && stillValid(certPem)) return CertificateAuthority.fromPem(keyPem, certPem);
    const made = createCa();
    // The key goes first: a certificate on disk always has its key next to it.
    await writePrivateFile(path.join(dir, CA_KEY), made.keyPem);
    await writePrivateFile(path.join(dir, CA_CERT), made.certPem);
    return CertificateAuthority.fromPem(made.keyPem, made.certPem);
  }

  static fromPem(keyPem: string, certPem: string): CertificateAuthority {
    return new CertificateAuthority(certPem, createPrivateKey(keyPem), forge.pki.certificateFromPem(certPem));
  }

  /** A TLS server context presenting a certificate for `host` (a DNS name or an IP address) signed by this CA. */
  contextFor(host: string): tls.SecureContext {
    const cached = this.leaves.get(host);
    if (cached) {
      // Map order is insertion order: re-inserting keeps the most recently used entries at the end.
      this.leaves.delete(host);
      this.leaves.set(host, cached);
      return cached;
    }
    const key = this.sharedLeafKey();
    const cert = this.issue(host, key.forge);
    const context = tls.createSecureContext({ key: key.pem, cert: `${cert}${this.certPem}` });
    this.leaves.set(host, context);
    if (this.leaves.size > LEAF_CACHE) this.leaves.delete(this.leaves.keys().next().value as string);
    return context;
  }

  /** PEM of a leaf certificate for `host` (for tests and diagnostics; the proxy uses contextFor). */
  leafCertificate(host: string): string {
    return this.issue(host, this.sharedLeafKey().forge);
  }

  private sharedLeafKey(): { pem: string; forge: forge.pki.rsa.PublicKey } {
    if (!this.leafKey) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
      this.leafKey = { pem: privateKey, forge: forge.pki.publicKeyFromPem(publicKey) };
    }
    return this.leafKey;
  }

  private issue(host: string, publicKey: forge.pki.rsa.PublicKey): string {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    cert.serialNumber = serial();
    const now = Date.now();
    cert.validity.notBefore = new Date(now - DAY_MS);
    cert.validity.notAfter = new Date(Math.min(now + LEAF_DAYS * DAY_MS, this.caCert.validity.notAfter.getTime()));
    // A CN is at most 64 characters; the SAN carries the name that clients check anyway.
    cert.setSubject(host.length <= 64 ? [{ name: 'commonName', value: host }] : [{ name: 'organizationName', value: 'Hangar egress proxy' }]);
    cert.setIssuer(this.caCert.subject.attributes);
    const altName = net.isIP(host) ? { type: 7, ip: host } : { type: 2, value: host };
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [altName] },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    return signWith(cert, this.caKey);
  }
}

/** Signs `cert` (sha256WithRSAEncryption) with Node's crypto: forge's JavaScript RSA takes ~100 ms per certificate. */
function signWith(cert: forge.pki.Certificate, key: KeyObject): string {
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  const tbs = (forge.pki as typeof forge.pki & { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.tbsCertificate = tbs;
  cert.signature = sign('sha256', der, key).toString('binary');
  return forge.pki.certificateToPem(cert);
}

function serial(): string {
  // Positive (top bit clear) and unique enough that two certificates for one host never share a serial.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

function stillValid(certPem: string): boolean {
  try {
    const c = new X509Certificate(certPem);
    return new Date(c.validTo).getTime() - Date.now() > LEAF_DAYS * DAY_MS;
  } catch {
    return false;
  }
}

function createCa(): { keyPem: string; certPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = serial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + CA_YEARS * 365 * DAY_MS);
  const tag = createHash('sha256').update(publicKey).digest('hex').slice(0, 8);
  const subject = [
    { name: 'commonName', value: `Hangar egress proxy CA ${tag}` },
    { name: 'organizationName', value: 'Hangar (local)' },
    { name: 'organizationalUnitName', value: os.hostname().slice(0, 64) || 'localhost' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { keyPem: privateKey, certPem: signWith(cert, createPrivateKey(privateKey)) };
}
