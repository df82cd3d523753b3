import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

// Self-signed server certificates for the TLS tests: a valid one made with openssl exactly as the README tells users
// to, and an expired one (openssl 3.0 cannot back-date), made with node-forge.

export interface TestCert {
  cert: string;
  key: string;
  fingerprint256: string;
}

export function opensslCert(dir: string, name = 'runtime'): TestCert {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key, fingerprint256: fingerprintOf(cert) };
}

export function expiredCert(dir: string): TestCert {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const c = forge.pki.createCertificate();
  c.publicKey = keys.publicKey;
  c.serialNumber = '02';
  c.validity.notBefore = new Date(Date.now() - 3 * 86_400_000);
  c.validity.notAfter = new Date(Date.now() - 86_400_000);
  const subject = [{ name: 'commonName', value: 'localhost' }];
  c.setSubject(subject);
  c.setIssuer(subject);
  c.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]);
  c.sign(keys.privateKey, forge.md.sha256.create());
  const cert = path.join(dir, 'expired.crt');
  const key = path.join(dir, 'expired.key');
  writeFileSync(cert, forge.pki.certificateToPem(c));
  writeFileSync(key, forge.pki.privateKeyToPem(keys.privateKey));
  return { cert, key, fingerprint256: fingerprintOf(cert) };
}

function fingerprintOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}
