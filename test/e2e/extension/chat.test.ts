import assert from 'node:assert/strict';
import path from 'node:path';
import * as vscode from 'vscode';
import type { HostMessage } from '../../../src/protocol/panel';
import { reply } from '../../../src/model/scripted';
import { handleWebviewMessage } from '../../../src/extension/panel/inbound';
import { ensureKey, events, hangar, scriptedModel, startAgent, waitFor, waitForIdle, workspaceDir } from './support';

// The side-bar chat (a WebviewView in the Hangar container): where sessions open by default, following the session
// opened last, with the same page and protocol as the editor tab.

export function chatSuite(): void {
  describe('side-bar chat', () => {
    let model: Awaited<ReturnType<typeof scriptedModel>>;
    let first: string;
    let second: string;
    /** What the host posted to the chat's webview since `spy()` (the view keeps its webview across sessions). */
    const seen: HostMessage[] = [];

    async function spy(): Promise<void> {
      const h = await hangar();
      const webview = await waitFor('the chat view to resolve', () => h.panels.chat.current?.panel.webview, 50_000);
      const post = webview.postMessage.bind(webview);
      webview.postMessage = (m: HostMessage) => {
        seen.push(m);
        return post(m);
      };
    }

    before(async () => {
      const h = await hangar();
      // An active editor tab (left by other suites) would be "the session the user looks at" instead of the chat.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await ensureKey();
      model = await scriptedModel([reply.text('First session here.'), reply.text('Second session here.'), reply.text('Steered from the chat.'), reply.text('A slow answer.', { delay_ms: 20_000 })]);
      first = await startAgent(h, 'Chat one');
      await waitForIdle(h, first, 1);
    });
    after(() => model.close());

    it('opens a started session in the side-bar chat by default (no editor tab), which loads its log', async function () {
      this.timeout(70_000);
      const h = await hangar();
      assert.equal(h.panels.get(first), undefined, 'no editor tab for the new session');
      const chat = await waitFor('the chat to show the session', () => h.panels.chat.current?.sessionId === first && h.panels.chat.current, 50_000);
      assert.equal(chat.panel.viewType, 'hangar.chat');
      assert.match(chat.panel.webview.html, /default-src 'none'; script-src 'nonce-[^']+'/);
      await waitFor('the chat webview to send ready and get init', () => chat.posted > 0, 50_000);
      assert.equal(chat.panel.description, 'Chat one', 'the view names the session beside its title');
      assert.equal(h.panels.activeSessionId(), first, 'commands without a session act on the one the chat shows');
    });

    it('follows the session opened from the tree: its log (init), the repository files for @, then steering it', async function () {
      this.timeout(70_000);
      const h = await hangar();
      await spy();
      second = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId: (await h.host.runtime.sessions.retrieve(first)).agent.id, task: 'Chat two', open: 'none' });
      await waitForIdle(h, second, 1);
      // The tree's rows run Open Session with their node.
      await vscode.commands.executeCommand('hangar.openSession', { sessionId: second });
      const init = await waitFor('init of the second session', () => seen.find((m): m is Extract<HostMessage, { type: 'init' }> => m.type === 'init'), 50_000);
      assert.equal(init.session.id, second);
      const said = init.events.flatMap((e) => (e.type === 'agent.message' ? e.content.map((c) => ('text' in c ? c.text : '')) : []));
      assert.deepEqual(said, ['Second session here.']);
      assert.equal(h.panels.chat.sessionId, second);
      const files = await waitFor('the files message', () => seen.find((m): m is Extract<HostMessage, { type: 'files' }> => m.type === 'files'));
      assert.ok(files.paths.includes('src/math.js'), `files for @ mentions: ${files.paths.join(', ')}`);
      assert.ok(!files.paths.some((p) => p.startsWith('.git/')));

      // What the chat's composer sends reaches the session it shows.
      const deps = { host: h.host, log: h.log, openPath: async () => undefined };
      assert.deepEqual(await handleWebviewMessage({ type: 'send', id: 'c-1', text: 'Steer from the side bar.' }, h.panels.chat.sessionId!, deps, async () => undefined), { type: 'reply', id: 'c-1', ok: true });
      const all = await waitForIdle(h, second, 2);
      const last = all.filter((e) => e.type === 'user.message').at(-1);
      assert.ok(last?.type === 'user.message' && last.content[0]?.type === 'text' && last.content[0].text === 'Steer from the side bar.');
      assert.equal((await events(h, first)).filter((e) => e.type === 'user.message').length, 1, 'the first session got nothing');
    });

    it('adds the editor selection, with its file and lines, to the chat composer', async function () {
      this.timeout(30_000);
      const h = await hangar();
      const doc = await vscode.workspace.openTextDocument(path.join(workspaceDir(), 'src/math.js'));
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 1, 0);
      seen.length = 0;
      assert.equal(await vscode.commands.executeCommand('hangar.addSelectionToChat'), true);
      const insert = await waitFor('the insert message', () => seen.find((m): m is Extract<HostMessage, { type: 'insert' }> => m.type === 'insert'));
      assert.equal(insert.text, `@src/math.js (line 1):\n\`\`\`javascript\n${doc.lineAt(0).text}\n\`\`\`\n`);
      assert.equal(h.panels.chat.sessionId, second, 'the selection went to the session the chat shows');
    });

    it('Interrupt without a session (its key) stops the running session the chat shows', async function () {
      this.timeout(60_000);
      const h = await hangar();
      await h.host.runtime.sessions.send(second, [{ type: 'user.message', content: [{ type: 'text', text: 'Take your time.' }] }]);
      await waitFor('the second session to run', async () => (await h.sessions.view(second)).status === 'running');
      assert.equal(await vscode.commands.executeCommand('hangar.interrupt'), second);
      const all = await waitForIdle(h, second, 3);
      assert.equal(all.filter((e) => e.type === 'user.interrupt').length, 1);
    });

    it('shows a session in an editor tab on demand, keeps the chat, and empties the chat for a new session', async function () {
      this.timeout(70_000);
      const h = await hangar();
      assert.equal(await vscode.commands.executeCommand('hangar.openSessionInEditor', { sessionId: first }), first);
      const tab = h.panels.get(first);
      assert.ok(tab, 'an editor tab for the first session');
      await waitFor('the tab to load its log', () => tab.posted > 0, 50_000);
      assert.equal(h.panels.chat.sessionId, second, 'the chat still shows the second session');
      h.panels.close(first);

      seen.length = 0;
      await vscode.commands.executeCommand('hangar.newSession');
      assert.equal(h.panels.chat.sessionId, undefined);
      await waitFor('the empty composer', () => seen.some((m) => m.type === 'newSession'), 50_000);
      // Start Agent's "write it in the chat" button: the task typed so far moves into the empty composer.
      seen.length = 0;
      await h.panels.chat.compose(undefined, 'Refactor math.js');
      const moved = await waitFor('the typed task in the composer', () => seen.find((m): m is Extract<HostMessage, { type: 'insert' }> => m.type === 'insert'), 50_000);
      assert.equal(moved.text, 'Refactor math.js');

      // A deleted session leaves the chat too.
      await vscode.commands.executeCommand('hangar.openSession', { sessionId: second });
      assert.equal(h.panels.chat.sessionId, second);
      await vscode.commands.executeCommand('hangar.deleteSession', { sessionId: second, confirmed: true });
      assert.equal(h.panels.chat.sessionId, undefined);
    });
  });
}
