import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from 'playwright-core';
import type { RecordedRequest } from '../../../src/model/scripted';
import { serveHangar, snapshotCli, stopServe, type Served } from '../../support/hangar-serve';
import { setContext, ui } from './context';
import { AWAY_DONE, AWAY_FILE, AWAY_NOTES, AWAY_TASK, AWAY_WRITING, windowClosed } from './detached-scenario';
import { extensionHosts, isRunning } from './processes';
import { startAgentWithTask } from './hangar-steps';
import { Workbench } from './workbench-page';

// A window on a detached runtime (issue #15 §1) that really goes away, through the UI only: a `hangar serve` child
// (the scripted model behind it) that the user settings' hangar.runtime.url names, its token typed into Hangar: Set
// Runtime Token, an agent started from the palette whose last answer the model holds. The browser page closes (code-
// server's extension host of that window exits), the model answers, the turn ends in the runtime alone; a new page on
// the same workspace shows the session finished in the tree, its whole conversation once in the chat, and its changed
// file to review. Runs last: it leaves the UI context on the new page and the settings as it found them.

const AGENT = 'ui-away';
const STEP_MS = 30_000;
/** The bundled suites live in out/e2e/ of the checkout. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const awayRequests = (): RecordedRequest[] => ui().model.requests.filter((r) => JSON.stringify(r.body.messages).includes(AWAY_TASK));

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface WireEvent {
  type: string;
  content?: { type: string; text?: string }[];
}

export function detachedSuite(): void {
  describe('a window on a detached runtime closes and reopens', function () {
    // Each step needs the one before it.
    this.bail(true);
    let wb: Workbench;
    let served: Served;
    let home: string;
    let settingsBefore: string;
    let sessionId: string;
    const settingsFile = () => path.join(ui().userData, 'User/settings.json');
    const api = async <T>(route: string): Promise<T> => {
      const res = await fetch(`${served.url}${route}`, { headers: { 'x-api-key': served.token } });
      assert.ok(res.ok, `GET ${route}: ${res.status}`);
      return (await res.json()) as T;
    };

    before(async () => {
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
      home = mkdtempSync(path.join(os.tmpdir(), 'hangar-ui-detached-'));
      served = await serveHangar(snapshotCli(ROOT, path.join(home, 'hangar')), path.join(home, 'home'), ui().model.url);
      settingsBefore = readFileSync(settingsFile(), 'utf8');
    });

    after(async () => {
      if (settingsBefore !== undefined) writeFileSync(settingsFile(), settingsBefore);
      await stopServe(served);
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('points the window at the hangar serve: hangar.runtime.url typed into the Settings editor, the token typed into Hangar: Set Runtime Token', async () => {
      await wb.setUserSetting('hangar.runtime.url', 'Runtime: Url', served.url);
      await wb.command('Hangar: Set Runtime Token');
      await wb.answer('Set Runtime Token', served.token);
      await wb.page.locator('.statusbar-item', { hasText: 'Hangar: detached runtime' }).waitFor({ timeout: STEP_MS });
      await wb.clearNotifications();
    });

    it('starts an agent from the palette; the chat and the tree show it running while the model holds its answer', async () => {
      await wb.command('Hangar: New Agent');
      await wb.answer('(1/5)', AGENT);
      for (const step of ['(2/5)', '(3/5)', '(4/5)', '(5/5)']) await wb.accept(step);
      await wb.notification(`created agent ${AGENT}`);
      await wb.clearNotifications();
      await startAgentWithTask(wb, AGENT, AWAY_TASK);
      const chat = await wb.webviewFrameWith('.header', AWAY_TASK);
      await chat.locator('.item.agent', { hasText: AWAY_WRITING }).waitFor({ timeout: STEP_MS });
      await chat.locator('.header .status[data-status="running"]').waitFor({ timeout: STEP_MS });
      await until('the held request (the turn still running)', () => awayRequests().length === 2);
      const sessions = await api<{ data: { id: string; title: string | null; status: string }[] }>('/v1/sessions');
      const session = sessions.data.find((s) => s.title === AWAY_TASK);
      assert.ok(session, `the session runs in the hangar serve: ${JSON.stringify(sessions.data)}`);
      assert.equal(session.status, 'running');
      sessionId = session.id;
      await wb.openHangarSidebar();
      await wb.treeRow(AWAY_TASK).locator('.codicon-sync').waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-detached-running', wb.page.locator('.part.sidebar'));
    });

    it("closes the window: its extension host exits, and the turn ends in the runtime alone, which keeps the session's log", async () => {
      const hosts = extensionHosts(ui().serverPid);
      assert.ok(hosts.length > 0, "code-server runs the window's extension host");
      await ui().page.close();
      await until('the extension host of the closed window to exit', () => hosts.every((pid) => !isRunning(pid)));
      windowClosed();
      await until('the session to finish in the runtime with no window open', async () => (await api<{ status: string }>(`/v1/sessions/${sessionId}`)).status === 'idle');
      assert.equal(extensionHosts(ui().serverPid).length, 0, 'no window came back meanwhile');
      const events = (await api<{ data: WireEvent[] }>(`/v1/sessions/${sessionId}/events?limit=1000`)).data;
      const texts = events.filter((e) => e.type === 'agent.message').map((e) => e.content?.map((c) => c.text).join(''));
      assert.deepEqual(texts, [AWAY_WRITING, AWAY_DONE], `the runtime's log: ${events.map((e) => e.type).join(', ')}`);
      assert.equal(events.filter((e) => e.type === 'user.message').length, 1);
      assert.equal(events.filter((e) => e.type === 'agent.tool_use').length, 1);
      assert.equal(awayRequests().length, 2, 'the model answered the held request; nothing asked again');
    });

    it('reopens the workspace in a new page: the tree shows the session finished with its change, the chat its whole conversation once', async () => {
      setContext({ ...ui(), page: await ui().reopen() });
      wb = new Workbench(ui().page, ui().screenshotDir);
      await wb.ready();
      await wb.openHangarSidebar();
      const row = wb.treeRow(AWAY_TASK);
      await row.filter({ hasText: '1 file to review' }).waitFor({ timeout: STEP_MS });
      assert.equal(await row.locator('.codicon-sync').count(), 0, 'the session no longer shows running');
      const chat: Frame = await wb.openFromTree(row, AWAY_TASK);
      await chat.locator('.header .status[data-status="idle"]').waitFor({ timeout: STEP_MS });
      await chat.locator('.item.agent', { hasText: AWAY_DONE }).waitFor({ timeout: STEP_MS });
      await chat.locator('.composer-input[placeholder^="Message the agent"]').waitFor({ timeout: STEP_MS });
      // Whatever the chat replays or streams after it opens lands within the next polls; then each event shows once.
      await wb.page.waitForTimeout(3_000);
      assert.equal(await chat.locator('.item.user').count(), 1, 'the task shows once');
      assert.deepEqual(await chat.locator('.item.agent').allInnerTexts().then((t) => t.map((s) => (s.includes(AWAY_DONE) ? 'done' : s.includes(AWAY_WRITING) ? 'writing' : s))), ['writing', 'done']);
      assert.equal(await chat.locator('.item.tool').count(), 1, 'the write shows once');
      assert.equal(awayRequests().length, 2, 'reopening asked the model nothing');
      await wb.screenshot('ui-detached-reopened', wb.page.locator('.part.sidebar'));
    });

    it("reviews the session's change from the tree: the file opens with its hunk, Accept writes it into the workspace", async () => {
      const row = wb.treeRow(AWAY_TASK);
      const file = wb.treeRow(AWAY_FILE);
      await wb.expandTo([row], file);
      await file.locator('.label-name').click();
      // A file the agent added opens as its text with the one hunk to accept or reject (no left side to diff against).
      await wb.page.locator('.tab.active', { hasText: path.basename(AWAY_FILE) }).waitFor({ timeout: STEP_MS });
      await wb.editorAction('Accept Hunk').click({ timeout: STEP_MS });
      const target = path.join(ui().workspace, AWAY_FILE);
      await until('the accepted file in the workspace', () => existsSync(target) && readFileSync(target, 'utf8') === AWAY_NOTES, STEP_MS);
      await wb.treeRow(AWAY_TASK).filter({ hasNotText: /to review/ }).waitFor({ timeout: STEP_MS });
      await wb.screenshot('ui-detached-reviewed', wb.page.locator('.part.editor'));
    });
  });
}
