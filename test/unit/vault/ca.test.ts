import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../../src/vault/proxy/ca';
import { UnsafePermissionsError } from '../../../src/vault/private-file';

describe('egress proxy CA', function () {
  this.timeout(30_000);
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'hangar-ca-')), 'egress');
  let ca: CertificateAuthority;
  before(async () => {
    ca = await CertificateAuthority.loadOrCreate(dir);
  });

  it('keeps its key owner-only and reuses it on the next start', async () => {
    assert.equal(statSync(path.join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const again = await CertificateAuthority.loadOrCreate(dir);
    assert.equal(again.certPem, ca.certPem);
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.ok(!ca.certPem.includes('PRIVATE KEY'));
  });

  it('issues leaves for names and addresses that verify against it, and only for them', () => {
    const root = new X509Certificate(ca.certPem);
    const leaf = new X509Certificate(ca.leafCertificate('api.example.com'));
    assert.ok(leaf.verify(root.publicKey));
    assert.equal(leaf.checkIssued(root), true);
    assert.equal(leaf.checkHost('api.example.com'), 'api.example.com');
    assert.equal(leaf.checkHost('other.example.com'), undefined);
    assert.equal(leaf.ca, false);
    const ip = new X509Certificate(ca.leafCertificate('169.254.169.254'));
    assert.equal(ip.checkIP('169.254.169.254'), '169.254.169.254');
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com`;
    assert.equal(new X509Certificate(ca.leafCertificate(long)).checkHost(long), long);
  });

  it('refuses a key file that others can read', async () => {
    const loose = path.join(mkdtempSync(path.join(os.tmpdir(), 'hangar-ca-')), 'egress');
    await CertificateAuthority.loadOrCreate(loose);
    chmodSync(path.join(loose, 'ca-key.pem'), 0o644);
    await assert.rejects(CertificateAuthority.loadOrCreate(loose), UnsafePermissionsError);
  });
});
