import type { Page } from 'playwright-core';
import type { ScriptedModel } from '../../../src/model/scripted';

// What the driver (test/e2e/run-ui-tests.mjs) hands the UI suites: the browser page on the running workbench, the
// workspace folder it opened, VS Code's user data dir, the scripted model behind `hangar.model.baseUrl`, and where
// screenshots go.

export interface UiContext {
  page: Page;
  workspace: string;
  /** VS Code's --user-data-dir (settings, state, extension storage). */
  userData: string;
  model: ScriptedModel;
  screenshotDir: string;
}

let current: UiContext | undefined;

export function setContext(ctx: UiContext): void {
  current = ctx;
}

export function ui(): UiContext {
  if (!current) throw new Error('the UI tests run from test/e2e/run-ui-tests.mjs, which sets their context');
  return current;
}
