import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import { credentialSecretKey } from '../../../src/runtime/vaults';
import { answering, verdict, type Item } from './scripted-inputs';
import { ensureKey, events, filesContaining, hangar, scriptedModel, startAgent, waitForIdle, workspaceDir } from './support';

// Every credential kind the vaults API takes, through Hangar: Add Credential on the in-process runtime: an HTTP header
// credential and an environment-variable credential through the command's own quick picks and input boxes (answered
// here as a user would, each box's checks tried with bad values first), the secret in SecretStorage only; a Docker
// session's sandbox holds the variable's placeholder, never the secret; bad input refused with the reason; rotate
// and remove for both kinds. The proxy's injection of both kinds from a VS Code window is detached-vaults.test.ts's.

const HEADER_SECRET = `kinds-header-canary-${Date.now()}-5b1e`;
const ENV_SECRET = `kinds-env-canary-${Date.now()}-9f3a`;
const ROTATED = `kinds-rotated-canary-${Date.now()}-c07d`;

const storedSecret = async (vaultId: string, id: string): Promise<Record<string, unknown> | undefined> => {
  const raw = await (await hangar()).context.secrets.get(`hangar.vault/${credentialSecretKey(vaultId, id)}`);
  return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
};

function filesOfTheWindow(needle: string): Promise<string[]> {
  return hangar().then((h) => [h.host.storageRoot, h.context.globalStorageUri.fsPath, workspaceDir()].flatMap((r) => filesContaining(r, needle)));
}

const itemWith = (field: string, value: unknown) => (items: readonly Item[]) => {
  const found = items.find((i) => i[field] === value);
  assert.ok(found, `no item with ${field} ${String(value)} among ${items.map((i) => i.label).join(' | ')}`);
  return found;
};

