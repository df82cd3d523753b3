import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Runtime } from '../../../src/runtime';
import type { Hangar } from '../../../src/extension/hangar';
import { reply } from '../../../src/model/scripted';
import { ensureKey, hangar, scriptedModel, waitFor, waitForIdle, workspaceDir } from './support';

// Issue #19 §9 in VS Code: a session on the local sandbox says when it starts that it runs without isolation (a
// warning notification, once per session); on Docker, nothing of the kind is said.

async function setProvider(h: Hangar, value: string | undefined): Promise<Runtime> {
  const next = new Promise<Runtime>((resolve) => {
    const sub = h.host.onDidStart(() => (sub.dispose(), resolve(h.host.runtime)));
  });
  await vscode.workspace.getConfiguration('hangar').update('sandbox.provider', value, vscode.ConfigurationTarget.Global);
  return next;
}

export function progressSuite(): void {
  describe('local sandbox notice', () => {
    it('warns once, when a session starts on the local sandbox, that it runs without isolation; a Docker session is not warned', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.text('on local'), reply.text('on docker')]);
      const start = async () => {
        const agent = await h.host.runtime.agents.create({ name: 'noticed', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        return vscode.commands.executeCommand<string>('hangar.startAgent', { agentId: agent.id, task: 'hello', folder: workspaceDir(), open: 'none' });
      };
      try {
        const local = await setProvider(h, 'local');
        assert.equal(local.options.sandbox.kind, 'local');
        const id = await start();
        assert.ok(id);
        const notice = await waitFor('the local sandbox notice', () => h.progress.notices.find((n) => n.sessionId === id));
        assert.match(notice.message, /^Local sandbox: commands run on this machine as you, without isolation/);
        assert.match(notice.message, /Use the Docker provider/);
        await waitForIdle(h, id, 1);
        assert.equal(h.progress.notices.filter((n) => n.sessionId === id).length, 1, 'said once');

        const docker = await setProvider(h, undefined);
        assert.equal(docker.options.sandbox.kind, 'docker', 'the test workbench runs sessions in Docker by default');
        const other = await start();
        assert.ok(other);
        await waitForIdle(h, other, 1);
        assert.equal(h.progress.notices.filter((n) => n.sessionId === other).length, 0);
      } finally {
        if (h.host.runtime.options.sandbox.kind !== 'docker') await setProvider(h, undefined);
        await model.close();
      }
    });
  });
}
