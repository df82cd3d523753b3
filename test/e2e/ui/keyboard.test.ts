import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { ui } from './context';
import type { ContrastCheck } from './contrast';
import { KEYBOARD_DONE, KEYBOARD_EDITS, KEYBOARD_TASK } from './scenario';
import { contrastProblems, currentTheme, ICON, TEXT, THEMES, useTheme, type Theme } from './themes';
import { Workbench } from './workbench-page';

// Issue #12 §10 and "what must be shown": the whole flow with the keyboard alone (no click anywhere), and the key
// screens in every kind of theme. Keys only: the palette (F1), the Start Agent key, typing into its quick inputs, Tab
// and Enter in the chat (approve the waiting bash call, open a tool line), the review keys in the diff (accept, next
// hunk, reject) and Apply All from the palette. The flow runs in the profile's default theme; on the way, with a
// question waiting (after a rate-limited request whose card says it recovered) and again with the edits made and the
// review diff open, each screen is shot in Dark Modern, Light+, High Contrast and High Contrast Light, and the
// contrast of its text and icons measured.

const API_KEY = 'sk-ant-ui-test-0123456789';
const AGENT = 'ui-keyboard';
const STEP_MS = 30_000;
/** The workspace file once hunk 1 is accepted, hunk 3 rejected and hunk 2 applied with Apply All. */
const commented = (before: string) => before.replace(KEYBOARD_EDITS[0]!.old_string, KEYBOARD_EDITS[0]!.new_string).replace(KEYBOARD_EDITS[1]!.old_string, KEYBOARD_EDITS[1]!.new_string);

const PROMPT_CHECKS: ContrastCheck[] = [
  { name: 'agent text', selector: '.item.agent .markdown p', min: TEXT },
  { name: 'prompt title', selector: '.prompt .prompt-title', min: TEXT },
  { name: 'prompt command', selector: '.prompt .prompt-summary', min: TEXT },
  { name: 'Allow button', selector: '.prompt button.primary', min: TEXT },
  { name: 'Deny button', selector: '.prompt button.secondary', min: TEXT },
  { name: 'error card title', selector: '.item.error .who', min: TEXT },
  { name: 'error card text', selector: '.item.error .plain, .item.error .error-detail', min: TEXT },
  { name: 'error card icon', selector: '.item.error .item-head > .codicon', min: ICON },
  { name: 'header status', selector: '.header .status', min: TEXT },
  { name: 'composer text', selector: '.composer-input', min: TEXT },
];
const PANEL_CHECKS: ContrastCheck[] = [
  { name: 'tool line', selector: '.item.tool .tool-name', min: TEXT },
  { name: 'tool target', selector: '.item.tool .tool-target', min: TEXT },
  { name: 'tool result', selector: '.item.tool .tool-result', min: TEXT },
  { name: 'tool icon', selector: '.item.tool .tool-line > .codicon', min: ICON },
  { name: 'added diff line', selector: '.diff-add .diff-text', min: TEXT },
  { name: 'added diff sign', selector: '.diff-add .diff-sign', min: ICON },
  { name: 'diff line number', selector: '.diff-line .diff-no', min: ICON },
  { name: 'changed file', selector: '.changes .change-file .path', min: TEXT },
  { name: 'turn note', selector: '.item.note', min: TEXT },
];

