import type { Frame } from 'playwright-core';
import { ui } from './context';
import { APPROVAL_TASK, APPROVED, sessionOutOfSight } from './scenario';
import { setKeyAndNewAgent, startAgentWithTask } from './hangar-steps';
import { Workbench } from './workbench-page';

// A question asked while the session is out of sight (issue #12 §5), through the UI only: the agent's always_ask
// bash call comes while the side bar is closed, so VS Code raises a notification; its "Allow for this session" link
// answers it, the notification goes, the session finishes, and the chat lists bash as allowed for the session.

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
      await setKeyAndNewAgent(wb, AGENT);

      await startAgentWithTask(wb, AGENT, APPROVAL_TASK);
      // The chat shows the new session (revealing the side bar and taking the keyboard) a moment after the start:
      // only then is the side bar closed, and only once it is closed does the model ask (scenario.ts). F1 opens the
      // palette from the workbench, not from a webview.
      await wb.webviewFrameWith('.header', APPROVAL_TASK);
      await wb.page.locator('.part.editor').click();
      await wb.command('View: Close Primary Side Bar');
      await wb.page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: STEP_MS });
      sessionOutOfSight();
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
