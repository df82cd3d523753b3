import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import { modelPickItems, type ModelPickItem } from '../../../src/extension/commands/model-commands';
import type { Hangar } from '../../../src/extension/hangar';
import type { Runtime } from '../../../src/runtime';
import { reply, startScriptedOpenAiModel, type ScriptedOpenAiModel } from '../../../src/model/scripted';
import { hangar, texts, waitForIdle } from './support';

/** Changes `hangar.modelProviders` (user settings) and waits for the runtime the change restarts. */
async function setProviders(h: Hangar, value: unknown): Promise<Runtime> {
  const next = new Promise<Runtime>((resolve) => {
    const sub = h.host.onDidStart(() => (sub.dispose(), resolve(h.host.runtime)));
  });
  await vscode.workspace.getConfiguration('hangar').update('modelProviders', value, vscode.ConfigurationTarget.Global);
  return next;
}

async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return url;
}

export function modelProvidersSuite(): void {
  describe('model providers (hangar.modelProviders)', () => {
    let oai: ScriptedOpenAiModel;
    const previousModel = () => vscode.workspace.getConfiguration('hangar').inspect<string>('model.id')?.globalValue;
    let before: string | undefined;

    beforeEach(async () => {
      oai = await startScriptedOpenAiModel({ models: ['qwen3-coder', 'llama3.2'], apiKey: 'sk-box-key-0123' });
      before = previousModel();
    });
    afterEach(async () => {
      const h = await hangar();
      await setProviders(h, undefined);
      await vscode.workspace.getConfiguration('hangar').update('model.id', before, vscode.ConfigurationTarget.Global);
      await oai.close();
    });

    it('lists the providers\' models in the picker, tests connections, and runs a session on the chosen model', async () => {
      const h = await hangar();
      const down = await closedPortUrl();
      await setProviders(h, [
        { name: 'box', kind: 'openai', baseUrl: oai.url },
        { name: 'down', kind: 'openai', baseUrl: down },
      ]);
      assert.equal(await vscode.commands.executeCommand('hangar.setModelProviderKey', { provider: 'box', key: 'sk-box-key-0123' }), true);

      const items: ModelPickItem[] = await modelPickItems(h.host.client, true);
      const labels = items.map((i) => i.label);
      assert.ok(labels.includes('box/qwen3-coder') && labels.includes('box/llama3.2'), labels.join(', '));
      assert.equal(items.find((i) => i.label === 'box/qwen3-coder')?.description, '32k window · free');
      assert.ok(items.some((i) => i.kind === vscode.QuickPickItemKind.Separator && i.label.startsWith('box (local) · ')), 'a separator per provider');
      const unreachable = items.find((i) => i.label.includes('down: unreachable'));
      assert.match(unreachable?.detail ?? '', /Can't reach .* \(ECONNREFUSED\)/);
      assert.ok(items.every((i) => i.kind === vscode.QuickPickItemKind.Separator || i.buttons?.some((b) => b.tooltip === 'Test connection')), 'every row can test its provider');

      const ok = await vscode.commands.executeCommand<{ ok: boolean; message: string; models: string[] }>('hangar.testModelProvider', 'box');
      assert.equal(ok?.ok, true);
      assert.match(ok?.message ?? '', /^box answered in \d+ ms: 2 models\.$/);
      const failed = await vscode.commands.executeCommand<{ ok: boolean; message: string }>('hangar.testModelProvider', 'down');
      assert.equal(failed?.ok, false);
      assert.match(failed?.message ?? '', /^down: Can't reach/);

      assert.equal(await vscode.commands.executeCommand('hangar.selectModel', { model: 'box/qwen3-coder' }), 'box/qwen3-coder');
      assert.equal(vscode.workspace.getConfiguration('hangar').get('model.id'), 'box/qwen3-coder');

      // New Agent takes the chosen model; the session's requests go to the provider, with its key and its own id.
      oai.push(reply.text('Hello from the local model.'));
      const settingModel = vscode.workspace.getConfiguration('hangar').get<string>('model.id');
      const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'provider-agent', model: settingModel, tools: [{ type: 'agent_toolset_20260401' }] });
      assert.ok(agentId);
      const sessionId = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'say hello' });
      assert.ok(sessionId);
      const all = await waitForIdle(h, sessionId);
      assert.ok(texts(all).includes('Hello from the local model.'), texts(all).join(' | '));
      assert.equal(oai.requests.length, 1);
      assert.equal(oai.requests[0]?.chat.model, 'qwen3-coder');
      assert.equal(oai.requests[0]?.headers.authorization, 'Bearer sk-box-key-0123');
    });

    it('refuses a wrong provider setting with the reason, and an agent naming an unknown provider', async () => {
      const h = await hangar();
      const refusals: string[] = [];
      const sub = h.host.onDidRefuseSetting((m) => refusals.push(m));
      try {
        const rt = await setProviders(h, [{ name: 'box', kind: 'openai', baseUrl: 'localhost:11434' }]);
        assert.match(refusals.join('\n'), /hangar\.modelProviders is refused.*baseUrl must be an http/s);
        assert.deepEqual(rt.modelProviders.providers().map((p) => p.name), ['anthropic'], 'nothing of the refused value applies');
      } finally {
        sub.dispose();
      }
      const refused = await vscode.commands.executeCommand('hangar.selectModel', { model: 'box/qwen3-coder' });
      assert.equal(refused, undefined, 'an unknown provider is refused, with an error message');
    });
  });
}