export function credentialKindSuite(): void {
  describe('credentials of every kind (in-process runtime)', function () {
    this.timeout(120_000);
    let vaultId = '';
    let headerId = '';
    let envId = '';

    before(async () => {
      vaultId = (await (await hangar()).host.vaults.create({ display_name: 'Kinds e2e' })).id;
    });
    // A failed test leaves no credential behind for later suites' sessions.
    after(async () => {
      const vaults = (await hangar()).host.vaults;
      for (const c of await vaults.credentials(vaultId)) await vaults.deleteCredential(vaultId, c.id);
    });

    it('Add Credential offers every kind; an HTTP header credential through its boxes, each checked as typed; the secret in SecretStorage only', async () => {
      const h = await hangar();
      let offered: unknown[] = [];
      const { result, boxes, errors } = await answering<string>(
        [
          { pick: (items) => itemWith('id', vaultId)(items) },
          { pick: (items) => ((offered = items.map((i) => i.credentialKind)), itemWith('credentialKind', 'http_header')(items)) },
          {
            input: 'api.kinds.test, *.kinds.test',
            check: async (o) => {
              assert.match((await verdict(o, '')) ?? '', /at least one host/);
              assert.match((await verdict(o, 'https://api.kinds.test')) ?? '', /without https:\/\//);
              assert.match((await verdict(o, 'api.kinds.test:8443')) ?? '', /without a port or path/);
              assert.match((await verdict(o, '*')) ?? '', /never goes to every host/);
              assert.match((await verdict(o, 'api_kinds!')) ?? '', /is not a host/);
              assert.equal(await verdict(o, 'api.kinds.test, *.kinds.test'), null);
            },
          },
          { pick: itemWith('scheme', 'header') },
          {
            input: 'X-Api-Key',
            check: async (o) => {
              assert.match((await verdict(o, '')) ?? '', /Enter the header name/);
              assert.match((await verdict(o, 'X Api Key')) ?? '', /cannot carry the secret: header_name must be an HTTP header name/);
              assert.match((await verdict(o, 'Host')) ?? '', /connection-level/);
              assert.match((await verdict(o, 'Proxy-Authorization')) ?? '', /connection-level/);
              assert.equal(await verdict(o, 'X-Api-Key'), null);
            },
          },
          {
            input: HEADER_SECRET,
            check: async (o) => {
              assert.equal(o.password, true, 'the secret is typed into a password box');
              assert.match(o.prompt ?? '', /"X-Api-Key: <secret>" to api\.kinds\.test, \*\.kinds\.test/);
              assert.equal(await verdict(o, '   '), 'Enter the secret.');
            },
          },
        ],
        () => vscode.commands.executeCommand<string>('hangar.addCredential'),
      );
      assert.deepEqual(errors, []);
      assert.deepEqual(offered, ['static_bearer', 'mcp_oauth', 'http_header', 'environment_variable'], 'every kind the API accepts is offered');
      assert.equal(boxes.length, 3);
      assert.match(result ?? '', /^vcrd_/);
      headerId = result!;
      const record = await h.host.vaults.retrieveCredential(vaultId, headerId);
      assert.deepEqual(record.auth, { type: 'http_header', allowed_hosts: ['api.kinds.test', '*.kinds.test'], scheme: 'header', header_name: 'X-Api-Key', username: null });
      assert.deepEqual(await storedSecret(vaultId, headerId), { type: 'http_header', secret_value: HEADER_SECRET });
      assert.deepEqual(await filesOfTheWindow(HEADER_SECRET), [], 'no file of the window holds the secret');
    });

    it('an environment-variable credential through its boxes: the name and hosts checked, * for any host the environment allows', async () => {
      const h = await hangar();
      const { result, errors } = await answering<string>(
        [
          { pick: (items) => itemWith('id', vaultId)(items) },
          { pick: itemWith('credentialKind', 'environment_variable') },
          {
            input: 'KINDS_API_TOKEN',
            check: async (o) => {
              assert.match((await verdict(o, '9LIVES')) ?? '', /"9LIVES" is not a variable name: secret_name is an environment variable name/);
              assert.match((await verdict(o, 'MY-TOKEN')) ?? '', /not a variable name/);
              assert.match((await verdict(o, '')) ?? '', /Enter the variable name/);
            },
          },
          {
            input: '*',
            check: async (o) => {
              assert.match((await verdict(o, '*, api.kinds.test')) ?? '', /\* stands alone/);
              assert.equal(await verdict(o, '*'), null);
            },
          },
          { input: ENV_SECRET, check: (o) => assert.equal(o.password, true) },
        ],
        () => vscode.commands.executeCommand<string>('hangar.addCredential'),
      );
      assert.deepEqual(errors, []);
      envId = result ?? '';
      assert.match(envId, /^vcrd_/);
      assert.deepEqual((await h.host.vaults.retrieveCredential(vaultId, envId)).auth, {
        type: 'environment_variable',
        secret_name: 'KINDS_API_TOKEN',
        injection_location: { header: true, body: false },
        networking: { type: 'unrestricted' },
      });
      assert.deepEqual(await storedSecret(vaultId, envId), { type: 'environment_variable', secret_value: ENV_SECRET });
      assert.deepEqual(await filesOfTheWindow(ENV_SECRET), []);
    });

    it('an HTTP basic credential: the user name box starts at x-access-token and refuses a colon', async () => {
      const h = await hangar();
      const { result, errors } = await answering<string>(
        [
          { pick: itemWith('id', vaultId) },
          { pick: itemWith('credentialKind', 'http_header') },
          { input: 'git.kinds.test' },
          { pick: itemWith('scheme', 'basic') },
          {
            input: 'ci-bot',
            check: async (o) => {
              assert.equal(o.value, 'x-access-token', 'the user name a Git host token goes with is the default');
              assert.match((await verdict(o, 'ci:bot')) ?? '', /Not a user name: username cannot contain ":"/);
            },
          },
          { input: `${HEADER_SECRET}-basic`, check: (o) => (assert.equal(o.password, true), assert.match(o.prompt ?? '', /"Authorization: Basic …" to git\.kinds\.test/)) },
        ],
        () => vscode.commands.executeCommand<string>('hangar.addCredential'),
      );
      assert.deepEqual(errors, []);
      assert.match(result ?? '', /^vcrd_/);
      assert.deepEqual((await h.host.vaults.retrieveCredential(vaultId, result!)).auth, { type: 'http_header', allowed_hosts: ['git.kinds.test'], scheme: 'basic', header_name: 'Authorization', username: 'ci-bot' });
      assert.equal(await vscode.commands.executeCommand('hangar.removeCredential', { vaultId, credentialId: result, confirmed: true }), result);
    });

    it('refuses bad credentials with the reason and keeps nothing', async () => {
      const h = await hangar();
      const before = (await h.host.vaults.credentials(vaultId)).map((c) => c.id);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ kind: 'http_header', hosts: ['api.bad.test'], scheme: 'header', headerName: 'X Api Key', secret: 's3cret' }, /header_name must be an HTTP header name/],
        [{ kind: 'http_header', hosts: ['api.bad.test'], scheme: 'header', headerName: 'Host', secret: 's3cret' }, /cannot be a connection-level header/],
        [{ kind: 'http_header', hosts: ['api.bad.test'], scheme: 'header', secret: 's3cret' }, /needs headerName/],
        [{ kind: 'http_header', hosts: ['https://api.bad.test/v1'], secret: 's3cret' }, /allowed_hosts entries are bare hosts/],
        [{ kind: 'http_header', hosts: [], secret: 's3cret' }, /give at least one host/],
        [{ kind: 'http_header', hosts: ['api.bad.test'], secret: '   ' }, /the secret is empty/],
        [{ kind: 'environment_variable', name: '9LIVES', hosts: ['api.bad.test'], secret: 's3cret' }, /secret_name is an environment variable name/],
        [{ kind: 'environment_variable', name: 'OK_NAME', hosts: ['api.bad.test'], secret: '' }, /the secret is empty/],
        [{ kind: 'ssh_key', secret: 's3cret' }, /invalid credential/],
        // The hosts of the header credential above, sent another way: the scheme and header never change.
        [{ kind: 'http_header', hosts: ['*.kinds.test', 'API.kinds.test'], scheme: 'bearer', secret: 's3cret' }, /already covers api\.kinds\.test, \*\.kinds\.test with header X-Api-Key; .*remove it first/],
      ];
      for (const [arg, reason] of cases) {
        const { result, errors } = await answering([], () => vscode.commands.executeCommand('hangar.addCredential', { vaultId, ...arg }));
        assert.equal(result, undefined, `accepted ${JSON.stringify(arg)}`);
        assert.equal(errors.length, 1, `one error for ${JSON.stringify(arg)}: ${errors.join(' | ')}`);
        assert.match(errors[0]!, reason);
      }
      assert.deepEqual((await h.host.vaults.credentials(vaultId)).map((c) => c.id), before, 'nothing was added');
      assert.deepEqual(await storedSecret(vaultId, headerId), { type: 'http_header', secret_value: HEADER_SECRET }, 'nor changed');
    });

    it("a Docker session's sandbox holds the variable's placeholder, never the secret", async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.tool('bash', { command: 'printenv KINDS_API_TOKEN; env | grep -c kinds- || true' }), reply.text('done')]);
      try {
        const id = await startAgent(h, 'Read the token', 'kinds-agent');
        const all = await waitForIdle(h, id, 1, 90_000);
        assert.equal(h.host.runtime.options.sandbox.kind, 'docker');
        const result = all.find((e) => e.type === 'agent.tool_result');
        const text = result?.type === 'agent.tool_result' ? (result.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('') : '';
        assert.equal(text.split('\n')[0], `hangar-placeholder-${envId}`, `the variable holds the placeholder: ${text}`);
        assert.equal(text.split('\n')[1], '0', 'no variable holds a canary');
        const log = JSON.stringify(await events(h, id));
        for (const secret of [ENV_SECRET, HEADER_SECRET]) assert.ok(!log.includes(secret), 'no event holds a secret');
        await h.host.runtime.deleteSession(id);
      } finally {
        await model.close();
      }
    });

    it('Rotate and Remove work for both kinds; adding the same hosts or variable again rotates it', async () => {
      const h = await hangar();
      const rotated = await answering<string>(
        [
          { pick: itemWith('credentialId', headerId) },
          { input: ROTATED, check: (o) => (assert.equal(o.password, true), assert.match(o.prompt ?? '', /new secret for api\.kinds\.test, \*\.kinds\.test \(header X-Api-Key\)/)) },
        ],
        () => vscode.commands.executeCommand<string>('hangar.rotateCredential'),
      );
      assert.deepEqual(rotated.errors, []);
      assert.equal(rotated.result, headerId);
      assert.deepEqual(await storedSecret(vaultId, headerId), { type: 'http_header', secret_value: ROTATED });

      const refused = await answering([], () => vscode.commands.executeCommand('hangar.rotateCredential', { vaultId, credentialId: envId, secret: ' ' }));
      assert.equal(refused.result, undefined);
      assert.match(refused.errors.join(), /Enter the secret/);
      assert.equal(await vscode.commands.executeCommand('hangar.rotateCredential', { vaultId, credentialId: envId, secret: `${ENV_SECRET}-2` }), envId);
      assert.deepEqual(await storedSecret(vaultId, envId), { type: 'environment_variable', secret_value: `${ENV_SECRET}-2` });

      // Added again for the same variable (now limited to a host) or the same hosts: the existing credential changes.
      assert.equal(await vscode.commands.executeCommand('hangar.addCredential', { vaultId, kind: 'environment_variable', name: 'KINDS_API_TOKEN', hosts: ['api.kinds.test'], secret: ENV_SECRET }), envId);
      const env = await h.host.vaults.retrieveCredential(vaultId, envId);
      assert.deepEqual(env.auth.type === 'environment_variable' && env.auth.networking, { type: 'limited', allowed_hosts: ['api.kinds.test'] });
      assert.equal(await vscode.commands.executeCommand('hangar.addCredential', { vaultId, kind: 'http_header', hosts: ['*.kinds.test', 'api.kinds.test'], scheme: 'header', headerName: 'x-api-key', secret: HEADER_SECRET }), headerId);
      assert.deepEqual(await storedSecret(vaultId, headerId), { type: 'http_header', secret_value: HEADER_SECRET });

      for (const id of [headerId, envId]) {
        assert.equal(await vscode.commands.executeCommand('hangar.removeCredential', { vaultId, credentialId: id, confirmed: true }), id);
        assert.equal(await storedSecret(vaultId, id), undefined, 'the secret is gone from SecretStorage');
      }
      assert.deepEqual(await h.host.vaults.credentials(vaultId), []);
      assert.deepEqual(await filesOfTheWindow(HEADER_SECRET), []);
    });
  });
}
