import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultVaultPath, FileVault, VaultFileError } from '../../../src/vault/file-vault';
import { OverlayVault } from '../../../src/vault/overlay';
import { UnsafePermissionsError } from '../../../src/vault/private-file';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hangar-vault-'));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('file vault', () => {
  it('stores values in a 0600 file inside a 0700 directory and reads them back', async () => {
    const dir = path.join(tmp(), 'config', 'hangar');
    const v = new FileVault(path.join(dir, 'vault.json'));
    assert.deepEqual(await v.keys(), []);
    await v.set('a/b', 'secret-1');
    await v.set('model', 'sk-2');
    assert.equal(await v.get('a/b'), 'secret-1');
    assert.deepEqual((await v.keys()).sort(), ['a/b', 'model']);
    await v.delete('a/b');
    assert.equal(await v.get('a/b'), undefined);
    assert.equal(mode(path.join(dir, 'vault.json')), 0o600);
    assert.equal(mode(dir), 0o700);
    // Atomic writes leave no temp files or locks behind.
    assert.deepEqual(readdirSync(dir), ['vault.json']);
    // A second instance (another CLI process) sees the same values.
    assert.equal(await new FileVault(path.join(dir, 'vault.json')).get('model'), 'sk-2');
  });

  it('refuses to read a file other users can read, and says how to fix it', async () => {
    const file = path.join(tmp(), 'vault.json');
    writeFileSync(file, JSON.stringify({ version: 1, values: { k: 'v' } }), { mode: 0o644 });
    chmodSync(file, 0o644);
    const v = new FileVault(file);
    await assert.rejects(v.get('k'), (e: Error) => e instanceof UnsafePermissionsError && /chmod 600/.test(e.message));
    chmodSync(file, 0o600);
    assert.equal(await v.get('k'), 'v');
  });

  it('refuses a directory others can write to', async () => {
    const dir = path.join(tmp(), 'shared');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    await assert.rejects(new FileVault(path.join(dir, 'vault.json')).set('k', 'v'), UnsafePermissionsError);
  });

  it('reports a damaged file instead of overwriting the secrets in it', async () => {
    const file = path.join(tmp(), 'vault.json');
    writeFileSync(file, '{"version":1,"values":{"k":', { mode: 0o600 });
    const v = new FileVault(file);
    await assert.rejects(v.set('x', 'y'), VaultFileError);
    writeFileSync(file, JSON.stringify({ version: 2, values: [] }), { mode: 0o600 });
    await assert.rejects(v.keys(), VaultFileError);
  });

  it('keeps every write of concurrent writers', async () => {
    const file = path.join(tmp(), 'vault.json');
    const writers = Array.from({ length: 4 }, () => new FileVault(file));
    await Promise.all(Array.from({ length: 40 }, (_, i) => (writers[i % 4] as FileVault).set(`k${i}`, `v${i}`)));
    assert.equal((await writers[0]!.keys()).length, 40);
  });

  it('lives in $HANGAR_HOME or the XDG config directory, never in the working directory', () => {
    assert.equal(defaultVaultPath({ HANGAR_HOME: '/h' }), '/h/vault.json');
    assert.equal(defaultVaultPath({ XDG_CONFIG_HOME: '/c' }), '/c/hangar/vault.json');
    assert.ok(defaultVaultPath({}).startsWith(os.homedir()));
  });

  it('lets an environment value shadow the stored one without writing it anywhere', async () => {
    const file = path.join(tmp(), 'vault.json');
    const store = new FileVault(file);
    await store.set('model', 'from-file');
    const v = new OverlayVault(store, { model: 'from-env', unset: undefined });
    assert.equal(await v.get('model'), 'from-env');
    assert.deepEqual((await v.keys()).sort(), ['model']);
    await v.set('other', 'x');
    assert.equal(await store.get('other'), 'x');
    assert.equal(await store.get('model'), 'from-file');
  });
});
