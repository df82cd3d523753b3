import type { Frame } from 'playwright-core';
import { ui } from './context';
import { APPROVAL_TASK, APPROVED } from './scenario';
import { Workbench } from './workbench-page';

// A question asked while the session is out of sight (issue #12 §5), through the UI only: the agent's always_ask
// bash call comes while the side bar is closed, so VS Code raises a notification; its "Allow for this session" link
// answers it, the notification goes, the session finishes, and the chat lists bash as allowed for the session.

const API_KEY = 'sk-ant-ui-test-0123456789';
const AGENT = 'ui-approver';
const STEP_MS = 30_000;

export function approvalSuite(): void {
  describe('a question while the session is out of sight', () => {
    let wb: Workbench;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it('raises a notification whose "Allow for this session" link answers it; the chat then lists bash as allowed', async () => {
      await wb.command('Hangar: Set API Key');
      await wb.answer('Set API Key', API_KEY);
      await wb.notification('API key saved in secret storage');
      await wb.clearNotifications();
      await wb.command('Hangar: New Agent');
      await wb.answer('(1/5)', AGENT);
      for (const step of ['(2/5)', '(3/5)', '(4/5)', '(5/5)']) await wb.accept(step);
      await wb.notification(`created agent ${AGENT}`);
      await wb.clearNotifications();

      await wb.command('Hangar: Start Agent on This Repository');
      await wb.pick(AGENT);
      await wb.answer('What should the agent do?', APPROVAL_TASK);
      // The model takes a few seconds to ask (scenario.ts): the side bar with the chat is closed by then. The chat
      // has the keyboard after the start, and F1 opens the palette from the workbench, not from a webview.
      await wb.page.locator('.part.editor').click();
      await wb.command('View: Close Primary Side Bar');
      const toast = await wb.notification(/is waiting for you: allow bash/);
      await wb.screenshot('ui-approval-notification', toast);
      await toast.locator('a', { hasText: /^Allow for this session$/ }).click();
      await toast.waitFor({ state: 'detached', timeout: STEP_MS });

      await wb.openHangarSidebar();
      const chat = await frameWith(wb, APPROVED);
      await chat.locator('.allowances:not([hidden]) .allowance code', { hasText: /^bash$/ }).waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-allowed-for-session', wb.page.locator('.part.sidebar'));
    });
  });
}

/** The webview frame whose panel shows `text` (the chat may hold another session's page first). */
async function frameWith(wb: Workbench, text: string): Promise<Frame> {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    for (const f of wb.page.frames()) {
      if (f === wb.page.mainFrame()) continue;
      if ((await f.locator('.panel', { hasText: text }).count().catch(() => 0)) > 0) return f;
    }
    await wb.page.waitForTimeout(200);
  }
  throw new Error(`no webview shows "${text}"`);
}
