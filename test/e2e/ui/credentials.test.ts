import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ui } from './context';
import { Workbench } from './workbench-page';

// MCP credentials through the vault commands, from the palette: Hangar: Add Credential creates the workspace's first
// vault, takes the server URL and the token in a password box, and keeps the token out of every file VS Code and
// Hangar write on this machine; Hangar: Remove Credential takes it away after a confirmation.

const URL_ = 'https://mcp.example.com/mcp';
const TOKEN = 'mcp-ui-token-0123456789abcdef';

function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const hits: string[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isFile() && st.size < 20_000_000 && readFileSync(p).includes(needle)) hits.push(p);
  }
  return hits;
}

export function credentialSuite(): void {
  describe('MCP credentials from the palette', () => {
    let wb: Workbench;
    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it('Add Credential: new vault, bearer token for a server URL, typed into a password box; no file holds the token', async () => {
      await wb.command('Hangar: Add Credential');
      await wb.answer('Name of the new vault', 'Workspace credentials');
      await wb.pick('Bearer token');
      await wb.answer('The MCP server URL', URL_);
      const box = wb.page.locator('.quick-input-widget', { hasText: 'secret storage' });
      await box.waitFor({ timeout: 30_000 });
      assert.equal(await box.locator('.quick-input-box input').getAttribute('type'), 'password');
      await wb.answer('secret storage', TOKEN);
      await wb.notification(`saved a credential for ${URL_}`);
      assert.deepEqual([ui().userData, ui().workspace].flatMap((d) => filesContaining(d, TOKEN)), []);
      await wb.clearNotifications();
    });

    it('Remove Credential: pick it, confirm, and it is gone', async () => {
      await wb.command('Hangar: Remove Credential');
      await wb.pick(URL_);
      const dialog = wb.page.locator('.monaco-dialog-box', { hasText: `Remove the credential for ${URL_}?` });
      await dialog.waitFor({ timeout: 30_000 });
      await dialog.getByRole('button', { name: 'Remove' }).click();
      await wb.notification('credential removed');
      await wb.clearNotifications();
      await wb.command('Hangar: Remove Credential');
      await wb.notification('this workspace has no credentials');
      await wb.clearNotifications();
    });
  });
}
