import type { Page } from 'playwright-core';
import type { ScriptedModel } from '../../../src/model/scripted';

// What the driver (test/e2e/run-ui-tests.mjs) hands the UI suites: the browser page on the running workbench, the
// workspace folder it opened, VS Code's user data dir, the scripted model behind `hangar.model.baseUrl`, where
// screenshots go, code-server's pid and a way to open the workspace again in a new page.

export interface UiContext {
  page: Page;
  workspace: string;
  /** VS Code's --user-data-dir (settings, state, extension storage). */
  userData: string;
  model: ScriptedModel;
  screenshotDir: string;
  /** The code-server process (its extension hosts, one per window, run under it). */
  serverPid: number;
  /** Opens the workspace in a new page of the browser: a new window (a suite that closed `page` puts this one in its place). */
  reopen(): Promise<Page>;
}

let current: UiContext | undefined;

export function setContext(ctx: UiContext): void {
  current = ctx;
}

export function ui(): UiContext {
  if (!current) throw new Error('the UI tests run from test/e2e/run-ui-tests.mjs, which sets their context');
  return current;
}
