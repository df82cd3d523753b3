import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import * as vscode from 'vscode';
import type { ApiServerInfo } from '../../../src/extension/api-server';
import { reply } from '../../../src/model/scripted';
import { ensureKey, hangar, scriptedModel, startAgent, waitFor, waitForIdle, workspaceDir } from './support';

// Hangar: Start Local API Server serves the window's own runtime: a session created with the official SDK appears
// in the sessions tree, and a session started in VS Code is listed through the API.

async function listAll(client: Anthropic): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.beta.sessions.list()) ids.push(s.id);
  return ids;
}

export function apiSuite(): void {
  describe('local API server from the extension', () => {
    let server: ApiServerInfo;
    let client: Anthropic;

    it('starts on 127.0.0.1 with the runtime\'s 0600 token file; requests without the token are refused', async () => {
      server = (await vscode.commands.executeCommand<ApiServerInfo>('hangar.startApiServer', { quiet: true }))!;
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(server.tokenFile);
      assert.equal(statSync(server.tokenFile).mode & 0o777, 0o600);
      const again = await vscode.commands.executeCommand<ApiServerInfo>('hangar.startApiServer', { quiet: true });
      assert.deepEqual(again, server, 'a second start returns the running server');
      client = new Anthropic({ baseURL: server.url, apiKey: readFileSync(server.tokenFile, 'utf8').trim(), maxRetries: 0 });
      const anonymous = new Anthropic({ baseURL: server.url, apiKey: 'wrong-token', maxRetries: 0 });
      await assert.rejects(anonymous.beta.sessions.list(), (err: unknown) => err instanceof Anthropic.AuthenticationError);
    });

    it('a session created through the API with the SDK appears in the sessions tree and runs there', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.text('Hello from a session the SDK made.')]);
      try {
        const agent = await client.beta.agents.create({ name: 'sdk-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] } as Anthropic.Beta.AgentCreateParams);
        const env = await client.beta.environments.create({ name: 'sdk-env' });
        const session = await client.beta.sessions.create({ agent: agent.id, environment_id: env.id, title: 'Made by the SDK', resources: [{ type: 'local_repository', path: workspaceDir() }] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
        await waitFor('the SDK session in the tree', async () => {
          const node = (await h.sessionsTree.getChildren()).find((n) => n.kind === 'session' && n.sessionId === session.id);
          return node && h.sessionsTree.getTreeItem(node).label === 'Made by the SDK';
        });
        await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] });
        await waitForIdle(h, session.id);
        await waitFor('the tree to show it idle', async () => h.sessionsTree.snapshot().find((v) => v.id === session.id)?.status === 'idle');
      } finally {
        await model.close();
      }
    });

    it('a session started in VS Code is listed and readable through the API', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.text('Started from the palette.')]);
      try {
        const id = await startAgent(h, 'Started in VS Code', 'vscode-agent');
        await waitForIdle(h, id);
        assert.ok((await listAll(client)).includes(id));
        const s = await client.beta.sessions.retrieve(id);
        assert.equal(s.title, 'Started in VS Code');
        const events = [];
        for await (const e of client.beta.sessions.events.list(id)) events.push(e.type);
        assert.ok(events.includes('agent.message') && events.includes('session.status_idle'), events.join(', '));
      } finally {
        await model.close();
      }
    });

    it('follows a runtime restart on the same port, and stops', async () => {
      const h = await hangar();
      await h.host.restart();
      await waitFor('the server to move to the new runtime', () => h.api.running?.port === server.port);
      assert.ok((await listAll(client)).length >= 2, 'the new runtime answers on the same port');
      assert.equal(await vscode.commands.executeCommand('hangar.stopApiServer'), true);
      assert.equal(h.api.running, undefined);
      await assert.rejects(client.beta.sessions.list(), (err: unknown) => err instanceof Anthropic.APIConnectionError);
      assert.equal(await vscode.commands.executeCommand('hangar.stopApiServer'), false);
    });
  });
}
