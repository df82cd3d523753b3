import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { SessionTreeNode } from '../../../src/extension/tree/nodes';
import { reply, startScriptedModel } from '../../../src/model/scripted';
import type { HostMessage } from '../../../src/protocol/panel';
import { connectWindow, serve, spyPosts, stop, type Served } from './detached-support';
import { hangar, texts, waitFor } from './support';

// VS Code on a detached runtime (issue #15 §1): a `hangar serve` started by the test (the scripted model behind it),
// the window pointed at it (hangar.runtime.url, the token through Hangar: Set Runtime Token). The agent works while
// the window is gone (the extension's runtime connection closed, as a window close does), the session finishes in
// the runtime meanwhile, and the reopened window shows it finished, in the tree and in the panel, with its events.
// Then the runtime itself goes away and comes back on the same port: the window says so and reconnects.

export function detachedSuite(): void {
  describe('detached runtime', function () {
    this.timeout(180_000);

    it('drives a hangar serve; a session that finished while the window was closed shows finished with its events; a runtime that goes away is reconnected to', async () => {
      const h = await hangar();
      const home = mkdtempSync(path.join(os.tmpdir(), 'hangar-detached-'));
      // The second answer is held until the window has closed, so the agent is still at work when it does (a fixed
      // delay raced a slow first panel load in CI: the turn ended before the test looked for it running).
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const model = await startScriptedModel({
        script: async (req) => (req.seq === 0 ? reply.tool('write', { file_path: 'detached/notes.md', content: 'written by the detached runtime\n' }) : (await held, reply.text('Finished while the window was closed.'))),
      });
      let served: Served | undefined;
      const settings = vscode.workspace.getConfiguration('hangar');
      try {
        served = await serve(h, home, model.url);
        const token = await connectWindow(h, served, home);
        assert.throws(() => h.host.runtime, /needs Hangar's in-process runtime.*hangar\.runtime\.url/, 'what the seam does not carry is refused, not skipped');

        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'detached-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        assert.ok(agentId);
        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Write notes from afar', open: 'editor' });
        assert.ok(id, 'hangar.startAgent returned no session id');
        const panel = await waitFor('the session panel', () => h.panels.get(id));
        await waitFor('the panel to get the log', () => panel.posted > 0, 50_000);
        await waitFor('the second model request (the agent still at work)', () => model.requests.length >= 2);
        // The window's view of a detached runtime's session comes from its polled list: it shows running within a poll.
        await waitFor('the window to show the session running', async () => (await h.sessions.view(id)).status === 'running', 10_000);

        // The window closes: the extension lets go of the runtime (deactivate does this), which goes on alone.
        await h.host.stop();
        release();
        const direct = (await import('../../../src/remote/connect')).runtimeClient({ url: served.url, token });
        await waitFor('the session to finish in the runtime while no window is there', async () => (await direct.beta.sessions.retrieve(id)).status === 'idle' && (await direct.beta.sessions.events.list(id, { types: ['agent.message'] })).data.length > 0, 60_000);

        // The window reopens: the panel it kept asks for the log again; what it gets is the finished session.
        const sent = spyPosts(panel);
        await h.host.start();
        const view = await waitFor('the finished session in the tree', async () => {
          const v = await h.sessions.view(id);
          return v.status === 'idle' && v.stopReason?.type === 'end_turn' ? v : undefined;
        });
        assert.equal(view.repo, vscode.workspace.workspaceFolders![0]!.uri.fsPath);
        const init = await waitFor('the panel init after the reopen', () => sent.find((m): m is Extract<HostMessage, { type: 'init' }> => m.type === 'init'), 50_000);
        assert.equal(init.session.status, 'idle');
        assert.ok(texts(init.events).includes('Finished while the window was closed.'), `the panel's events: ${init.events.map((e) => e.type).join(', ')}`);
        assert.equal(init.events.filter((e) => e.type === 'agent.tool_use').length, 1);
        const node = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === id);
        assert.ok(node, 'the tree lists the session');
        assert.match(String(h.sessionsTree.getTreeItem(node).contextValue), /^session\.idle/);
        const files = (await h.sessionsTree.getChildren(node)).filter((c): c is Extract<SessionTreeNode, { kind: 'file' }> => c.kind === 'file');
        assert.deepEqual(files.map((f) => f.path), ['detached/notes.md'], 'review reads the changes through the runtime\'s API');

        // The runtime goes away mid-session and comes back on the same port: said, then reconnected.
        const port = Number(new URL(served.url).port);
        await stop(served);
        await waitFor('the window to say the runtime is gone', () => !h.host.connectionState.up, 30_000);
        await waitFor('the panel to say so', () => sent.some((m) => m.type === 'error' && /^Lost the runtime at .*Reconnecting; nothing is lost/.test(m.message)), 30_000);
        const gone = await vscode.commands.executeCommand('hangar.sendMessage', { sessionId: id, text: 'are you there?' });
        assert.equal(gone, undefined, 'a message to a gone runtime is refused (with the reason), not dropped silently');
        served = await serve(h, home, model.url, { port });
        await waitFor('the window to reconnect', () => h.host.connectionState.up, 30_000);
        await waitFor('the panel to say it is back', () => sent.some((m) => m.type === 'error' && /^Reconnected to the runtime at /.test(m.message)), 30_000);
        assert.equal((await h.sessions.view(id)).status, 'idle');

        // "detached": the hangar serve announced in the Hangar home's runtime.json (URL and token from there).
        const previousHome = process.env.HANGAR_HOME;
        process.env.HANGAR_HOME = path.join(home, 'nothing-here');
        try {
          await settings.update('runtime.url', 'detached', vscode.ConfigurationTarget.Global);
          await waitFor('the refusal of a home no runtime announced itself in', () => h.host.refusal?.match(/No detached runtime runs on .*nothing-here/));
          assert.throws(() => h.host.client, /hangar serve/);
          process.env.HANGAR_HOME = home;
          await h.host.restart();
          assert.equal(h.host.refusal, undefined);
          assert.equal(h.host.client.where, served.url);
          assert.deepEqual((await h.sessions.list()).map((v) => v.id), [id]);
        } finally {
          if (previousHome === undefined) delete process.env.HANGAR_HOME;
          else process.env.HANGAR_HOME = previousHome;
        }
      } finally {
        release();
        await settings.update('runtime.url', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the in-process runtime again', () => !h.host.detached, 30_000).catch(() => undefined);
        await stop(served);
        await model.close();
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
}
