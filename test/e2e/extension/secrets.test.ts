import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { MODEL_API_KEY } from '../../../src/vault/types';
import { filesContaining, hangar, workspaceDir } from './support';

export function secretSuite(): void {
  describe('API key in SecretStorage', () => {
    const key = `sk-ant-secret-${Date.now()}-xyz`;

    it('Set API Key stores the key in SecretStorage, where the runtime finds it', async () => {
      const h = await hangar();
      assert.equal(await vscode.commands.executeCommand('hangar.setApiKey', key), true);
      assert.equal(await h.host.vault.get(MODEL_API_KEY), key);
      assert.equal(await h.context.secrets.get(`hangar.vault/${MODEL_API_KEY}`), key);
      assert.deepEqual(await h.host.vault.keys(), [MODEL_API_KEY]);
    });

    it('the key is in no setting and in no file under Hangar\'s storage, the workspace or the user settings', async () => {
      const h = await hangar();
      const config = vscode.workspace.getConfiguration('hangar');
      for (const name of ['model.id', 'model.baseUrl', 'model.maxTokens', 'sandbox.provider', 'defaultAgent']) {
        const inspected = config.inspect(name);
        for (const v of [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue]) assert.notEqual(v, key);
      }
      const userDir = path.resolve(h.context.globalStorageUri.fsPath, '..', '..');
      const roots = [h.host.storageRoot, h.context.globalStorageUri.fsPath, workspaceDir()];
      assert.deepEqual(roots.flatMap((r) => filesContaining(r, key)), []);
      const settings = path.join(userDir, 'settings.json');
      if (existsSync(settings)) assert.ok(!readFileSync(settings, 'utf8').includes(key), 'the key is in settings.json');
    });

    it('refuses a malformed key and keeps the stored one', async () => {
      const h = await hangar();
      assert.equal(await vscode.commands.executeCommand('hangar.setApiKey', 'has spaces in it'), undefined);
      assert.equal(await vscode.commands.executeCommand('hangar.setApiKey', '   '), undefined);
      assert.equal(await h.host.vault.get(MODEL_API_KEY), key);
    });
  });
}
