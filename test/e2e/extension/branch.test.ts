import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import type { BranchResult } from '../../../src/review/branch';
import { ensureKey, hangar, scriptedModel, startAgent, waitForIdle, workspaceDir } from './support';

// Hangar: Commit Changes to New Branch in a real VS Code: the session's change lands on a new branch of the
// workspace's repository while the open workspace (its files, HEAD, index) stays as it was.

export function branchSuite(): void {
  describe('branch: commit a session to a new branch', function () {
    this.timeout(180_000);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: workspaceDir(), encoding: 'utf8' }).trim();

    it('commits the change to the branch with the given message and leaves the workspace and HEAD alone; an existing branch is refused', async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([reply.tool('write', { file_path: 'src/branch-note.js', content: 'export const note = 1;\n' }), reply.text('Added a note.')]);
      try {
        const sessionId = await startAgent(h, 'Add a note module');
        await waitForIdle(h, sessionId, 1, 120_000);
        const head = git('rev-parse', 'HEAD');
        const index = readFileSync(path.join(workspaceDir(), '.git', 'index'));
        const status = git('status', '--porcelain');
        const result = await vscode.commands.executeCommand<BranchResult | undefined>('hangar.commitToBranch', { sessionId, branch: 'hangar/e2e-note', message: 'Add a note module' });
        assert.ok(result, 'the command commits');
        assert.deepEqual(result.files, ['src/branch-note.js']);
        assert.equal(git('rev-parse', 'HEAD'), head);
        assert.deepEqual(readFileSync(path.join(workspaceDir(), '.git', 'index')), index);
        assert.equal(git('status', '--porcelain'), status, 'the workspace did not get the file');
        assert.equal(git('show', 'hangar/e2e-note:src/branch-note.js'), 'export const note = 1;');
        assert.equal(git('log', '-1', '--format=%s', 'hangar/e2e-note'), 'Add a note module');
        const again = await vscode.commands.executeCommand<BranchResult | undefined>('hangar.commitToBranch', { sessionId, branch: 'hangar/e2e-note', message: 'x' });
        assert.equal(again, undefined, 'an existing branch is refused (an error notification says so)');
      } finally {
        await model.close();
        if (git('branch', '--list', 'hangar/e2e-note')) git('branch', '-D', 'hangar/e2e-note');
      }
    });
  });
}
