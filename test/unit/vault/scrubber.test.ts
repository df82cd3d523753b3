import assert from 'node:assert/strict';
import { Scrubber, secretsOf, secretVariants } from '../../../src/vault/scrubber';
import { MemoryVault } from '../../../src/vault/memory';
import { FileVault } from '../../../src/vault/file-vault';
import { OverlayVault } from '../../../src/vault/overlay';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL_API_KEY } from '../../../src/vault/types';
import type { ToolOutcome } from '../../../src/wire/tool-outcome';

const SECRET = 'ghp_CanarySecret0123456789';

async function scrubberWith(values: Record<string, string>): Promise<Scrubber> {
  const s = new Scrubber(new MemoryVault(values));
  await s.refresh();
  return s;
}

describe('vault scrubber', () => {
  it('replaces a credential secret, naming the credential and not the value', async () => {
    const s = await scrubberWith({ 'vlt_1/vcrd_abc': JSON.stringify({ type: 'environment_variable', secret_value: SECRET }) });
    const out = s.text(`token=${SECRET}; again ${SECRET}`);
    assert.equal(out, 'token=[REDACTED:vcrd_abc]; again [REDACTED:vcrd_abc]');
  });

  it('catches URL-encoded, JSON-escaped and base64 forms, at every offset and in Basic auth', async () => {
    const secret = 'p@ss/w0rd+"quoted"&more';
    const s = await scrubberWith({ 'vlt_1/vcrd_x': JSON.stringify({ type: 'http_header', secret_value: secret }) });
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const b64 = Buffer.from(`${prefix}${secret}tail`).toString('base64');
      assert.ok(s.text(b64).includes('[REDACTED:vcrd_x]'), `base64 with a ${prefix.length}-byte prefix: ${s.text(b64)}`);
      assert.ok(!s.text(b64).includes(Buffer.from(secret).toString('base64').slice(4, 16)));
    }
    const basic = `Authorization: Basic ${Buffer.from(`x-access-token:${secret}`).toString('base64')}`;
    assert.match(s.text(basic), /REDACTED:vcrd_x/);
    const urlSafe = Buffer.from(`zz${secret}`).toString('base64url');
    assert.match(s.text(urlSafe), /REDACTED:vcrd_x/);
    assert.equal(s.text(`q=${encodeURIComponent(secret)}`), 'q=[REDACTED:vcrd_x]');
    assert.equal(s.text(JSON.stringify({ v: secret })), '{"v":"[REDACTED:vcrd_x]"}');
  });

  it('scrubs every field of an OAuth secret and plain values such as the model key', async () => {
    const s = await scrubberWith({
      [MODEL_API_KEY]: 'sk-ant-model-key-123456',
      'vlt_1/vcrd_o': JSON.stringify({ type: 'mcp_oauth', access_token: 'access-token-aaaa', refresh_token: 'refresh-token-bbbb', client_secret: null }),
    });
    assert.equal(s.text('sk-ant-model-key-123456 access-token-aaaa refresh-token-bbbb'), `[REDACTED:${MODEL_API_KEY}] [REDACTED:vcrd_o] [REDACTED:vcrd_o]`);
  });

  it('leaves text alone when there is nothing to hide, and ignores values too short to be secrets', async () => {
    const s = await scrubberWith({ short: 'abc', empty: '' });
    assert.equal(s.size, 0);
    assert.equal(s.text('abc abc'), 'abc abc');
  });

  it('learns a secret added after the first refresh and forgets a deleted one', async () => {
    const vault = new MemoryVault();
    const s = new Scrubber(vault);
    await s.refresh();
    assert.equal(s.text(SECRET), SECRET);
    await vault.set('vlt/vcrd_new', JSON.stringify({ type: 'static_bearer', token: SECRET }));
    await s.refresh();
    assert.equal(s.text(SECRET), '[REDACTED:vcrd_new]');
    await vault.delete('vlt/vcrd_new');
    await s.refresh();
    assert.equal(s.text(SECRET), SECRET);
  });

  it('redacts every string of a tool outcome and drops binary blocks that contain a secret', async () => {
    const s = await scrubberWith({ k: SECRET });
    const outcome: ToolOutcome = {
      is_error: false,
      content: [
        { type: 'text', text: `env: TOKEN=${SECRET}` },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: Buffer.from(`PNG...${SECRET}...`).toString('base64') } },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: Buffer.from('harmless').toString('base64') } },
        { type: 'search_result', source: `https://x/?t=${SECRET}`, title: 't', content: [{ type: 'text', text: SECRET }] },
      ],
    };
    const out = s.outcome(outcome);
    const text = JSON.stringify(out);
    assert.ok(!text.includes(SECRET));
    for (const v of secretVariants(SECRET)) assert.ok(!text.includes(v), `variant ${v} survived`);
    assert.deepEqual(out.content[0], { type: 'text', text: 'env: TOKEN=[REDACTED:k]' });
    assert.equal(out.content[1]?.type, 'text');
    assert.equal(out.content[2]?.type, 'image');
  });

  it('treats a value that is not credential JSON as one plain secret', () => {
    assert.deepEqual(secretsOf('a/b', '{"type":"unknown","x":"y"}'), [{ label: 'a/b', value: '{"type":"unknown","x":"y"}' }]);
    assert.deepEqual(secretsOf('model', 'not json'), [{ label: 'model', value: 'not json' }]);
  });

  it('scrubs a stored key that an override shadows, and the override too (both are secrets Hangar holds)', async () => {
    const file = new FileVault(path.join(mkdtempSync(path.join(os.tmpdir(), 'hangar-scrub-')), 'vault.json'));
    await file.set(MODEL_API_KEY, 'sk-ant-stored-in-the-file-1');
    const s = new Scrubber(new OverlayVault(file, { [MODEL_API_KEY]: 'sk-ant-from-the-env-var-2' }));
    await s.refresh();
    assert.equal(s.text('sk-ant-stored-in-the-file-1 sk-ant-from-the-env-var-2'), `[REDACTED:${MODEL_API_KEY}] [REDACTED:${MODEL_API_KEY}]`);
  });

  it('reads the vault only when its version moved, and sees a change another process made to the file', async () => {
    const vaultFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hangar-scrub-')), 'vault.json');
    const mine = new FileVault(vaultFile);
    let reads = 0;
    const get = mine.get.bind(mine);
    mine.get = (key: string) => (reads++, get(key));
    await mine.set('k1', SECRET);
    const s = new Scrubber(new OverlayVault(mine, {}));
    await s.refresh();
    const after = reads;
    for (let i = 0; i < 5; i++) await s.refresh();
    assert.equal(reads, after, 'an unchanged vault is not read again');
    // Another process (the CLI's set-key while VS Code runs) writes the same file.
    await new FileVault(vaultFile).set('k2', 'another-secret-value-9');
    await s.refresh();
    assert.equal(s.text('another-secret-value-9'), '[REDACTED:k2]');
  });
});
