import { generateKeyPairSync, randomBytes } from 'node:crypto';
import net from 'node:net';
import forge from 'node-forge';

// A throwaway PKI for upstream test servers: their own CA (not the runtime's) and a server certificate for a few
// names, so the proxy's upstream verification is exercised for real.

export interface TestPki {
  caPem: string;
  keyPem: string;
  certPem: string;
}

function rsa(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
}

function base(publicKey: string, subject: forge.pki.CertificateField[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  cert.setSubject(subject);
  return cert;
}

export function makeTestPki(names: string[]): TestPki {
  const ca = rsa();
  const caSubject = [{ name: 'commonName', value: 'Upstream test CA' }];
  const caCert = base(ca.publicKey, caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([{ name: 'basicConstraints', critical: true, cA: true }, { name: 'keyUsage', critical: true, keyCertSign: true }]);
  const caKey = forge.pki.privateKeyFromPem(ca.privateKey);
  caCert.sign(caKey, forge.md.sha256.create());
  const leaf = rsa();
  const cert = base(leaf.publicKey, [{ name: 'commonName', value: names[0] ?? 'localhost' }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((n) => (net.isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { caPem: forge.pki.certificateToPem(caCert), keyPem: leaf.privateKey, certPem: forge.pki.certificateToPem(cert) };
}
