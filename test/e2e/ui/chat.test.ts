import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { ui } from './context';
import { DONE, STEER, TASK } from './scenario';
import { Workbench } from './workbench-page';

// The side-bar chat next to a diff, through the UI only. Runs after the end-to-end suite, whose session it shows
// (sessions open in the side bar by default): the chat stays in the side bar while the diff fills the editor, and
// its composer takes a multi-line message with an @ mention picked from the repository's files. Its + button empties
// it for a new session, whose multi-line task starts an agent.

const MENTION = 'Thanks. Also double-check @src/math.js';
const AGENT = 'ui-agent';

export function chatSuite(): void {
  describe('side-bar chat beside the diff', () => {
    let wb: Workbench;
    let chat: Frame;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it('shows the session in the Chat view of the Hangar side bar while its diff is open in the editor', async () => {
      await wb.openHangarSidebar();
      const page = wb.page;
      const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^Chat/ }) });
      await pane.waitFor({ timeout: 30_000 });
      chat = await wb.webviewFrame('.composer-input');
      await chat.locator('.panel', { hasText: DONE }).first().waitFor({ timeout: 30_000 });
      await chat.locator('.header', { hasText: TASK }).first().waitFor({ timeout: 30_000 });
      if ((await page.locator('.monaco-diff-editor').count()) === 0) {
        await wb.expand(wb.treeRow(TASK));
        await wb.treeRow('src/math.js').locator('.label-name').click();
      }
      const diff = page.locator('.part.editor .monaco-diff-editor').first();
      await diff.waitFor({ timeout: 30_000 });
      const chatBox = await pane.boundingBox();
      const diffBox = await diff.boundingBox();
      assert.ok(chatBox && diffBox, 'both the chat and the diff are on screen');
      assert.ok(chatBox.x + chatBox.width <= diffBox.x + 1, `the chat (${JSON.stringify(chatBox)}) sits beside the diff (${JSON.stringify(diffBox)}), not under it`);
      assert.ok(chatBox.height > 150, `the chat has room (${chatBox.height}px high)`);
      await wb.screenshot('ui-chat-beside-diff');
    });

    it('sends a multi-line message with an @ mention picked from the file list', async () => {
      const input = chat.locator('.composer-input');
      await input.click();
      await input.pressSequentially('Thanks. Also double-check @mat');
      const option = chat.locator('.mention-option[aria-selected="true"]');
      await option.waitFor({ timeout: 30_000 });
      assert.equal(await option.getAttribute('title'), 'src/math.js');
      await wb.screenshot('ui-chat-mention', wb.page.locator('.part.sidebar'));
      await input.press('Enter');
      assert.equal(await input.inputValue(), `${MENTION} `);
      await input.press('Shift+Enter');
      await input.pressSequentially('Then stop.');
      assert.equal(await input.inputValue(), `${MENTION} \nThen stop.`);
      const before = ui().model.requests.length;
      await input.press('Enter');
      await chat.locator('.item', { hasText: 'Then stop.' }).first().waitFor({ timeout: 30_000 });
      const deadline = Date.now() + 30_000;
      while (ui().model.requests.length === before && Date.now() < deadline) await wb.page.waitForTimeout(200);
      const last = JSON.stringify(ui().model.requests.at(-1)?.body.messages.at(-1));
      assert.ok(last.includes('@src/math.js') && last.includes('\\nThen stop.'), `the model got both lines and the path: ${last}`);
      await wb.screenshot('ui-chat-sent', wb.page.locator('.part.sidebar'));
    });

    it('starts a new session from the empty composer with a multi-line task (New Session in Chat)', async () => {
      const page = wb.page;
      const header = page.locator('.pane-header', { hasText: /^Chat/ });
      await header.hover();
      await header.getByRole('button', { name: /^New Session in Chat/ }).click();
      const blank = await wb.webviewFrame('.empty-chat');
      const input = blank.locator('.composer-input');
      await input.waitFor({ timeout: 30_000 });
      assert.match((await input.getAttribute('placeholder')) ?? '', /new agent/);
      await input.click();
      await input.pressSequentially('Start over on src/math.js.');
      await input.press('Shift+Enter');
      await input.pressSequentially(STEER);
      await wb.screenshot('ui-chat-new-session', page.locator('.part.sidebar'));
      await input.press('Enter');
      await wb.pick(AGENT);
      // The chat reloads its page for the new session: the old, empty page goes away.
      await blank.waitForSelector('.empty-chat', { state: 'detached', timeout: 30_000 }).catch(() => undefined);
      const started = await wb.webviewFrame('.header:not([hidden])');
      await started.locator('.panel', { hasText: 'Start over on src/math.js.' }).first().waitFor({ timeout: 30_000 });
      // The scripted model asks for bash first (it asks: deny it), then, steered by the task's second line, writes.
      await started.locator('button[aria-label="Deny bash"]').click();
      const write = started.locator('button[aria-label="Allow write"]');
      const done = started.locator('.panel', { hasText: DONE }).first();
      await Promise.race([write.waitFor({ timeout: 30_000 }).then(() => write.click()), done.waitFor({ timeout: 30_000 })]);
      await done.waitFor({ timeout: 30_000 });
      const task = JSON.stringify(ui().model.requests.at(-1)?.body.messages[0]);
      assert.ok(task.includes(`Start over on src/math.js.\\n${STEER}`), `the model got the task's two lines: ${task}`);
      await wb.screenshot('ui-chat-new-session-done', page.locator('.part.sidebar'));
    });

    it('follows the session picked in the Sessions tree', async () => {
      await wb.selectTreeRow(wb.treeRow(TASK));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const frame = await wb.webviewFrame('.header:not([hidden])');
        const title = await frame.locator('.header .title').textContent().catch(() => null);
        if (title === TASK) break;
        assert.ok(Date.now() < deadline, `the chat still shows "${title}"`);
        await wb.page.waitForTimeout(200);
      }
    });
  });
}