export function keyboardSuite(): void {
  describe('the whole flow by keyboard alone, in dark, light and high-contrast themes', () => {
    let wb: Workbench;
    let chat: Frame;
    let original: string;
    let initial: Awaited<ReturnType<typeof currentTheme>>;

    const key = (k: string) => wb.page.keyboard.press(k);
    const type = (text: string) => wb.page.keyboard.type(text);
    const palette = (title: string) => wb.typeCommand(title);
    /** Waits for the quick input that mentions `expect`, types `value` (if any) and presses Enter. */
    const answer = async (expect: string | RegExp, value = '') => {
      await wb.page.locator('.quick-input-widget', { hasText: expect }).waitFor({ state: 'visible', timeout: STEP_MS });
      if (value) await type(value);
      await key('Enter');
    };
    /** Presses `k` (Tab or Shift+Tab) until the element focused in `frame` matches `selector`. */
    const tabTo = async (frame: Frame, selector: string, k: 'Tab' | 'Shift+Tab') => {
      for (let i = 0; i < 60; i++) {
        if (await frame.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
        await key(k);
      }
      throw new Error(`${k} never reached ${selector}`);
    };
    const shoot = (theme: Theme, screen: string, target: Locator) => wb.screenshot(`ui-theme-${theme.name}-${screen}`, target);

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
      original = readFileSync(path.join(ui().workspace, 'src/math.js'), 'utf8');
      initial = await currentTheme(wb);
    });
    after(() => useTheme(wb, initial));

    it('sets the key and makes an agent from the palette, typing only', async () => {
      await palette('Hangar: Set API Key');
      await answer('Set API Key', API_KEY);
      await wb.notification('API key saved in secret storage');
      await palette('Hangar: New Agent');
      await answer('(1/5)', AGENT);
      for (const step of ['(2/5)', '(3/5)', '(4/5)', '(5/5)']) await answer(step);
      await wb.notification(`created agent ${AGENT}`);
      await palette('Notifications: Clear All Notifications');
    });

    it('starts the agent with its key (Ctrl+Alt+A), picks it and types the task; the chat shows a recovered error card and the waiting bash call', async () => {
      await key('Control+Alt+A');
      await answer(/agent/i, AGENT);
      await answer('What should the agent do?', KEYBOARD_TASK);
      chat = await wb.webviewFrameWith('.header', KEYBOARD_TASK);
      await chat.locator('.prompt', { hasText: 'bash' }).waitFor({ timeout: STEP_MS });
      await chat.locator('.item.error.recovered').waitFor({ timeout: STEP_MS });
      await chat.locator('.header .status', { hasText: 'Waiting for you' }).waitFor({ timeout: STEP_MS });
    });

    it('shows the waiting question and the error card legibly in every theme (screenshots ui-theme-<theme>-prompt, -error-card)', async () => {
      const problems: string[] = [];
      for (const theme of THEMES) {
        await useTheme(wb, theme, chat);
        await chat.locator('.prompt button.primary').waitFor({ state: 'visible', timeout: STEP_MS });
        await shoot(theme, 'prompt', wb.page.locator('.part.sidebar'));
        await shoot(theme, 'error-card', chat.locator('.item.error'));
        problems.push(...(await contrastProblems(chat, theme, PROMPT_CHECKS)));
      }
      await useTheme(wb, initial, chat);
      assert.deepEqual(problems, [], 'text at 4.5:1 and icons at 3:1 at least');
    });

    it('approves the bash call with Tab and Enter from the composer, and opens a tool line with Enter', async () => {
      await palette('Hangar: Focus on Chat View');
      await chat.locator('.composer-input:focus').waitFor({ timeout: STEP_MS });
      await tabTo(chat, 'button[aria-label="Allow bash"]', 'Shift+Tab');
      await key('Enter');
      await chat.locator('.panel', { hasText: KEYBOARD_DONE }).first().waitFor({ timeout: 60_000 });
      assert.equal(await chat.locator('.prompt').count(), 0, 'no question is left open');
      await palette('Hangar: Focus on Chat View');
      await chat.locator('.composer-input:focus').waitFor({ timeout: STEP_MS });
      await tabTo(chat, '.item.tool .tool-line', 'Shift+Tab');
      const line = chat.locator('.item.tool .tool-line:focus');
      assert.equal(await line.getAttribute('aria-expanded'), 'false');
      await key('Enter');
      assert.equal(await line.getAttribute('aria-expanded'), 'true', 'Enter opens the focused tool line');
      await chat.locator('.item.tool .tool-details').first().waitFor({ state: 'visible', timeout: STEP_MS });
      // What a screen reader gets: every control named (icon-only ones by their aria-label), the events a log region.
      const unnamed = await chat.evaluate(() =>
        [...document.querySelectorAll('button, [role="button"], input, textarea')]
          .filter((el) => !(el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent?.trim())))
          .map((el) => el.outerHTML.slice(0, 120)),
      );
      assert.deepEqual(unnamed, [], 'controls without an accessible name');
      assert.equal(await chat.locator('.stream-list[role="log"]').count(), 1);
    });

    it('opens the review from the palette and shows the panel, the diff with its buttons and the tree counts legibly in every theme (ui-theme-<theme>-panel, -review)', async () => {
      await palette('Hangar: Review Changes');
      const pickSession = wb.page.locator('.quick-input-widget', { hasText: /which session/ });
      if (await pickSession.waitFor({ state: 'visible', timeout: 2_000 }).then(() => true, () => false)) await answer(/which session/, KEYBOARD_TASK);
      await wb.page.locator('.tab.active', { hasText: 'math.js (Hangar review)' }).waitFor({ timeout: STEP_MS });
      await wb.treeRow(new RegExp(`${KEYBOARD_TASK}.*1 file to review`)).waitFor({ timeout: STEP_MS });
      const problems: string[] = [];
      for (const theme of THEMES) {
        await useTheme(wb, theme, chat);
        for (const name of ['Accept Hunk', 'Reject Hunk', 'Next Hunk']) await wb.editorAction(name).waitFor({ state: 'visible', timeout: STEP_MS });
        await chat.locator('.diff-add').first().waitFor({ state: 'visible', timeout: STEP_MS });
        await shoot(theme, 'panel', wb.page.locator('.part.sidebar'));
        await shoot(theme, 'review', wb.page.locator('.part.editor'));
        problems.push(...(await contrastProblems(chat, theme, PANEL_CHECKS)));
      }
      await useTheme(wb, initial, chat);
      assert.deepEqual(problems, [], 'text at 4.5:1 and icons at 3:1 at least');
    });

    it('accepts hunk 1 (Ctrl+Alt+Y), goes to hunk 3 (Ctrl+Alt+]) and rejects it (Ctrl+Alt+N), then Apply All lands hunk 2', async () => {
      await palette('View: Focus Active Editor Group');
      await wb.cursorAt(1);
      await key('Control+Alt+Y');
      await wb.cursorAt(6);
      await key('Control+Alt+]');
      await wb.cursorAt(11);
      await key('Control+Alt+N');
      await palette('Hangar: Apply All Changes');
      const file = path.join(ui().workspace, 'src/math.js');
      const expected = commented(original);
      const deadline = Date.now() + 15_000;
      while (readFileSync(file, 'utf8') !== expected && Date.now() < deadline) await wb.page.waitForTimeout(200);
      assert.equal(readFileSync(file, 'utf8'), expected, 'hunks 1 and 2 in the workspace, hunk 3 left out');
      await wb.treeRow(KEYBOARD_TASK).filter({ hasNotText: /to review/ }).waitFor({ timeout: STEP_MS });
    });
  });
}
