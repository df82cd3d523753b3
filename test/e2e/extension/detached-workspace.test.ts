import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Hangar } from '../../../src/extension/hangar';
import { sessionRelativePath } from '../../../src/extension/panel/inbound';
import type { ActionResult } from '../../../src/extension/review/review-actions';
import type { BranchResult } from '../../../src/review/branch';
import { reply, startScriptedModel } from '../../../src/model/scripted';
import { sessionRepository } from '../../../src/wire/session-repository';
import { hiding } from '../../support/hangar-serve';
import { connectWindow, serve, stop, type Served } from './detached-support';
import { hangar, waitFor } from './support';

// VS Code on a runtime that cannot see the window's workspace (issue #15 §2): `hangar serve` in a mount namespace of
// its own with an empty directory mounted over the workspace's path, as a runtime on another machine sees that path.
// Start Agent probes, uploads the workspace with its git history, the agent (scripted model) runs git there and writes a
// file in the runtime's copy, and Apply All lands it in the window's workspace. With hangar.runtime.workspace "shared"
// the same start is refused; Cancel in its notification mid-upload starts nothing.

/** `hangar serve` in its own mount namespace, where `hide` is an empty directory. */
function serveHiding(h: Hangar, home: string, modelUrl: string, hide: string): Promise<Served> {
  return serve(h, home, modelUrl, { wrap: hiding(hide) });
}

/**
 * Runs `start` with VS Code's progress notifications pressing Cancel at the first step that shows upload bytes (what
 * a user's click does: the task's token is cancelled), and says what the notification showed.
 */
async function cancellingUpload<T>(start: () => Thenable<T>): Promise<{ result: T; cancellable: boolean | undefined; steps: string[]; cancelledAt: string | undefined }> {
  const window = vscode.window as unknown as { withProgress: typeof vscode.window.withProgress };
  const original = window.withProgress;
  const steps: string[] = [];
  let cancellable: boolean | undefined;
  let cancelledAt: string | undefined;
  window.withProgress = ((options: vscode.ProgressOptions, task: Parameters<typeof vscode.window.withProgress>[1]) =>
    original(options, (progress, token) => {
      cancellable = options.cancellable;
      const pressed = new vscode.CancellationTokenSource();
      token.onCancellationRequested(() => pressed.cancel());
      const report = (value: { message?: string; increment?: number }) => {
        progress.report(value);
        steps.push(value.message ?? '');
        if (!cancelledAt && /^uploading the workspace .*: [\d.]+ of [\d.]+ (KB|MB)$/.test(value.message ?? '')) {
          cancelledAt = value.message;
          pressed.cancel();
        }
      };
      return task({ report }, pressed.token);
    })) as typeof vscode.window.withProgress;
  try {
    return { result: await start(), cancellable, steps, cancelledAt };
  } finally {
    window.withProgress = original;
  }
}

