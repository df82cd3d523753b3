import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ui } from './context';
import { Workbench } from './workbench-page';

// Credentials through the vault commands, from the palette: Hangar: Add Credential creates the workspace's first
// vault, takes the kind, the server URL and the token in a password box, and keeps the token out of every file VS Code
// and Hangar write on this machine; an HTTP header credential takes its hosts and header name, each checked as typed
// with the reason shown under the box; Hangar: Remove Credential takes each away after a confirmation.

const URL_ = 'https://mcp.example.com/mcp';
const TOKEN = 'mcp-ui-token-0123456789abcdef';
const API_KEY = 'header-ui-key-fedcba9876543210';

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
      await wb.pick('MCP server: bearer token');
      await wb.answer('The MCP server URL', URL_);
      const box = wb.page.locator('.quick-input-widget', { hasText: 'secret storage' });
      await box.waitFor({ timeout: 30_000 });
      assert.equal(await box.locator('.quick-input-box input').getAttribute('type'), 'password');
      await wb.answer('secret storage', TOKEN);
      await wb.notification(`saved a credential for ${URL_}`);
      assert.deepEqual([ui().userData, ui().workspace].flatMap((d) => filesContaining(d, TOKEN)), []);
      await wb.clearNotifications();
    });

    it('Add Credential: an HTTP header for a host, the host and header name checked as typed, the key in a password box', async () => {
      await wb.command('Hangar: Add Credential');
      await wb.pick('Workspace credentials');
      await wb.pick('HTTP header for hosts');
      await expectRefusal('https://api.example.com', 'without https://', 'api.example.com');
      await wb.answer('HTTPS requests from the sandbox get the header', 'api.example.com');
      await wb.pick('A header you name');
      await expectRefusal('X Api Key', 'cannot carry the secret', 'X-Api-Key');
      await wb.answer('The header the secret goes in', 'X-Api-Key');
      const box = wb.page.locator('.quick-input-widget', { hasText: '"X-Api-Key: <secret>"' });
      await box.waitFor({ timeout: 30_000 });
      assert.equal(await box.locator('.quick-input-box input').getAttribute('type'), 'password');
      await wb.answer('"X-Api-Key: <secret>"', API_KEY);
      await wb.notification('saved a credential for api.example.com (header X-Api-Key)');
      assert.deepEqual([ui().userData, ui().workspace].flatMap((d) => filesContaining(d, API_KEY)), []);
      await wb.clearNotifications();
    });

    it('Remove Credential: pick each, confirm, and they are gone', async () => {
      for (const [pick, what] of [[URL_, URL_], ['api.example.com', 'api.example.com (header X-Api-Key)']] as const) {
        await wb.command('Hangar: Remove Credential');
        await wb.pick(pick);
        const dialog = wb.page.locator('.monaco-dialog-box', { hasText: `Remove the credential for ${what}?` });
        await dialog.waitFor({ timeout: 30_000 });
        await dialog.getByRole('button', { name: 'Remove' }).click();
        await wb.notification('credential removed');
        await wb.clearNotifications();
      }
      await wb.command('Hangar: Remove Credential');
      await wb.notification('this workspace has no credentials');
      await wb.clearNotifications();
    });
  });
}

/**
 * Types a bad value into the open input box and waits for the box to say why it is refused, then the good one, which
 * brings the prompt back in place of the reason.
 */
async function expectRefusal(bad: string, reason: string, good: string): Promise<void> {
  const widget = ui().page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  await input.fill(bad);
  await widget.locator('.quick-input-message', { hasText: reason }).waitFor({ timeout: 30_000 });
  await input.fill(good);
  await widget.locator('.quick-input-message', { hasText: reason }).waitFor({ state: 'hidden', timeout: 30_000 });
}
