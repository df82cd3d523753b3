import assert from 'node:assert/strict';
import { ui } from './context';
import { CONTINUED, FIRST_DONE, GO_ON, MORE, REWIND_TASK, SECOND_DONE } from './rewind-scenario';
import { setKeyAndNewAgent, startAgentWithTask } from './hangar-steps';
import { Workbench } from './workbench-page';

// Rewind from the panel (issue #13 §2), through the UI only: the agent writes a first draft of NOTES.md, then, asked,
// a second; the rewind action beside the first write takes the session back there. The changed-files list (the review
// diff) and the sandbox copy the file opens show the first draft again, and the conversation goes on from that point:
// the model's next request holds nothing of the second draft (rewind-scenario.ts answers accordingly).

const AGENT = 'ui-rewinder';
const STEP_MS = 30_000;

export function rewindSuite(): void {
  describe('rewind from the panel', () => {
    let wb: Workbench;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it('takes the files back to the step and continues the conversation from there', async () => {
      await setKeyAndNewAgent(wb, AGENT);

      await startAgentWithTask(wb, AGENT, REWIND_TASK);
      const chat = await wb.webviewFrameWith('.header', REWIND_TASK);
      await chat.locator('.panel', { hasText: FIRST_DONE }).first().waitFor({ timeout: STEP_MS });
      const input = chat.locator('.composer-input');
      await input.fill(MORE);
      await input.press('Enter');
      await chat.locator('.panel', { hasText: SECOND_DONE }).first().waitFor({ timeout: STEP_MS });
      // Each turn's end note carries its checkpoint (and so the rewind action) once the session is idle.
      await chat.locator('.item.note button.rewind').nth(1).waitFor({ timeout: STEP_MS });
      const notes = chat.locator('.change-file', { hasText: 'NOTES.md' });
      await notes.filter({ hasText: '+3' }).waitFor({ timeout: STEP_MS });

      const firstWrite = chat.locator('.item.tool', { hasText: 'write' }).first();
      const rewind = firstWrite.locator('button.rewind');
      assert.match((await rewind.getAttribute('aria-label')) ?? '', /^Rewind to after this write call/);
      await wb.screenshot('ui-rewind-before', wb.page.locator('.part.sidebar'));
      await rewind.click();
      await chat.locator('.item.note', { hasText: 'Rewound' }).first().waitFor({ timeout: STEP_MS });
      await notes.filter({ hasText: '+1' }).waitFor({ timeout: STEP_MS });
      await notes.click();
      const editor = wb.page.locator('.part.editor .view-lines');
      await editor.filter({ hasText: 'first draft' }).first().waitFor({ timeout: STEP_MS });
      assert.doesNotMatch((await editor.first().textContent()) ?? '', /with more/, 'the sandbox copy holds the first draft only');

      await input.fill(GO_ON);
      await input.press('Enter');
      await chat.locator('.panel', { hasText: CONTINUED }).first().waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-rewind-continued', wb.page.locator('.part.sidebar'));
    });
  });
}
