import { ui } from './context';
import { OUTCOME_REPLY, OUTCOME_RUBRIC, OUTCOME_TASK, OUTCOME_VERDICT } from './outcome-scenario';
import { setKeyAndNewAgent } from './hangar-steps';
import { Workbench } from './workbench-page';

// Start Agent with a rubric (issue #11 §1), through the UI only: the task box's rubric button takes the typed task to
// the rubric step, a rubric written there makes the task an outcome, and the chat shows the outcome and the grader's
// verdict on it.

const AGENT = 'ui-graded';
const STEP_MS = 30_000;

export function outcomeSuite(): void {
  describe('start an agent with a rubric', () => {
    let wb: Workbench;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it("takes the task to the rubric step with the task box's button; the chat shows the outcome and the evaluation", async () => {
      await setKeyAndNewAgent(wb, AGENT);

      await wb.command('Hangar: Start Agent on This Repository');
      await wb.pick(AGENT);
      const box = wb.page.locator('.quick-input-widget', { hasText: 'What should the agent do?' });
      await box.waitFor({ state: 'visible', timeout: STEP_MS });
      await box.locator('.quick-input-box input').fill(OUTCOME_TASK);
      await box.locator('.action-label.codicon-checklist').click();
      await wb.pick('Write a rubric');
      await wb.answer('The criteria the work must meet', OUTCOME_RUBRIC);
      const chat = await wb.webviewFrameWith('.header', OUTCOME_TASK);
      await chat.locator('.panel', { hasText: `Outcome: ${OUTCOME_TASK}` }).first().waitFor({ timeout: STEP_MS });
      await chat.locator('.panel', { hasText: OUTCOME_REPLY }).first().waitFor({ timeout: STEP_MS });
      const evaluation = chat.locator('.item.note.has-detail', { hasText: 'Evaluation 1: satisfied' }).first();
      await evaluation.waitFor({ timeout: STEP_MS });
      await evaluation.locator('.note-detail', { hasText: OUTCOME_VERDICT }).waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-outcome-evaluation', wb.page.locator('.part.sidebar'));
    });
  });
}
