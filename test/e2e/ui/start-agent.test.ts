import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { ui } from './context';
import { startAgentWithTask } from './hangar-steps';
import { ACK, AFTER_REVIEW, DONE, FIRST_WORDS, STEER, TASK, steered } from './scenario';
import { Workbench } from './workbench-page';

// The whole Hangar loop in a real VS Code in Chromium, through the UI only: set the API key from the palette, make
// an agent whose bash asks first, start it on the workspace, watch the panel, approve bash, steer the run, open the
// changed file's diff from the sidebar, accept one hunk and reject the other with the editor title buttons (default
// settings: no CodeLens in diff editors), and check the file on disk.

const API_KEY = 'sk-ant-ui-test-0123456789';
const AGENT = 'ui-agent';

async function waitForText(frame: Frame, text: string): Promise<void> {
  await frame.locator('.panel', { hasText: text }).first().waitFor({ timeout: 60_000 });
}

export function startAgentSuite(): void {
  describe('Hangar in VS Code, end to end through the UI', () => {
    let wb: Workbench;
    let panel: Frame;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it('sets the API key from the palette (Hangar: Set API Key, typed into the password box)', async () => {
      await wb.command('Hangar: Set API Key');
      await wb.answer('Set API Key', API_KEY);
      await wb.notification('API key saved in secret storage');
      await wb.clearNotifications();
    });

    it('creates an agent with the New Agent wizard; bash asks for approval (the wizard\'s default)', async () => {
      await wb.command('Hangar: New Agent');
      await wb.answer('(1/5)', AGENT);
      await wb.accept('(2/5)');
      await wb.accept('(3/5)');
      await wb.accept('(4/5)');
      await wb.accept('(5/5)');
      await wb.notification(`created agent ${AGENT}`);
      await wb.clearNotifications();
    });

    it('starts the agent from the palette (pick it, type the task) and the panel streams its events', async () => {
      await startAgentWithTask(wb, AGENT, TASK);
      panel = await wb.webviewFrame('.composer-input');
      await waitForText(panel, TASK);
      await waitForText(panel, FIRST_WORDS);
      await panel.locator('.prompt', { hasText: 'bash' }).waitFor({ timeout: 30_000 });
      const first = ui().model.requests[0];
      const sent = first?.headers['x-api-key'] ?? first?.headers.authorization?.replace(/^Bearer /, '');
      assert.equal(sent, API_KEY, 'the model got the key typed into the palette');
    });

    it('approves the always_ask bash call in the panel, and steers the running agent from its input box', async () => {
      await panel.locator('button[aria-label="Allow bash"]').click();
      // While it runs, the call shows the command's live output; its result replaces it.
      await panel.locator('.item.tool pre.tool-live', { hasText: 'checking step 1 of 3' }).waitFor({ timeout: 30_000 });
      await wb.screenshot('ui-live-output', wb.page.locator('.part.sidebar'));
      await panel.locator('pre.tool-live').waitFor({ state: 'detached', timeout: 30_000 });
      const composer = panel.locator('.composer-input');
      await panel.locator('.composer-input[placeholder^="Steer the agent"]').waitFor({ timeout: 30_000 });
      await composer.fill(STEER);
      await composer.press('Enter');
      await waitForText(panel, ACK);
      await waitForText(panel, DONE);
      await panel.locator('.composer-input[placeholder^="Message the agent"]').waitFor({ timeout: 30_000 });
      assert.equal(await panel.locator('.prompt').count(), 0, 'no question is left open');
      const requests = ui().model.requests;
      const at = requests.findIndex(steered);
      assert.ok(at > 0, 'the steering message reached the model');
      assert.ok(
        requests.slice(0, at).every((r) => r.reply?.kind === 'message' && r.reply.blocks.some((b) => b.type === 'tool_use')),
        'the steering message arrived while the turn was still running (no reply before it ended the turn)',
      );
      await wb.screenshot('ui-panel', wb.page.locator('.part.sidebar'));
    });

    it('lists the changed file under the session in the sidebar, which counts what waits for review, and opens its diff from there', async () => {
      await wb.openHangarSidebar();
      const session = wb.treeRow(TASK);
      await wb.treeRow(/1 file to review/).waitFor({ timeout: 30_000 });
      await session.hover();
      await session.getByRole('button', { name: 'Apply All Changes' }).waitFor({ timeout: 30_000 });
      await session.getByRole('button', { name: 'Discard Changes' }).waitFor({ timeout: 30_000 });
      const file = wb.treeRow('src/math.js');
      await wb.expandTo([session, file], wb.treeRow(/Hunk 2\/2/));
      await wb.screenshot('ui-sidebar', wb.page.locator('.part.sidebar'));
      await file.locator('.label-name').click();
      await wb.page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
      await wb.page.locator('.tab.active', { hasText: 'math.js (Hangar review)' }).waitFor({ timeout: 30_000 });
      for (const name of ['Accept Hunk', 'Reject Hunk', 'Next Hunk']) await wb.editorAction(name).waitFor({ timeout: 30_000 });
      assert.equal(await wb.page.locator('.monaco-diff-editor .codelens-decoration').count(), 0, 'default settings: VS Code shows no CodeLens in diff editors');
      await wb.screenshot('ui-diff', wb.page.locator('.part.editor'));
    });

    it('with default settings, moves between the hunks, accepts hunk 1 and rejects hunk 2 with the editor title buttons; the file on disk has only hunk 1', async () => {
      // The diff opens on hunk 1; Next goes to hunk 2, then around to hunk 1 again; Accept moves on to hunk 2.
      await wb.editorAction('Next Hunk').click();
      await wb.cursorAt(10);
      await wb.editorAction('Next Hunk').click();
      await wb.cursorAt(2);
      await wb.editorAction('Accept Hunk').click();
      await wb.treeRow(/Hunk 1\/2.*accepted/).waitFor({ timeout: 30_000 });
      await wb.editorAction('Reject Hunk').click();
      await wb.treeRow(/Hunk 2\/2.*rejected/).waitFor({ timeout: 30_000 });
      await wb.editorAction('Accept Hunk').waitFor({ state: 'detached', timeout: 30_000 });
      const file = path.join(ui().workspace, 'src/math.js');
      const deadline = Date.now() + 15_000;
      while (readFileSync(file, 'utf8') !== AFTER_REVIEW && Date.now() < deadline) await wb.page.waitForTimeout(200);
      assert.equal(readFileSync(file, 'utf8'), AFTER_REVIEW);
      await wb.treeRow(TASK).filter({ hasNotText: /to review/ }).waitFor({ timeout: 30_000 });
      await wb.screenshot('ui-diff-reviewed', wb.page.locator('.part.editor'));
    });
  });
}
