import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { classifyAddress } from '../../../src/vault/proxy/address';
import { matchesHost, normaliseHost, normalisePattern, parseAuthority } from '../../../src/vault/proxy/hosts';
import { ReplaceStream } from '../../../src/vault/proxy/replace-stream';

describe('egress proxy parts', () => {
  it('classifies private, loopback, link-local and mapped addresses, and passes public ones', () => {
    const blocked: [string, string][] = [
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fd00::1', 'private'],
      ['fc00::abcd', 'private'],
      ['fe80::1%eth0', 'link-local'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['64:ff9b::a9fe:a9fe', 'link-local'],
      ['[::1]', 'loopback'],
      ['not-an-ip', 'reserved'],
    ];
    for (const [a, cls] of blocked) assert.equal(classifyAddress(a), cls, a);
    for (const a of ['1.1.1.1', '172.32.0.1', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(classifyAddress(a), null, a);
  });

  it('matches exact hosts and *. wildcards (which exclude the bare suffix)', () => {
    assert.ok(matchesHost('api.example.com', 'api.example.com'));
    assert.ok(matchesHost('API.Example.com.', 'api.example.com'));
    assert.ok(!matchesHost('example.com', 'api.example.com'));
    assert.ok(matchesHost('*.example.com', 'a.b.example.com'));
    assert.ok(!matchesHost('*.example.com', 'example.com'));
    assert.ok(!matchesHost('*.example.com', 'badexample.com'));
    assert.ok(matchesHost('https://example.com:8443/path', 'example.com'));
    assert.equal(normalisePattern('*.1.2.3.4'), null);
    assert.equal(normalisePattern('exa mple.com'), null);
  });

  it('parses CONNECT authorities and rejects garbage', () => {
    assert.deepEqual(parseAuthority('Example.COM:443'), { host: 'example.com', port: 443 });
    assert.deepEqual(parseAuthority('[::1]:22'), { host: '::1', port: 22 });
    for (const bad of ['', 'example.com', 'example.com:0', 'example.com:70000', 'a b:80', 'user@host:80', 'http://x:80', '::1:22', 'ex_ample..com:80', `${'a'.repeat(300)}.com:80`, 'host:80/path']) {
      assert.equal(parseAuthority(bad), null, bad);
    }
    assert.equal(normaliseHost('-bad-.com'), null);
  });

  it('replaces patterns split across chunk boundaries, longest first', async () => {
    const input = ['xx PLACE', 'HOLDER-1 yy PLACEHOLDER', '-12 PLACE', 'HOLDER'];
    const s = new ReplaceStream([
      ['PLACEHOLDER-1', 'secret-one', 'c1'],
      ['PLACEHOLDER-12', 'secret-twelve', 'c12'],
    ]);
    const chunks: Buffer[] = [];
    for await (const c of Readable.from(input.map((t) => Buffer.from(t))).pipe(s)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'xx secret-one yy secret-twelve PLACEHOLDER');
    assert.deepEqual([...s.hits].sort(), ['c1', 'c12']);
  });

  it('passes a stream through untouched when nothing matches, byte for byte', async () => {
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const s = new ReplaceStream([['NEVER-THERE', 'x']]);
    const chunks: Buffer[] = [];
    for await (const c of Readable.from([data.subarray(0, 1), data.subarray(1, 40_000), data.subarray(40_000)]).pipe(s)) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(data));
    assert.equal(s.hits.size, 0);
  });
});
