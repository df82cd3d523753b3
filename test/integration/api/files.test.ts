import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { Runtime } from '../../../src/runtime';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { MemoryVault } from '../../../src/vault/memory';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { raw, startApi, type ApiFixture } from './helpers';

// The Files API through the real SDK over HTTP (`client.beta.files`): upload (multipart), list with scope_id and
// ids, metadata, download, delete, and the bad inputs: a file over the runtime's limit, an unknown id, a bad expiry,
// a body that is not multipart, an unknown form part. Files survive a new runtime on the same storage.

const LIMIT = 64 * 1024;

describe('api: files', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  beforeEach(async () => {
    f = await startApi({ runtime: { maxFileBytes: LIMIT } });
  });
  afterEach(async () => f?.close());

  it('uploads, lists, retrieves, downloads and deletes a file as the SDK calls them', async () => {
    const c = f.client;
    const bytes = Buffer.from('col1,col2\n1,2\n');
    const meta = await c.beta.files.upload({ file: await toFile(bytes, 'dir/data.csv', { type: 'text/csv' }) });
    assert.match(meta.id, /^file_011/);
    assert.equal(meta.type, 'file');
    assert.equal(meta.filename, 'data.csv', 'only the last path component is kept');
    assert.equal(meta.mime_type, 'text/csv');
    assert.equal(meta.size_bytes, bytes.length);
    assert.equal(meta.downloadable, true);
    assert.equal(meta.scope, null);
    assert.equal(meta.expires_at, null);

    const expiring = await c.beta.files.upload({ file: await toFile(Buffer.from('{}'), 'x.json'), expires_in_seconds: 3600 });
    assert.equal(Date.parse(expiring.expires_at!) - Date.parse(expiring.created_at), 3600 * 1000);
    assert.equal(expiring.mime_type, 'application/json', 'a generic declared type is guessed from the name');

    assert.deepEqual(await c.beta.files.retrieveMetadata(meta.id), meta);
    const listed: string[] = [];
    for await (const file of c.beta.files.list({ limit: 1 })) listed.push(file.id);
    assert.deepEqual(listed, [expiring.id, meta.id], 'newest first, across pages');
    assert.deepEqual((await c.beta.files.list({ ids: [meta.id, meta.id, 'file_gone'] })).data.map((x) => x.id), [meta.id], 'ids: de-duplicated, unknown ones omitted');
    assert.deepEqual((await c.beta.files.list({ scope_id: 'sesn_none' })).data, [], 'an unscoped upload is not in a session scope');

    const res = await c.beta.files.download(meta.id);
    assert.equal(res.headers.get('content-type'), 'text/csv');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    assert.ok(f.requests.some((r) => r.method === 'GET' && r.path === `/v1/files/${meta.id}/content`));

    // Stored durably: a new runtime on the same storage serves the same file.
    const again = new Runtime({ storageRoot: f.t.storage, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: f.t.storage }), model: createAnthropicModel({ apiKey: async () => 'k', baseURL: f.t.model.url }) });
    try {
      assert.deepEqual(await again.files.retrieve(meta.id), meta);
    } finally {
      await again.close();
    }

    assert.deepEqual(await c.beta.files.delete(meta.id), { id: meta.id, type: 'file_deleted' });
    await assert.rejects(c.beta.files.retrieveMetadata(meta.id), (e: unknown) => e instanceof Anthropic.NotFoundError && /File file_\w+ does not exist/.test(e.message));
    await assert.rejects(c.beta.files.download(meta.id), Anthropic.NotFoundError);
    assert.ok(!existsSync(path.join(f.t.storage, 'file-blobs', meta.id)), 'the bytes went with the metadata');
  });

  it('refuses a file over the limit, naming it, and keeps nothing of it', async () => {
    const big = Buffer.alloc(LIMIT + 1, 0x61);
    await assert.rejects(c().beta.files.upload({ file: await toFile(big, 'big.txt') }), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError && e.status === 413, String(e));
      assert.match(e.message, new RegExp(`limit of ${LIMIT} bytes`));
      return true;
    });
    // Exactly at the limit is fine.
    const at = await c().beta.files.upload({ file: await toFile(Buffer.alloc(LIMIT, 0x61), 'at.txt') });
    assert.equal(at.size_bytes, LIMIT);
    assert.deepEqual(readdirSync(path.join(f.t.storage, 'file-blobs')), [at.id], 'no staged leftovers of the refused upload');
    assert.equal((await c().beta.files.list()).data.length, 1);
  });

  it('answers bad requests with the error envelope', async () => {
    await assert.rejects(c().beta.files.retrieveMetadata('file_missing'), Anthropic.NotFoundError);
    await assert.rejects(c().beta.files.delete('../etc'), Anthropic.NotFoundError);
    await assert.rejects(c().beta.files.upload({ file: await toFile(Buffer.from('x'), 'a.txt'), expires_in_seconds: 60 }), (e: unknown) => e instanceof Anthropic.BadRequestError && /from 3600/.test(e.message));
    await assert.rejects(c().beta.files.list({ ids: ['file_a'], limit: 2 }), (e: unknown) => e instanceof Anthropic.BadRequestError && /ids cannot be combined/.test(e.message));

    const json = await raw(f.server, 'POST', '/v1/files', { headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    assert.match(json.json().error.message, /multipart\/form-data/);

    const boundary = 'b0undary';
    const part = (name: string, file?: string) =>
      `--${boundary}\r\ncontent-disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n\r\nhello\r\n`;
    const form = (body: string) => raw(f.server, 'POST', '/v1/files', { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: `${body}--${boundary}--\r\n` });
    const noFile = await form(part('expires_in_seconds'));
    assert.equal(noFile.status, 400);
    assert.match(noFile.json().error.message, /expires_in_seconds must be a whole number|No file part/);
    const unknown = await form(part('attachment', 'a.txt'));
    assert.equal(unknown.status, 400);
    assert.match(unknown.json().error.message, /Unknown form part "attachment"/);
    const unnamed = await form(part('file', ''));
    assert.equal(unnamed.status, 200, unnamed.text);
    assert.match(JSON.parse(unnamed.text).filename, /^unnamed/);
    assert.deepEqual(readdirSync(path.join(f.t.storage, 'file-blobs')).filter((n) => n.endsWith('.tmp')), [], 'refused uploads leave no staged files');
  });

  it('sweeps blobs that lost their metadata (an upload cut short by a crash)', async () => {
    const kept = await c().beta.files.upload({ file: await toFile(Buffer.from('keep'), 'k.txt') });
    const orphan = path.join(f.t.storage, 'file-blobs', 'upload-0123456789abcdef.tmp');
    writeFileSync(orphan, 'half');
    await f.t.runtime.files.sweep(0);
    assert.ok(!existsSync(orphan));
    assert.deepEqual(readdirSync(path.join(f.t.storage, 'file-blobs')), [kept.id]);
  });

  const c = () => f.client;
});
