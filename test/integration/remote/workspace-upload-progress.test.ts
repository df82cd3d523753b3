import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useServedRuntime } from '../../support/served-runtime';

// A large workspace going to a runtime elsewhere (issue #15 §2), over real HTTP: the archive is streamed from disk and
// the notification's steps say how many of its bytes went (what Start Agent and Best-of-N show, cancellable there);
// a cancel mid-upload cuts the request off and the runtime keeps nothing of it.

const MB = 1024 * 1024;

interface Step {
  message: string;
  increment: number | undefined;
}

describe('workspace upload to a remote runtime: progress and cancel', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  const served = useServedRuntime();

  beforeEach(async () => {
    t = await makeTestRuntime();
    // Random bytes do not compress: the archive is as large as the files.
    for (let i = 0; i < 6; i++) writeFileSync(path.join(t.repo, `data-${i}.bin`), randomBytes(4 * MB));
  });

  /** The bytes sent and the total of each upload step, as the notification shows them. */
  function uploaded(steps: readonly Step[]): { sent: number; total: number }[] {
    return steps.flatMap(({ message }) => {
      const m = /^uploading the workspace \(.*\): ([\d.]+) of ([\d.]+) (KB|MB)$/.exec(message);
      const unit = m?.[3] === 'MB' ? MB : 1024;
      return m ? [{ sent: Number(m[1]) * unit, total: Number(m[2]) * unit }] : [];
    });
  }

  it('reports the bytes uploaded as they go, up to the whole archive and the whole bar', async () => {
    const c = await served.serve(t);
    const steps: Step[] = [];
    const repo = await workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 64 * MB, report: (message, increment) => steps.push({ message, increment }) });
    assert.match(repo.upload?.file_id ?? '', /^file_/);
    const bytes = uploaded(steps);
    assert.ok(bytes.length >= 10, `the upload reported ${bytes.length} steps:\n${steps.map((s) => s.message).join('\n')}`);
    for (let i = 1; i < bytes.length; i++) assert.ok(bytes[i]!.sent > bytes[i - 1]!.sent, `step ${i} went back or stood still: ${JSON.stringify(bytes.slice(i - 1, i + 1))}`);
    const last = bytes[bytes.length - 1]!;
    assert.equal(last.sent, last.total, 'the last step is the whole archive');
    assert.ok(last.total > 20 * MB, `the archive holds the workspace: ${last.total}`);
    assert.equal(steps.reduce((sum, s) => sum + (s.increment ?? 0), 0), 100, 'the bar ends full');
    assert.equal(steps[steps.length - 1]!.message, 'the workspace is uploaded');
  });

  it('stops on cancel mid-upload, and the runtime keeps nothing of it', async () => {
    const c = await served.serve(t);
    const cancel = new AbortController();
    const steps: Step[] = [];
    const report = (message: string, increment?: number) => {
      steps.push({ message, increment });
      const going = uploaded(steps);
      // The user presses Cancel once a third of the archive went.
      if (going.length > 0 && going[going.length - 1]!.sent > going[going.length - 1]!.total / 3) cancel.abort();
    };
    await assert.rejects(workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 64 * MB, report, signal: cancel.signal }), (err: Error) => err.name === 'AbortError');
    const last = uploaded(steps).pop()!;
    assert.ok(last.sent < last.total, 'cancelled before the whole archive went');

    const blobs = path.join(t.storage, 'file-blobs');
    for (const deadline = Date.now() + 10_000; existsSync(blobs) && readdirSync(blobs).length > 0; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`the cut-off upload was left on the runtime: ${readdirSync(blobs).join(', ')}`);
    }
    assert.deepEqual((await t.runtime.files.list({})).data, [], 'no file was made');
    assert.deepEqual((await t.runtime.sessions.list({})).data, [], 'no session was made');
    assert.equal(existsSync(path.join(t.storage, 'workspaces')) && readdirSync(path.join(t.storage, 'workspaces')).length > 0, false, 'nothing was unpacked');

    // The same workspace uploads whole afterwards.
    const repo = await workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 64 * MB });
    assert.match(repo.upload?.file_id ?? '', /^file_/);
  });

  it('stops on cancel while packing, before anything is sent', async () => {
    const c = await served.serve(t);
    const cancel = new AbortController();
    const report = (message: string) => {
      if (message.startsWith('packing the workspace')) cancel.abort();
    };
    await assert.rejects(workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 64 * MB, report, signal: cancel.signal }), (err: Error) => err.name === 'AbortError');
    assert.deepEqual((await t.runtime.files.list({})).data, []);
  });
});
