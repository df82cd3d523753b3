import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vaultCredentialResolver, type McpSession } from '../../../src/mcp';
import { readCredentialSecret, VaultStore } from '../../../src/runtime/vaults';
import { MemoryVault } from '../../../src/vault/memory';

describe('mcp credentials: matched by URL in the session vaults', () => {
  let dir: string;
  let store: VaultStore;
  let secrets: MemoryVault;
  let resolve: ReturnType<typeof vaultCredentialResolver>;
  const session = (vault_ids: string[]) => ({ id: 'sesn_x', vault_ids, agent: { tools: [], mcp_servers: [] } }) as unknown as McpSession;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-cred-'));
    secrets = new MemoryVault();
    store = new VaultStore(dir, secrets);
    resolve = vaultCredentialResolver(store, (v, c) => readCredentialSecret(secrets, v, c));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a static_bearer token, ignoring case of the host and a trailing slash', async () => {
    const v = await store.create({ display_name: 'v' });
    await store.createCredential(v.id, { auth: { type: 'static_bearer', mcp_server_url: 'https://MCP.example.com/mcp/', token: 'tok-1' } });
    assert.deepEqual(await resolve(session([v.id]), 'https://mcp.example.com/mcp'), { type: 'bearer', token: 'tok-1' });
    assert.equal(await resolve(session([v.id]), 'https://mcp.example.com/other'), undefined);
    assert.equal(await resolve(session([]), 'https://mcp.example.com/mcp'), undefined, 'only vaults of the session count');
  });

  it('uses the access token of mcp_oauth, the first vault wins, archived credentials never match', async () => {
    const a = await store.create({ display_name: 'a' });
    const b = await store.create({ display_name: 'b' });
    const old = await store.createCredential(a.id, { auth: { type: 'static_bearer', mcp_server_url: 'http://h/mcp', token: 'archived' } });
    await store.archiveCredential(a.id, old.id);
    await store.createCredential(b.id, { auth: { type: 'mcp_oauth', mcp_server_url: 'http://h/mcp', access_token: 'oauth-tok' } });
    assert.deepEqual(await resolve(session([a.id, b.id]), 'http://h/mcp'), { type: 'bearer', token: 'oauth-tok' });
  });

  it('matches stdio servers by stdio:<name>', async () => {
    const v = await store.create({ display_name: 'v' });
    await store.createCredential(v.id, { auth: { type: 'static_bearer', mcp_server_url: 'stdio:github', token: 'gh' } });
    assert.deepEqual(await resolve(session([v.id]), 'stdio:github'), { type: 'bearer', token: 'gh' });
    assert.equal(await resolve(session([v.id]), 'stdio:gitlab'), undefined);
  });

  it('a vault that does not exist is an error, not a silent miss', async () => {
    await assert.rejects(resolve(session(['vlt_missing']), 'http://h/mcp'), /vlt_missing/);
  });
});
