import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import { handleWebviewMessage, sessionRelativePath } from '../../../src/extension/panel/inbound';
import { PANEL_VIEW_TYPE } from '../../../src/extension/panel/panel-manager';
import { ensureKey, events, hangar, scriptedModel, startAgent, waitFor, waitForIdle, workspaceDir } from './support';

export function panelSuite(): void {
  describe('session panel (host side)', () => {
    let sessionId: string;
    let model: Awaited<ReturnType<typeof scriptedModel>>;

    before(async () => {
      const h = await hangar();
      // This suite is about editor tabs; sessions open in the side-bar chat by default (chat.test.ts).
      await vscode.workspace.getConfiguration('hangar').update('openSessionsIn', 'editor', vscode.ConfigurationTarget.Global);
      await ensureKey();
      model = await scriptedModel([reply.text('Hello from the scripted model.'), reply.text('Steered.')]);
      sessionId = await startAgent(h, 'Greet me');
      await waitForIdle(h, sessionId, 1);
    });
    after(async () => {
      await model.close();
      await vscode.workspace.getConfiguration('hangar').update('openSessionsIn', undefined, vscode.ConfigurationTarget.Global);
    });

    it('opens one webview panel per session, which asks for and gets the log', async function () {
      this.timeout(70_000);
      const h = await hangar();
      const panel = h.panels.get(sessionId);
      assert.ok(panel, 'Start Agent opened the panel');
      assert.equal(panel.panel.viewType, PANEL_VIEW_TYPE);
      assert.equal(panel.panel.title, 'Hangar: Greet me');
      assert.match(panel.panel.webview.html, /default-src 'none'; script-src 'nonce-[^']+'/);
      assert.ok(!/<script(?![^>]*nonce)/.test(panel.panel.webview.html), 'every script carries the nonce');
      assert.match(panel.panel.webview.html, /<link rel="stylesheet" href="[^"]+\/dist\/codicon\.css">/, 'the codicon font ships with the extension');
      // A busy headless workbench can take a while to start a webview; the host log records how long it took.
      await waitFor('the webview to send ready and get init', () => panel.posted > 0, 50_000);
      assert.equal(await vscode.commands.executeCommand('hangar.openSession', { sessionId }), sessionId);
      assert.equal(h.panels.get(sessionId), panel, 'opening again reveals the same panel');
    });

    it('restores panels after a reload through the serializer: by saved state, or by the title it had', async function () {
      this.timeout(70_000);
      const h = await hangar();
      const title = h.panels.get(sessionId)!.panel.title;
      h.panels.close(sessionId);
      const restored = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, vscode.ViewColumn.Active, {});
      await h.panels.deserializeWebviewPanel(restored, { sessionId, draft: '' });
      const sp = h.panels.get(sessionId);
      assert.equal(sp?.panel, restored);
      await waitFor('the restored webview to get its log', () => sp!.posted > 0, 50_000);

      // Deactivation keeps panels open and remembered; a webview that saved no state is matched by its title.
      h.panels.dispose();
      restored.dispose();
      const byTitle = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, vscode.ViewColumn.Active, {});
      await h.panels.deserializeWebviewPanel(byTitle, undefined);
      assert.equal(h.panels.get(sessionId)?.panel, byTitle);

      let disposed = false;
      const stranger = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Hangar: gone', vscode.ViewColumn.Active, {});
      stranger.onDidDispose(() => (disposed = true));
      await h.panels.deserializeWebviewPanel(stranger, { sessionId: 'sesn_doesnotexist' });
      assert.equal(disposed, true, 'a panel of a deleted session is closed, not left blank');
    });

    it('validates every webview message: malformed ones are refused with an error, nothing is sent', async () => {
      const h = await hangar();
      const deps = { host: h.host, log: h.log, openPath: async () => undefined };
      const before = (await events(h, sessionId)).length;
      for (const bad of [null, 'send', { type: 'nope' }, { type: 'send', text: 'no id' }]) {
        const answer = await handleWebviewMessage(bad, sessionId, deps, async () => undefined);
        assert.equal(answer.type, 'error', `accepted ${JSON.stringify(bad)}`);
      }
      for (const bad of [{ type: 'send', id: 'r-1', text: '   ' }, { type: 'send', id: 'r-2', text: 42 }, { type: 'confirm', id: 'r-3', tool_use_id: 'x', result: 'maybe' }, { type: 'openLink', id: 'r-4', href: 'javascript:alert(1)' }, { type: 'openFile', id: 'r-5', path: '../../etc/passwd' }]) {
        const answer = await handleWebviewMessage(bad, sessionId, deps, async () => undefined);
        assert.ok(answer.type === 'reply' && answer.id === bad.id && !answer.ok && answer.error.length > 0, `accepted ${JSON.stringify(bad)}`);
      }
      const refused = await handleWebviewMessage({ type: 'confirm', id: 'r-6', tool_use_id: 'sevt_nosuchcall', result: 'allow' }, sessionId, deps, async () => undefined);
      assert.ok(refused.type === 'reply' && !refused.ok, 'an answer to a call nobody asked about is refused, not acknowledged');
      assert.equal((await events(h, sessionId)).length, before);
    });

    it('a `send` message steers the session with a user message', async () => {
      const h = await hangar();
      const deps = { host: h.host, log: h.log, openPath: async () => undefined };
      assert.deepEqual(await handleWebviewMessage({ type: 'send', id: 'r-7', text: 'Now steer.' }, sessionId, deps, async () => undefined), { type: 'reply', id: 'r-7', ok: true });
      const all = await waitForIdle(h, sessionId, 2);
      const last = all.filter((e) => e.type === 'user.message').at(-1);
      assert.ok(last?.type === 'user.message' && last.content[0]?.type === 'text' && last.content[0].text === 'Now steer.');
    });

    it('a `fork` request makes a new session from that step through the runtime and opens its panel; an unknown event is refused in the reply', async () => {
      const h = await hangar();
      const deps = { host: h.host, log: h.log, openPath: async () => undefined };
      const firstIdle = (await events(h, sessionId)).find((e) => e.type === 'session.status_idle')!;
      const ids = async () => (await h.host.runtime.sessions.list({ limit: 1000 })).data.map((s) => s.id);
      const before = new Set(await ids());
      assert.deepEqual(await handleWebviewMessage({ type: 'fork', id: 'r-8', at: firstIdle.id }, sessionId, deps, async () => undefined), { type: 'reply', id: 'r-8', ok: true });
      const forked = (await ids()).filter((id) => !before.has(id));
      assert.equal(forked.length, 1, 'one new session');
      await waitFor("the fork's panel", () => h.panels.get(forked[0]!));
      assert.equal((await events(h, forked[0]!)).at(-1)?.id, firstIdle.id, 'the fork ends at the step it was made from');
      const refused = await handleWebviewMessage({ type: 'fork', id: 'r-9', at: 'sevt_nosuchevent' }, sessionId, deps, async () => undefined);
      assert.ok(refused.type === 'reply' && !refused.ok && refused.error.includes('sevt_nosuchevent'), JSON.stringify(refused));
      assert.equal((await ids()).length, before.size + 1, 'the refused fork made nothing');
    });

    it('maps sandbox and repository paths to repository-relative ones and refuses escapes', async () => {
      const h = await hangar();
      assert.equal(await sessionRelativePath(h.host, sessionId, 'src/math.js'), 'src/math.js');
      assert.equal(await sessionRelativePath(h.host, sessionId, '/workspace/src/math.js'), 'src/math.js');
      assert.equal(await sessionRelativePath(h.host, sessionId, `${workspaceDir()}/README.md`), 'README.md');
      assert.equal(await sessionRelativePath(h.host, sessionId, '/etc/passwd'), null);
      assert.equal(await sessionRelativePath(h.host, sessionId, 'a/../../x'), null);
    });
  });
}
