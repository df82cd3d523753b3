import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';

// The VS Code workbench as a user drives it: the command palette (F1), quick inputs, the activity bar, tree rows,
// notifications, webview frames, editor title buttons and CodeLenses. Only what a user sees and does: no command is run behind the UI.

const STEP_MS = 30_000;

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {}

  /** Waits for the workbench and for the Hangar activity bar entry (the extension is installed and its views exist). */
  async ready(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await this.hangarTab().waitFor({ timeout: 90_000 });
  }

  private hangarTab(): Locator {
    return this.page.locator('.activitybar [role="tab"]').filter({ has: this.page.locator('a.action-label[aria-label^="Hangar"]') }).first();
  }

  private quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * F1, the command's title, then its row in the palette. A palette that closes before its row is clicked (the
   * keyboard moved to a webview meanwhile: the side-bar chat takes it a moment after a session starts, and a quick
   * input closes when it loses focus) is opened again, until the step's time is up.
   */
  async command(title: string): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const input = await this.palette();
      const picked = await input
        .fill(`>${title}`, { timeout: 5_000 })
        .then(() => this.commandRow(title).click({ timeout: 5_000 }))
        .then(() => true, () => false);
      if (picked) return;
      if (Date.now() > deadline) throw new Error(`the command palette never offered "${title}" long enough to click it`);
    }
  }

  /** Keyboard only: F1, the command's title typed, Enter once the palette's focused row is that command. */
  async typeCommand(title: string): Promise<void> {
    await this.palette();
    await this.page.keyboard.type(title);
    await this.typePick(title);
  }

  /**
   * Presses F1 until the command palette shows; returns its input. A press opens nothing when the keyboard is in a
   * webview frame that does not hand it on (the side-bar chat, replacing its page for a session just started, takes
   * the focus a moment after the start), and a palette that did open closes again when that frame takes the focus.
   * So a press that shows nothing is followed by taking the keyboard out of any webview frame and pressing again.
   */
  private async palette(): Promise<Locator> {
    const input = this.quickInput().locator('.quick-input-box input');
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      await this.page.keyboard.press('F1');
      if (await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false)) return input;
      if (Date.now() > deadline) throw new Error('F1 never opened the command palette (the keyboard stayed where the workbench does not see it)');
      await this.page.evaluate(() => {
        const focused = document.activeElement;
        if (focused instanceof HTMLIFrameElement) focused.blur();
      });
    }
  }

  /** Keyboard only: Enter once the open quick pick's focused row shows `label` (type it first to narrow the list). */
  async typePick(label: string): Promise<void> {
    await this.quickInput().locator('.monaco-list-row.focused', { hasText: label }).waitFor({ timeout: STEP_MS });
    await this.page.keyboard.press('Enter');
  }

  /** Clicks the quick pick row whose label is `label` (typing it first narrows long lists). */
  async pick(label: string): Promise<void> {
    const input = this.quickInput().locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: STEP_MS });
    await input.fill(label);
    const row = this.quickInput().locator('.monaco-list-row').filter({ hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: STEP_MS });
    await row.click();
  }

  private commandRow(title: string): Locator {
    return this.quickInput().locator('.monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) }).first();
  }

  /** Waits for the quick input whose title or prompt mentions `expect`, types `value` and presses Enter. */
  async answer(expect: string | RegExp, value: string): Promise<void> {
    const widget = this.quickInput();
    await widget.filter({ hasText: expect }).waitFor({ state: 'visible', timeout: STEP_MS });
    const input = widget.locator('.quick-input-box input');
    await input.fill(value);
    await input.press('Enter');
  }

  /** Accepts a quick pick (single or many) as it stands: Enter. */
  async accept(expect: string | RegExp): Promise<void> {
    const widget = this.quickInput();
    await widget.filter({ hasText: expect }).waitFor({ state: 'visible', timeout: STEP_MS });
    await widget.locator('.quick-input-box input').press('Enter');
  }

  /**
   * Sets a string setting in the Settings editor (Preferences: Open User Settings), as a user types it: the setting's
   * id into the search box, the value into its field. `label` is how the editor titles it ("Runtime: Url").
   */
  async setUserSetting(id: string, label: string, value: string): Promise<void> {
    await this.command('Preferences: Open User Settings');
    const editor = this.page.locator('.settings-editor');
    await editor.locator('.search-container').click({ timeout: STEP_MS });
    await this.page.keyboard.type(id);
    const field = editor.locator('.setting-item-contents', { hasText: label }).locator('input').first();
    await field.fill(value, { timeout: STEP_MS });
    await field.press('Tab');
    await this.command('View: Close Editor');
  }

  async notification(text: string | RegExp): Promise<Locator> {
    const toast = this.page.locator('.notification-toast', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout: STEP_MS });
    return toast;
  }

  async clearNotifications(): Promise<void> {
    await this.command('Notifications: Clear All Notifications');
  }

  /** The webview frame that contains `selector` (webviews nest two iframes deep; their content is a separate document). */
  async webviewFrame(selector: string): Promise<Frame> {
    const deadline = Date.now() + STEP_MS;
    while (Date.now() < deadline) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        if (await f.$(selector).catch(() => null)) return f;
      }
      await this.page.waitForTimeout(200);
    }
    throw new Error(`no webview frame contains ${selector}`);
  }

  /**
   * The webview frame where `selector` matches an element showing `text`. Polled, as a webview that switches to
   * another session reloads its page: an older frame may still match `selector` until it detaches.
   */
  async webviewFrameWith(selector: string, text: string, timeoutMs = STEP_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame() || f.isDetached()) continue;
        if ((await f.locator(selector, { hasText: text }).count().catch(() => 0)) > 0) return f;
      }
      await this.page.waitForTimeout(200);
    }
    throw new Error(`no webview frame shows ${selector} with "${text}"`);
  }

  async openHangarSidebar(): Promise<void> {
    const tab = this.hangarTab();
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
    await this.page.locator('.pane-header', { hasText: 'Sessions' }).waitFor({ timeout: STEP_MS });
  }

  /** A row of the Sessions view: by its exact label (a string), or by a pattern over the row's whole text. */
  treeRow(label: string | RegExp): Locator {
    const rows = this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: 'Sessions' }) }).locator('.monaco-list-row');
    const match = typeof label === 'string' ? rows.filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) }) : rows.filter({ hasText: label });
    return match.first();
  }

  /**
   * Clicks a tree row's label until VS Code has selected the row (which runs its command). A refresh of the row's
   * parent (a sub-agent's status or cost changing) re-renders the rows, and a click landing while it does selects
   * nothing, so the command never runs.
   */
  async selectTreeRow(row: Locator): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      await row.locator('.label-name').click();
      if (await row.and(this.page.locator('.monaco-list-row.selected')).waitFor({ timeout: 3_000 }).then(() => true, () => false)) return;
      if (Date.now() > deadline) throw new Error('the tree row was never selected');
    }
  }

  /**
   * Opens a session's chat from its tree row: clicks the row until the chat shows `title`. A row re-rendered while the
   * click lands can be selected yet run nothing (VS Code: "Actual command not found, wanted to execute
   * hangar.openSession": the click carried the replaced item's command), so being selected is not enough.
   */
  async openFromTree(row: Locator, title: string): Promise<Frame> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      await row.locator('.label-name').click();
      const frame = await this.webviewFrameWith('.header .title', title, 3_000).catch(() => null);
      if (frame) return frame;
      if (Date.now() > deadline) throw new Error(`the tree row never opened the chat of "${title}"`);
    }
  }

  async expand(row: Locator): Promise<void> {
    await row.waitFor({ state: 'visible', timeout: STEP_MS });
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
  }

  /** A button in the active editor's title bar, by its label or tooltip (icon buttons: "Title (keybinding)"). */
  editorAction(name: string | RegExp): Locator {
    return this.page.locator('.part.editor .editor-actions').getByRole('button', { name }).first();
  }

  /** Waits for the status bar to show the active editor's cursor on `line` (1-based), at column 1. */
  async cursorAt(line: number): Promise<void> {
    await this.page.locator('.statusbar-item', { hasText: new RegExp(`^Ln ${line}, Col 1$`) }).waitFor({ timeout: STEP_MS });
  }

  /**
   * Expands `rows` (outermost first) until `child` shows. VS Code can drop an expand that races a refresh of an
   * ancestor (its log says "No tree item with id … found" and the row stays open but empty until the ancestor is
   * read again), so when `child` does not show, the rows are closed and opened again; `child` never showing fails.
   */
  async expandTo(rows: Locator[], child: Locator): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      for (const row of rows) await this.expand(row);
      if (await child.waitFor({ timeout: 3_000 }).then(() => true, () => false)) return;
      if (Date.now() > deadline) throw new Error('the expanded tree rows never showed the expected child row');
      for (const row of [...rows].reverse()) if ((await row.getAttribute('aria-expanded')) === 'true') await row.locator('.monaco-tl-twistie').click();
    }
  }

  codeLens(text: string | RegExp): Locator {
    return this.page.locator('.monaco-diff-editor .codelens-decoration a', { hasText: text }).first();
  }

  async screenshot(name: string, target?: Locator): Promise<string> {
    mkdirSync(this.screenshotDir, { recursive: true });
    const file = path.join(this.screenshotDir, `${name}.png`);
    if (target) await target.screenshot({ path: file });
    else await this.page.screenshot({ path: file });
    return file;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
