import type { Frame } from 'playwright-core';
import { contrastFailures, measureContrast, type ContrastCheck } from './contrast';
import type { Workbench } from './workbench-page';

// VS Code's colour themes for the UI tests' theme pass: Dark Modern, Light+ and both high-contrast themes, picked
// as a user does (Ctrl+K Ctrl+T for Preferences: Color Theme, the theme's name typed, Enter). The profile's default theme is whatever
// VS Code starts with (in a browser it follows the browser's colour scheme: Light Modern here).

export interface Theme {
  /** In screenshot names. */
  name: string;
  /** Its label in the theme picker. */
  label: string;
  /** The class VS Code puts on the workbench for the theme's kind. */
  workbench: 'vs' | 'vs-dark' | 'hc-black' | 'hc-light';
  /** The theme kind a webview's body says (data-vscode-theme-kind). */
  webview: string;
}

export const THEMES: Theme[] = [
  { name: 'dark', label: 'Dark Modern', workbench: 'vs-dark', webview: 'vscode-dark' },
  { name: 'light', label: 'Light+', workbench: 'vs', webview: 'vscode-light' },
  { name: 'hc-dark', label: 'Dark High Contrast', workbench: 'hc-black', webview: 'vscode-high-contrast' },
  { name: 'hc-light', label: 'Light High Contrast', workbench: 'hc-light', webview: 'vscode-high-contrast-light' },
];

/** Switches VS Code to `theme` and waits until the workbench and `frame` (a webview) show it. */
export async function useTheme(wb: Workbench, theme: Pick<Theme, 'label' | 'workbench'> & { webview?: string }, frame?: Frame): Promise<void> {
  await wb.page.keyboard.press('Control+K');
  await wb.page.keyboard.press('Control+T');
  await wb.page.locator('.quick-input-widget', { hasText: /color theme/i }).waitFor({ state: 'visible', timeout: 30_000 });
  await wb.page.keyboard.type(theme.label);
  await wb.typePick(theme.label);
  await wb.page.locator(`.monaco-workbench.${theme.workbench}`).waitFor({ state: 'attached', timeout: 30_000 });
  if (frame && theme.webview) await frame.locator(`body[data-vscode-theme-kind="${theme.webview}"]`).waitFor({ state: 'attached', timeout: 30_000 });
  // The theme's colours reach the webview's CSS variables with its kind; a moment for the repaint.
  await wb.page.waitForTimeout(300);
}

/** The theme the profile started with, to go back to after a theme pass. */
export async function currentTheme(wb: Workbench): Promise<Pick<Theme, 'label' | 'workbench'>> {
  const cls = ((await wb.page.locator('.monaco-workbench').first().getAttribute('class')) ?? '').split(/\s+/);
  const kind = (['hc-light', 'hc-black', 'vs-dark', 'vs'] as const).find((k) => cls.includes(k));
  if (!kind) throw new Error(`the workbench names no theme kind: ${cls.join(' ')}`);
  // The defaults VS Code starts with for a light or dark colour scheme.
  return { workbench: kind, label: kind === 'vs' ? 'Light Modern' : kind === 'vs-dark' ? 'Dark Modern' : THEMES.find((t) => t.workbench === kind)!.label };
}

/** Body text needs 4.5:1, icons and large text 3:1 (WCAG 2.x AA). */
export const TEXT = 4.5;
export const ICON = 3;

/** The checks in `frame` below their minimum under `theme`, worded for an assertion message. */
export async function contrastProblems(frame: Frame, theme: Theme, checks: readonly ContrastCheck[]): Promise<string[]> {
  return contrastFailures(await measureContrast(frame, checks)).map((f) => `${theme.name}: ${f}`);
}