export function detachedWorkspaceSuite(): void {
  describe('detached runtime on another machine: the workspace is uploaded', function () {
    this.timeout(180_000);

    it('uploads the workspace to a runtime that cannot see it, and the agent\'s file is reviewed and applied here', async () => {
      const h = await hangar();
      const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
      const landed = path.join(workspace, 'elsewhere', 'greeting.txt');
      const home = mkdtempSync(path.join(os.tmpdir(), 'hangar-elsewhere-'));
      const notes = path.join(workspace, 'upload-notes.md');
      const model = await startScriptedModel({
        script: [
          reply.tool('bash', { command: 'git log --format=%s -3; git status --short' }),
          reply.tool('write', { file_path: 'elsewhere/greeting.txt', content: 'written on the other machine\n' }),
          reply.text('Wrote the greeting.'),
        ],
      });
      const settings = vscode.workspace.getConfiguration('hangar');
      const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, encoding: 'utf8' }).trim();
      let served: Served | undefined;
      try {
        served = await serveHiding(h, home, model.url, workspace);
        await connectWindow(h, served, home);
        const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: 'elsewhere-agent', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        assert.ok(agentId);
        // Uncommitted here: the agent's git status there shows it as on this machine.
        writeFileSync(notes, 'not committed\n');

        // Cancel in Start Agent's notification while the workspace uploads: no session, nothing kept on the runtime.
        const cancelled = await cancellingUpload(() => vscode.commands.executeCommand<string | undefined>('hangar.startAgent', { agentId, task: 'Greet', folder: workspace, open: 'none' }));
        assert.equal(cancelled.result, undefined);
        assert.equal(cancelled.cancellable, true, 'the notification offers Cancel');
        assert.ok(cancelled.cancelledAt, `no upload step was shown: ${cancelled.steps.join(' | ')}`);
        assert.deepEqual(await h.host.client.listSessions(), []);
        const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
        await waitFor('the cut-off upload to be dropped', () => (entries(path.join(home, 'file-blobs')).length === 0 ? true : undefined), 10_000);
        assert.deepEqual(entries(path.join(home, 'files')), [], 'no file was stored');
        assert.deepEqual(entries(path.join(home, 'workspaces')), [], 'nothing was unpacked');

        // "shared" on a runtime that cannot see the workspace: refused, no session made.
        await settings.update('runtime.workspace', 'shared', vscode.ConfigurationTarget.Global);
        const refused = await vscode.commands.executeCommand<string | undefined>('hangar.startAgent', { agentId, task: 'Greet', folder: workspace, open: 'none' });
        assert.equal(refused, undefined);
        assert.deepEqual(await h.host.client.listSessions(), []);
        await settings.update('runtime.workspace', undefined, vscode.ConfigurationTarget.Global);

        const id = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task: 'Greet from the other machine', folder: workspace, open: 'none' });
        assert.ok(id, 'hangar.startAgent returned no session id');
        const repo = sessionRepository((await h.host.client.retrieveSession(id)).resources)!;
        assert.equal(repo.upload?.client_path, workspace);
        assert.notEqual(repo.path, workspace, 'the runtime works on its own copy');
        await waitFor('the session to finish', async () => {
          const v = await h.sessions.view(id);
          return v.status === 'idle' && v.stopReason?.type === 'end_turn' ? true : undefined;
        }, 60_000);
        assert.equal((await h.sessions.view(id)).repo, workspace, 'the tree shows the window\'s workspace');
        // The agent's git in the runtime's copy has this repository's commits and uncommitted changes.
        const [looked] = await h.host.client.sessionEvents(id, ['agent.tool_result']);
        const output = JSON.stringify(looked);
        for (const subject of git('log', '--format=%s', '-3').split('\n')) assert.ok(output.includes(JSON.stringify(subject).slice(1, -1)), `the agent's git log lacks "${subject}": ${output}`);
        assert.ok(output.includes('?? upload-notes.md'), output);
        assert.deepEqual((await h.reviews.files(id)).map((f) => f.path), ['elsewhere/greeting.txt'], 'review shows only the agent\'s change');
        // A path the panel shows opens here whether it names the sandbox's /workspace or the window's workspace.
        for (const shown of ['/workspace/elsewhere/greeting.txt', landed]) assert.equal(await sessionRelativePath(h.host, id, shown), 'elsewhere/greeting.txt');
        assert.equal(existsSync(landed), false, 'nothing reaches the workspace before review');

        // Commit to a new branch: the changes come over the API and the branch goes into this window's repository.
        const branched = await vscode.commands.executeCommand<BranchResult | undefined>('hangar.commitToBranch', { sessionId: id, branch: 'hangar/from-afar', message: 'Greet from afar' });
        assert.deepEqual(branched?.files, ['elsewhere/greeting.txt']);
        assert.equal(git('show', 'hangar/from-afar:elsewhere/greeting.txt'), 'written on the other machine');
        assert.equal(existsSync(landed), false, 'the checkout is untouched');

        const result = await vscode.commands.executeCommand<ActionResult>('hangar.applyAll', { sessionId: id });
        assert.deepEqual(result, { accepted: 1, rejected: 0, conflicts: [] });
        assert.equal(readFileSync(landed, 'utf8'), 'written on the other machine\n');

        // Deleting the session from this window deletes it on the runtime, where its log is.
        assert.equal(await vscode.commands.executeCommand<string>('hangar.deleteSession', { sessionId: id, confirmed: true }), id);
        assert.deepEqual((await h.host.client.listSessions()).map((v) => v.id), []);
        assert.equal(readFileSync(landed, 'utf8'), 'written on the other machine\n', 'the applied file stays');
      } finally {
        await settings.update('runtime.workspace', undefined, vscode.ConfigurationTarget.Global);
        await settings.update('runtime.url', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the in-process runtime again', () => !h.host.detached, 30_000).catch(() => undefined);
        await stop(served);
        await model.close();
        rmSync(path.dirname(landed), { recursive: true, force: true });
        rmSync(notes, { force: true });
        if (git('branch', '--list', 'hangar/from-afar')) git('branch', '-D', 'hangar/from-afar');
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
}
