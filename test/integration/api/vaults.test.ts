import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { credentialSecretKey, readCredentialSecret } from '../../../src/runtime/vaults';
import { raw, startApi, type ApiFixture } from './helpers';

// §9 item 14: vaults and each credential kind through the SDK. Secret values go into the runtime's Vault under
// `${vault_id}/${credential_id}` and appear in no response, no listing, no event and no stored record.

const SECRETS = ['bearer-SECRET-1', 'access-SECRET-2', 'refresh-SECRET-3', 'client-SECRET-4', 'env-SECRET-5', 'rotated-SECRET-6'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('api: vaults and credentials', function () {
  this.timeout(30_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('stores each credential kind write-only and never returns a secret', async () => {
    f = await startApi();
    const responses: unknown[] = [];
    const keep = <T>(v: T): T => (responses.push(v), v);
    const vault = keep(await f.client.beta.vaults.create({ display_name: 'team', metadata: { env: 'dev' } }));
    assert.equal(vault.type, 'vault');
    assert.match(vault.id, /^vlt_/);

    const bearer = keep(await f.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp', token: SECRETS[0]! }, display_name: 'docs' }));
    assert.deepEqual(bearer.auth, { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp' });
    const oauth = keep(
      await f.client.beta.vaults.credentials.create(vault.id, {
        auth: {
          type: 'mcp_oauth',
          mcp_server_url: 'https://linear.example.com/mcp',
          access_token: SECRETS[1]!,
          refresh: { client_id: 'client-1', refresh_token: SECRETS[2]!, token_endpoint: 'https://auth.example.com/token', token_endpoint_auth: { type: 'client_secret_post', client_secret: SECRETS[3]! } },
        },
      }),
    );
    assert.ok(oauth.auth.type === 'mcp_oauth');
    assert.deepEqual(oauth.auth.refresh?.token_endpoint_auth, { type: 'client_secret_post' });
    const envVar = keep(
      await f.client.beta.vaults.credentials.create(vault.id, {
        auth: { type: 'environment_variable', secret_name: 'GITHUB_TOKEN', secret_value: SECRETS[4]!, networking: { type: 'limited', allowed_hosts: ['api.github.com', '*.githubusercontent.com'] } },
      }),
    );
    assert.ok(envVar.auth.type === 'environment_variable');
    assert.deepEqual(envVar.auth.injection_location, { header: true, body: false });

    const vaultStore = f.t.runtime.vault;
    assert.deepEqual(await readCredentialSecret(vaultStore, vault.id, bearer.id), { type: 'static_bearer', token: SECRETS[0] });
    assert.deepEqual(await readCredentialSecret(vaultStore, vault.id, oauth.id), { type: 'mcp_oauth', access_token: SECRETS[1], refresh_token: SECRETS[2], client_secret: SECRETS[3] });
    assert.deepEqual(await readCredentialSecret(vaultStore, vault.id, envVar.id), { type: 'environment_variable', secret_value: SECRETS[4] });

    const rotated = keep(await f.client.beta.vaults.credentials.update(bearer.id, { vault_id: vault.id, auth: { type: 'static_bearer', token: SECRETS[5]! }, metadata: { rotated: 'yes' } }));
    assert.deepEqual(rotated.metadata, { rotated: 'yes' });
    assert.deepEqual(await readCredentialSecret(vaultStore, vault.id, bearer.id), { type: 'static_bearer', token: SECRETS[5] });
    keep(await f.client.beta.vaults.credentials.update(envVar.id, { vault_id: vault.id, auth: { type: 'environment_variable', injection_location: { body: true } } }));

    for await (const c of f.client.beta.vaults.credentials.list(vault.id, { limit: 1 })) keep(c);
    keep(await f.client.beta.vaults.credentials.retrieve(oauth.id, { vault_id: vault.id }));
    keep(await f.client.beta.vaults.list());
    const listedRaw = await raw(f.server, 'GET', `/v1/vaults/${vault.id}/credentials?include_archived=true`);
    const everything = JSON.stringify(responses) + listedRaw.text;
    const records = filesUnder(f.t.storage).map((p) => readFileSync(p, 'latin1')).join('\n');
    for (const s of SECRETS) {
      assert.ok(!everything.includes(s), `${s} appeared in an API response`);
      assert.ok(!records.includes(s), `${s} was written to the runtime's storage`);
    }
  });

  it('refuses other auth kinds, type changes and immutable fields; archive and delete drop the secret', async () => {
    f = await startApi();
    const vault = await f.client.beta.vaults.create({ display_name: 'v' });
    const create = (auth: unknown) => raw(f.server, 'POST', `/v1/vaults/${vault.id}/credentials`, { body: JSON.stringify({ auth }), headers: { 'content-type': 'application/json' } });
    for (const auth of [{ type: 'oauth2_client_credentials', client_id: 'x', client_secret: 'y' }, { type: 'static_bearer', mcp_server_url: 'not a url', token: 't' }, { type: 'static_bearer', mcp_server_url: 'javascript:alert(1)', token: 't' }, { type: 'mcp_oauth', mcp_server_url: 'file:///etc/passwd', access_token: 't' }, { type: 'static_bearer', mcp_server_url: 'https://x.example' }]) {
      const r = await create(auth);
      assert.equal(r.status, 400, JSON.stringify(auth));
      assert.ok(!r.text.includes('"token":"t"'));
    }
    const badHost = await create({ type: 'environment_variable', secret_name: 'K', secret_value: 'v', networking: { type: 'limited', allowed_hosts: ['https://api.example.com/path'] } });
    assert.equal(badHost.status, 400);
    assert.match(badHost.json().error.message, /bare hosts/);
    const c = await f.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: 'https://x.example/mcp', token: 'tok-1' } });
    await assert.rejects(
      f.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: 'https://x.example/mcp', token: 'tok-2' } }),
      (err: unknown) => err instanceof Anthropic.ConflictError,
    );
    await assert.rejects(f.client.beta.vaults.credentials.update(c.id, { vault_id: vault.id, auth: { type: 'mcp_oauth', access_token: 'a' } }), (err: unknown) => err instanceof Anthropic.BadRequestError && /cannot change/.test(err.message));
    const immutable = await raw(f.server, 'POST', `/v1/vaults/${vault.id}/credentials/${c.id}`, { body: JSON.stringify({ auth: { type: 'static_bearer', mcp_server_url: 'https://y.example' } }), headers: { 'content-type': 'application/json' } });
    assert.equal(immutable.status, 400);
    assert.match(immutable.json().error.message, /mcp_server_url cannot change/);
    assert.equal((await readCredentialSecret(f.t.runtime.vault, vault.id, c.id))?.type, 'static_bearer', 'a refused update kept the secret');

    const archived = await f.client.beta.vaults.credentials.archive(c.id, { vault_id: vault.id });
    assert.ok(archived.archived_at);
    assert.equal(await f.t.runtime.vault.get(credentialSecretKey(vault.id, c.id)), undefined, 'an archived credential has no secret');
    assert.equal((await f.client.beta.vaults.credentials.list(vault.id)).data.length, 0);
    const d = await f.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'environment_variable', secret_name: 'K', secret_value: 'v', networking: { type: 'unrestricted' } } });
    assert.deepEqual(await f.client.beta.vaults.delete(vault.id), { id: vault.id, type: 'vault_deleted' });
    assert.equal(await f.t.runtime.vault.get(credentialSecretKey(vault.id, d.id)), undefined);
    await assert.rejects(f.client.beta.vaults.retrieve(vault.id), (err: unknown) => err instanceof Anthropic.NotFoundError);
    await assert.rejects(f.client.beta.vaults.credentials.retrieve(d.id, { vault_id: vault.id }), (err: unknown) => err instanceof Anthropic.NotFoundError);
  });

  it('attaches vaults to sessions by id and refuses archived ones', async () => {
    f = await startApi();
    const agent = await f.agent();
    const live = await f.client.beta.vaults.create({ display_name: 'live' });
    const session = await f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, vault_ids: [live.id] });
    assert.deepEqual(session.vault_ids, [live.id]);
    await f.client.beta.vaults.archive(live.id);
    await assert.rejects(f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, vault_ids: [live.id] }), (err: unknown) => err instanceof Anthropic.BadRequestError && /archived/.test(err.message));
  });
});
