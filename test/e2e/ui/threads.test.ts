import assert from 'node:assert/strict';
import { ui } from './context';
import { setKeyAndStartApi, startApiSession } from './hangar-steps';
import { LEAD_DONE, REVIEW_COMMAND, REVIEWER_DONE, THREAD_AGENTS, THREADS_TITLE, WRITER_DONE } from './threads-scenario';
import { Workbench } from './workbench-page';

// A multi-agent session in the side-bar chat (issue #10 §7): a coordinator started through the local API (VS Code
// has no roster editor) delegates to two sub-agents; the chat shows a tab per thread and the sub-agents' roll-up on
// the coordinator's tab; the reviewer's always_ask call is answered from the coordinator's tab; both finish and the
// reviewer's tab shows its own messages and call; the writer's node in the Sessions tree opens the writer's tab.

const STEP_MS = 30_000;

export function threadSuite(): void {
  describe('multi-agent threads in the chat', () => {
    let wb: Workbench;

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
    });

    it('shows thread tabs and the sub-agents roll-up, and a sub-agent prompt answered from the coordinator tab', async () => {
      const api = await setKeyAndStartApi(wb, ui().userData);

      const toolset = { type: 'agent_toolset_20260401' };
      const writer = await api('/v1/agents', { name: THREAD_AGENTS.writer, model: 'claude-sonnet-5-5', tools: [toolset] });
      const reviewer = await api('/v1/agents', { name: THREAD_AGENTS.reviewer, model: 'claude-sonnet-5-5', tools: [{ ...toolset, configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
      const lead = await api('/v1/agents', { name: THREAD_AGENTS.lead, model: 'claude-sonnet-5-5', tools: [toolset], multiagent: { type: 'coordinator', agents: [writer.id, reviewer.id] } });
      await startApiSession(api, lead.id, THREADS_TITLE, 'Write the notes and check the tree, in parallel.', ui().workspace);

      await wb.openHangarSidebar();
      const chat = await wb.openFromTree(wb.treeRow(THREADS_TITLE), THREADS_TITLE);
      // The reviewer's question, on the coordinator's tab, named; its tab rings; the roll-up says it waits.
      const prompt = chat.locator('.prompt', { hasText: `Sub-agent ${THREAD_AGENTS.reviewer} asks` });
      await prompt.waitFor({ timeout: STEP_MS });
      const tabs = chat.locator('[role="tab"]');
      assert.deepEqual(await tabs.allTextContents(), [`${THREAD_AGENTS.lead} (main)`, THREAD_AGENTS.writer, THREAD_AGENTS.reviewer]);
      await chat.locator(`[role="tab"][aria-label="${THREAD_AGENTS.reviewer}, waiting for you"]`).waitFor({ timeout: STEP_MS });
      await chat.locator('.rollup-row.rollup-waiting', { hasText: THREAD_AGENTS.reviewer }).waitFor({ timeout: STEP_MS });
      await chat.locator('.rollup-row', { hasText: THREAD_AGENTS.writer }).filter({ hasText: /Idle|Running/ }).waitFor({ timeout: STEP_MS });
      assert.match((await prompt.locator('.prompt-summary').textContent()) ?? '', new RegExp(REVIEW_COMMAND));
      await wb.screenshot('ui-threads-prompt', wb.page.locator('.part.sidebar'));

      // Allowed for the rest of the session for the reviewer: listed, named, on the coordinator's tab (revocable there).
      await prompt.getByRole('button', { name: 'Allow bash now and for the rest of this session', exact: true }).click();
      await chat.locator('.allowances:not([hidden]) .allowance', { hasText: `${THREAD_AGENTS.reviewer}:bash` }).waitFor({ timeout: STEP_MS });
      await chat.locator('.panel', { hasText: LEAD_DONE }).waitFor({ timeout: STEP_MS });
      await chat.locator('.rollup-row', { hasText: THREAD_AGENTS.reviewer }).filter({ hasText: 'Idle' }).waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-threads-rollup', wb.page.locator('.part.sidebar'));

      await chat.locator(`[role="tab"][data-lane]`, { hasText: THREAD_AGENTS.reviewer }).click();
      const stream = chat.locator('.stream');
      await stream.filter({ hasText: REVIEWER_DONE }).waitFor({ timeout: STEP_MS });
      assert.doesNotMatch((await stream.textContent()) ?? '', new RegExp(`${WRITER_DONE}|${LEAD_DONE}`), "the reviewer's tab holds its own thread only");
      await chat.locator('.item.tool', { hasText: 'bash' }).first().waitFor({ timeout: STEP_MS });
      // Its own tab lists its allowance without naming it.
      await chat.locator('.allowances-label', { hasText: `Allowed for sub-agent ${THREAD_AGENTS.reviewer} this session:` }).waitFor({ timeout: STEP_MS });
      assert.deepEqual(await chat.locator('.allowance code').allTextContents(), ['bash']);
      await wb.screenshot('ui-thread-tab', wb.page.locator('.part.sidebar'));

      // The Sessions tree lists the sub-agents under the session; opening one shows its tab.
      const writerRow = wb.treeRow(THREAD_AGENTS.writer);
      await wb.expandTo([wb.treeRow(THREADS_TITLE)], writerRow);
      assert.match((await writerRow.textContent()) ?? '', /sub-agent · idle · \$\d/);
      await wb.selectTreeRow(writerRow);
      await chat.locator('[role="tab"][aria-selected="true"]', { hasText: THREAD_AGENTS.writer }).waitFor({ timeout: STEP_MS });
      await stream.filter({ hasText: WRITER_DONE }).waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-thread-from-tree', wb.page.locator('.part.sidebar'));
    });
  });
}
