import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { EXTENSION_ID, ensureKey, events, hangar, scriptedModel, startAgent, waitFor, waitForIdle } from './support';
import { reply } from '../../../src/model/scripted';

interface Contributes {
  commands: { command: string; title: string; category: string }[];
  configuration: { properties: Record<string, { markdownDescription?: string; description?: string }> };
}

export function commandSuite(): void {
  describe('commands and activation', () => {
    it('activates lazily (views, commands, panel restore; never "*") and returns its API', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext);
      const events = ext.packageJSON.activationEvents as string[];
      assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), `eager activation: ${events.join(', ')}`);
      assert.ok(events.includes('onView:hangar.sessions') && events.includes('onWebviewPanel:hangar.session'));
      const h = await hangar();
      assert.ok(ext.isActive);
      assert.ok(h.host.storageRoot.length > 0);
    });

    it('registers every contributed command, all in the Hangar category', async () => {
      await hangar();
      const contributes = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes as Contributes;
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributes.commands.filter((c) => !registered.has(c.command)).map((c) => c.command);
      assert.deepEqual(missing, []);
      assert.ok(contributes.commands.every((c) => c.category === 'Hangar'));
      for (const required of ['hangar.startAgent', 'hangar.newAgent', 'hangar.editAgent', 'hangar.openSession', 'hangar.sendMessage', 'hangar.interrupt', 'hangar.resume', 'hangar.deleteSession', 'hangar.setApiKey', 'hangar.reviewChanges', 'hangar.applyAll', 'hangar.discardChanges', 'hangar.openLog']) {
        assert.ok(registered.has(required), required);
      }
    });

    it('contributes every setting with a description', () => {
      const props = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes as Contributes).configuration.properties;
      for (const key of ['hangar.model.id', 'hangar.model.baseUrl', 'hangar.model.maxTokens', 'hangar.sandbox.provider', 'hangar.sandbox.memoryMb', 'hangar.sandbox.cpus', 'hangar.sandbox.pids', 'hangar.defaultAgent']) {
        assert.ok(props[key], `missing setting ${key}`);
        assert.ok((props[key].markdownDescription ?? props[key].description ?? '').length > 20, `setting ${key} has no real description`);
      }
      assert.equal(vscode.workspace.getConfiguration('hangar').get('sandbox.provider'), 'auto', 'sessions get a container whenever Docker can give them one');
    });

    it('runs sessions in Docker when the engine and image are there (provider auto)', async () => {
      assert.equal((await hangar()).host.runtime.options.sandbox.kind, 'docker');
    });

    it('sends a message, opens the log, and deletes a session after confirmation', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.text('first answer'), reply.text('second answer')]);
      try {
        const id = await startAgent(h, 'Say hello');
        await waitForIdle(h, id, 1);
        assert.equal(await vscode.commands.executeCommand('hangar.sendMessage', { sessionId: id, text: 'and again' }), id);
        const all = await waitForIdle(h, id, 2);
        assert.equal(all.filter((e) => e.type === 'user.message').length, 2);

        assert.equal(await vscode.commands.executeCommand('hangar.openLog', { sessionId: id }), id);
        const doc = vscode.window.activeTextEditor?.document;
        assert.equal(doc?.uri.scheme, 'hangar-log');
        const lines = doc!.getText().trim().split('\n');
        assert.equal(lines.length, (await events(h, id)).length);
        assert.equal(JSON.parse(lines[0]!).type, all[0]!.type);

        const dir = h.host.sessionDir(id);
        assert.ok(existsSync(dir));
        assert.equal(await vscode.commands.executeCommand('hangar.deleteSession', { sessionId: id, confirmed: true }), id);
        assert.ok(!existsSync(dir), 'the session directory is gone');
        assert.ok(!(await h.sessions.list()).some((v) => v.id === id));
      } finally {
        await model.close();
      }
    });

    it('interrupts a running session and resumes one', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.text('slow', { delay_ms: 20_000 }), reply.text('after resume')]);
      try {
        const id = await startAgent(h, 'Take your time');
        await waitFor('the session to run', async () => (await h.sessions.view(id)).status === 'running');
        assert.equal(await vscode.commands.executeCommand('hangar.interrupt', { sessionId: id }), id);
        const all = await waitForIdle(h, id, 1, 15_000);
        assert.ok(all.some((e) => e.type === 'user.interrupt'));
        assert.equal(await vscode.commands.executeCommand('hangar.resume', { sessionId: id }), id);
      } finally {
        await model.close();
      }
    });

    it('reports a bad argument as an error instead of acting on it', async () => {
      await hangar();
      assert.equal(await vscode.commands.executeCommand('hangar.acceptHunk', { sessionId: 'sesn_doesnotexist', path: 'x', hunk: 1 }), undefined);
      assert.equal(await vscode.commands.executeCommand('hangar.newAgent', { name: '', model: 'm' }), undefined);
    });
  });
}
