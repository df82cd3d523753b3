import assert from 'node:assert/strict';
import { ui } from './context';
import { setKeyAndStartApi, startApiSession } from './hangar-steps';
import {
  GO_ON_ROUND,
  LEAD_CONTINUED,
  LEAD_FIRST,
  LEAD_SECOND,
  MORE_ROUND,
  THREAD_REWIND_AGENTS,
  THREAD_REWIND_TASK,
  THREAD_REWIND_TITLE,
  WRITER_FIRST,
  WRITER_SECOND,
} from './thread-rewind-scenario';
import { Workbench } from './workbench-page';

// Rewind of a multi-agent session from the panel (issue #13 §2): a coordinator (started through the local API, as VS
// Code has no roster editor) has a writer sub-agent draft PART.md and then writes PLAN.md; asked for more, both
// redraft. The rewind action beside the coordinator's first write takes the shared sandbox back there: the
// changed-files list shows both first drafts again, the writer's tab marks the rewind too (its redraft is undone), and
// the coordinator's conversation goes on from that point (thread-rewind-scenario.ts answers from its context).

const STEP_MS = 30_000;
const { lead: LEAD, writer: WRITER } = THREAD_REWIND_AGENTS;

export function threadRewindSuite(): void {
  describe('rewind of a multi-agent session from the panel', () => {
    let wb: Workbench;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it("takes the shared files back to the coordinator's step; the sub-agent's tab follows and the conversation continues", async () => {
      const api = await setKeyAndStartApi(wb, ui().userData);
      const toolset = { type: 'agent_toolset_20260401' };
      const writer = await api('/v1/agents', { name: WRITER, model: 'claude-sonnet-5-5', tools: [toolset] });
      const lead = await api('/v1/agents', { name: LEAD, model: 'claude-sonnet-5-5', tools: [toolset], multiagent: { type: 'coordinator', agents: [writer.id] } });
      await startApiSession(api, lead.id, THREAD_REWIND_TITLE, THREAD_REWIND_TASK, ui().workspace);

      await wb.openHangarSidebar();
      const chat = await wb.openFromTree(wb.treeRow(THREAD_REWIND_TITLE), THREAD_REWIND_TITLE);
      const stream = chat.locator('.stream');
      await chat.locator('.panel', { hasText: LEAD_FIRST }).first().waitFor({ timeout: STEP_MS });
      const input = chat.locator('.composer-input');
      await input.fill(MORE_ROUND);
      await input.press('Enter');
      await chat.locator('.panel', { hasText: LEAD_SECOND }).first().waitFor({ timeout: STEP_MS });
      const plan = chat.locator('.change-file', { hasText: 'PLAN.md' });
      const part = chat.locator('.change-file', { hasText: 'PART.md' });
      await plan.filter({ hasText: '+3' }).waitFor({ timeout: STEP_MS });
      await part.filter({ hasText: '+3' }).waitFor({ timeout: STEP_MS });

      // The writer's tab holds both of its drafts, each with its own rewind action.
      const tab = (name: string) => chat.locator('[role="tab"][data-lane]', { hasText: name });
      await tab(WRITER).click();
      await stream.filter({ hasText: WRITER_SECOND }).waitFor({ timeout: STEP_MS });
      assert.equal(await chat.locator('.item.tool[aria-label="Tool call write"]').locator('button.rewind').count(), 2, "a rewind action beside each of the writer's writes");
      await tab(LEAD).click();

      const firstWrite = chat.locator('.item.tool[aria-label="Tool call write"]').first();
      const rewind = firstWrite.locator('button.rewind');
      assert.match((await rewind.getAttribute('aria-label')) ?? '', /^Rewind to after this write call/);
      await wb.screenshot('ui-thread-rewind-before', wb.page.locator('.part.sidebar'));
      await rewind.click();
      await chat.locator('.item.note', { hasText: 'Rewound' }).first().waitFor({ timeout: STEP_MS });
      // Both threads' files are back: the coordinator's first plan and the writer's first draft.
      await plan.filter({ hasText: '+1' }).waitFor({ timeout: STEP_MS });
      await part.filter({ hasText: '+1' }).waitFor({ timeout: STEP_MS });
      await part.click();
      const editor = wb.page.locator('.part.editor .view-lines');
      await editor.filter({ hasText: 'part one' }).first().waitFor({ timeout: STEP_MS });
      assert.doesNotMatch((await editor.first().textContent()) ?? '', /with more/, "the sandbox copy holds the writer's first draft only");

      // The writer's tab follows: the rewind shows there after its redraft, which it undid.
      await tab(WRITER).click();
      await stream.locator('.item.note', { hasText: 'Rewound' }).waitFor({ timeout: STEP_MS });
      const writerText = (await stream.textContent()) ?? '';
      assert.ok(writerText.indexOf('Rewound') > writerText.indexOf(WRITER_SECOND), "the rewind note comes after the writer's redraft");
      assert.ok(writerText.includes(WRITER_FIRST));
      await wb.screenshot('ui-thread-rewind-writer', wb.page.locator('.part.sidebar'));
      await tab(LEAD).click();

      await input.fill(GO_ON_ROUND);
      await input.press('Enter');
      await chat.locator('.panel', { hasText: LEAD_CONTINUED }).first().waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-thread-rewind-continued', wb.page.locator('.part.sidebar'));
    });
  });
}
