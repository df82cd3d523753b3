import assert from 'node:assert/strict';
import { SecretStorageVault } from '../../../src/extension/secret-vault';
import { Scrubber } from '../../../src/vault/scrubber';

// VS Code's SecretStorage answers over IPC, so the scrubber must not read every secret before every tool outcome:
// the vault's version moves with its own writes and with changes other windows make (onDidChange).

type Storage = ConstructorParameters<typeof SecretStorageVault>[0];

function fakeSecretStorage() {
  const values = new Map<string, string>();
  const listeners: (() => void)[] = [];
  let reads = 0;
  const storage = {
    get: async (k: string) => (reads++, values.get(k)),
    store: async (k: string, v: string) => void values.set(k, v),
    delete: async (k: string) => void values.delete(k),
    onDidChange: (l: () => void) => (listeners.push(l), { dispose: () => undefined }),
  };
  return { storage: storage as unknown as Storage, values, reads: () => reads, fireChange: () => listeners.forEach((l) => l()) };
}

describe('SecretStorage vault version', () => {
  it('lets the scrubber skip reads until a secret changes here or in another window', async () => {
    const fake = fakeSecretStorage();
    const vault = new SecretStorageVault(fake.storage);
    await vault.set('vlt/vcrd_a', 'first-secret-value-1');
    const s = new Scrubber(vault);
    await s.refresh();
    const reads = fake.reads();
    for (let i = 0; i < 5; i++) await s.refresh();
    assert.equal(fake.reads(), reads, 'no IPC read while nothing changed');
    // Another window stores a secret: SecretStorage tells this one through onDidChange.
    fake.values.set('hangar.vault/vlt/vcrd_b', 'second-secret-value-2');
    fake.values.set('hangar.vault.keys', JSON.stringify(['vlt/vcrd_a', 'vlt/vcrd_b']));
    fake.fireChange();
    await s.refresh();
    assert.equal(s.text('second-secret-value-2'), '[REDACTED:vlt/vcrd_b]');
  });
});
