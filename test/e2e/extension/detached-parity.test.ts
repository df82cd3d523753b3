import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { handleWebviewMessage } from '../../../src/extension/panel/inbound';
import { reply, startScriptedModel } from '../../../src/model/scripted';
import type { HostMessage } from '../../../src/protocol/panel';
import type { SessionEvent } from '../../../src/wire';
import type { ToolItem } from '../../../webview/model/items';
import { SessionModel } from '../../../webview/model/session-model';
import { connectWindow, serve, spyPosts, stop, type Served } from './detached-support';
import { hangar, waitFor, workspaceDir } from './support';

// A window on a detached runtime (issue #15) does what it does in-process. The session panel offers the rewind and
// fork actions beside each step a checkpoint ends (they hang on the log's hangar.checkpoint events, which the window
// asks the API for) and a running command's output as it streams: the panel's own page model folds what the host
// posted, as the webview does, and the actions are the requests its buttons send. Allow for this session and
// Best-of-N run in the runtime, through its /allowances and /best_of endpoints.

export function detachedParitySuite(): void {
  describe('detached runtime: as in-process', function () {
    this.timeout(180_000);

    it('the panel shows rewind and fork beside the steps a checkpoint ends and streams tool output; rewind and fork work over the detached runtime', async () => {
      const h = await hangar();
      const home = mkdtempSync(path.join(os.tmpdir(), 'hangar-detached-panel-'));
      const model = await startScriptedModel({
        script: [
          reply.tool('bash', { command: 'for i in 1 2 3 4 5; do echo "step $i"; sleep 0.4; done; echo one > plan.md' }),
          reply.text('First plan written.'),
          reply.tool('write', { file_path: 'plan.md', content: 'two\n' }),
          reply.text('Second plan written.'),
        ],
      });
      let served: Served | undefined;
      const settings = vscode.workspace.getConfiguration('hangar');
      // Sessions open in editor tabs here (the side-bar chat shows one session at a time).
      await settings.update('openSessionsIn', 'editor', vscode.ConfigurationTarget.Global);
      try {
        served = await serve(h, home, model.url);
        await connectWindow(h, served, home);
        const client = h.host.client;
        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'detached-panel-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Write a plan', open: 'editor' });
        assert.ok(id, 'hangar.startAgent returned no session id');
        const live = spyPosts(await waitFor('the session panel', () => h.panels.get(id)));
        const idles = async (n: number) => waitFor(`idle #${n}`, async () => ((await client.sessionEvents(id, ['session.status_idle'])).length >= n ? true : undefined), 90_000);
        await idles(1);
        assert.ok(
          live.some((m) => m.type === 'preview' && m.preview.type === 'tool_output' && m.preview.tail.includes('step 1')),
          `the running command's output reached the panel: ${live.map((m) => m.type).join(', ')}`,
        );
        const deps = { host: h.host, log: h.log, openPath: async () => undefined };
        assert.deepEqual(await handleWebviewMessage({ type: 'send', id: 'p-1', text: 'Write another plan' }, id, deps, async () => undefined), { type: 'reply', id: 'p-1', ok: true });
        await idles(2);

        // A fresh panel gets the whole log, as after a window reload.
        h.panels.close(id);
        await vscode.commands.executeCommand('hangar.openSession', { sessionId: id });
        const sent = spyPosts(h.panels.get(id)!);
        const init = await waitFor('the panel init', () => sent.find((m): m is Extract<HostMessage, { type: 'init' }> => m.type === 'init'), 50_000);
        const page = new SessionModel(init.session, init.pricing);
        for (const e of init.events) page.apply(e);
        const steps = init.events.filter((e) => e.type === 'agent.tool_use').map((e) => page.item(e.id) as ToolItem);
        assert.equal(steps.length, 2);
        assert.ok(steps.every((s) => s.checkpoint), `each file-changing call has its rewind and fork actions: ${JSON.stringify(steps.map((s) => s.checkpoint ?? null))}`);
        const turnEnds = init.events.filter((e): e is Extract<SessionEvent, { type: 'session.status_idle' }> => e.type === 'session.status_idle');
        assert.ok(turnEnds.every((e) => page.item(e.id)?.checkpoint), 'and each turn\'s end');

        // Rewind to the end of the first call: the plan is the first one again, and the panel says so.
        const first = steps[0]!.checkpoint!;
        assert.equal((await client.readFile(id, 'plan.md', 'current'))?.toString(), 'two\n');
        assert.deepEqual(await handleWebviewMessage({ type: 'rewind', id: 'p-2', checkpoint_id: first.id }, id, deps, async () => undefined), { type: 'reply', id: 'p-2', ok: true });
        assert.equal((await client.readFile(id, 'plan.md', 'current'))?.toString(), 'one\n');
        const rewound = await waitFor('the rewind in the panel', () => sent.flatMap((m) => (m.type === 'events' ? m.events : [])).find((e) => e.type === 'hangar.rewind'), 30_000);
        assert.equal(rewound.type === 'hangar.rewind' && rewound.checkpoint_id, first.id);

        // Fork at the end of the second call: a new session with that call's files, its panel opened.
        const before = new Set((await client.listSessions()).map((s) => s.id));
        assert.deepEqual(await handleWebviewMessage({ type: 'fork', id: 'p-3', at: steps[1]!.checkpoint!.event }, id, deps, async () => undefined), { type: 'reply', id: 'p-3', ok: true });
        const forked = (await client.listSessions()).map((s) => s.id).filter((s) => !before.has(s));
        assert.equal(forked.length, 1, 'one new session');
        await waitFor("the fork's panel", () => h.panels.get(forked[0]!));
        assert.equal((await client.readFile(forked[0]!, 'plan.md', 'current'))?.toString(), 'two\n', "the fork has the files of the step it was made from");
        const refused = await handleWebviewMessage({ type: 'rewind', id: 'p-4', checkpoint_id: 'ckpt_nosuchcheckpoint' }, id, deps, async () => undefined);
        assert.ok(refused.type === 'reply' && !refused.ok && refused.error.includes('ckpt_nosuchcheckpoint'), JSON.stringify(refused));
      } finally {
        await settings.update('runtime.url', undefined, vscode.ConfigurationTarget.Global);
        await settings.update('openSessionsIn', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the in-process runtime again', () => !h.host.detached, 30_000).catch(() => undefined);
        await stop(served);
        await model.close();
        rmSync(home, { recursive: true, force: true });
      }
    });

    it('allows a tool for the session and runs best-of over the detached runtime', async () => {
      const h = await hangar();
      const home = mkdtempSync(path.join(os.tmpdir(), 'hangar-detached-bestof-'));
      // Every conversation: one bash call (asked about in the first session), then its answer.
      const model = await startScriptedModel({ script: (req) => (JSON.stringify(req.body.messages).includes('tool_result') ? reply.text('attempt done') : reply.tool('bash', { command: 'echo attempt > attempt.txt' })) });
      let served: Served | undefined;
      const settings = vscode.workspace.getConfiguration('hangar');
      try {
        served = await serve(h, home, model.url);
        await connectWindow(h, served, home);
        const client = h.host.client;
        const askBash = [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', enabled: true, permission_policy: { type: 'always_ask' } }] }];
        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'detached-asking-agent', model: 'claude-sonnet-5-5', tools: askBash });
        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Write the attempt', open: 'none' });
        const waiting = await waitFor('the question', async () => (await client.sessionView(id)).needsAction || undefined, 60_000);
        assert.ok(waiting);
        const [ask] = await client.sessionEvents(id, ['agent.tool_use']);
        // The notification's "Allow for this session" link.
        await waitFor('the notification of the waiting call', () => h.approvals.find(id, ask!.id), 30_000);
        await vscode.commands.executeCommand('hangar.answerPrompt', { sessionId: id, toolUseId: ask!.id, result: 'allowForSession' });
        await waitFor('the turn to end', async () => ((await client.sessionView(id)).stopReason?.type === 'end_turn' ? true : undefined), 60_000);
        assert.deepEqual((await client.permissions.all(id)).tools, [{ name: 'bash' }], 'bash is allowed for the rest of the session, in the runtime');
        assert.deepEqual(await vscode.commands.executeCommand('hangar.revokeAllowance', { sessionId: id, tool: { name: 'bash' } }), { name: 'bash' });
        assert.deepEqual((await client.permissions.all(id)).tools, []);

        const started = await vscode.commands.executeCommand<{ sessionIds: string[] } | undefined>('hangar.startBestOf', { n: 2, agentIds: [agentId], task: 'Write the attempt again', folder: workspaceDir() });
        assert.ok(started, 'hangar.startBestOf returned nothing (see the error notification in the log)');
        assert.equal(started.sessionIds.length, 2);
        // The attempts ask about bash too (the agent's own policy): allowed from the window, one each.
        for (const attempt of started.sessionIds) {
          await waitFor(`attempt ${attempt} to ask`, async () => (await client.sessionView(attempt)).needsAction || undefined, 60_000);
          await client.permissions.allow(attempt, { name: 'bash' });
        }
        for (const attempt of started.sessionIds) await waitFor(`attempt ${attempt} to finish`, async () => ((await client.sessionView(attempt)).stopReason?.type === 'end_turn' ? true : undefined), 60_000);
        const view = h.compare.find(started.sessionIds[0]!);
        assert.ok(view, 'the compare view opened');
        await view.refresh();
        assert.deepEqual(view.shown.map((a) => [a.id, a.status, a.stop, a.files]), started.sessionIds.map((s) => [s, 'idle', 'end_turn', 1]), 'the rows come from the runtime');
        assert.equal(await vscode.commands.executeCommand('hangar.startBestOf', { n: 7, agentIds: [agentId], task: 'too many', folder: workspaceDir() }), undefined, 'a count outside 1-4 is refused');
      } finally {
        await settings.update('runtime.url', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the in-process runtime again', () => !h.host.detached, 30_000).catch(() => undefined);
        await stop(served);
        await model.close();
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
}
