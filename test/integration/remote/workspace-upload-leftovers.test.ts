import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { UploadClaims } from '../../../src/runtime/upload-claims';
import { UploadedWorkspaces } from '../../../src/runtime/uploaded-workspaces';
import { sessionRepository } from '../../../src/wire/session-repository';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useSecondRuntime } from '../../support/second-runtime';
import { useServedRuntime } from '../../support/served-runtime';

// A runtime killed while it unpacked an upload (`.unpacking-*`) or removed a copy (`.removing-*`) leaves that folder
// in `<storage>/workspaces/`. The next runtime to start sweeps them, but only those no live process claims: another
// window or `hangar serve` on the same storage may be unpacking right now.

const MB = 1024 * 1024;

/** Polls `find` until it finds something (the test's timeout bounds it). */
async function until<T>(find: () => T | undefined): Promise<T> {
  for (let found = find(); ; found = find()) {
    if (found !== undefined) return found;
    await sleep(2);
  }
}

describe('workspace upload: leftovers of a killed runtime', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  const served = useServedRuntime();
  const secondRuntime = useSecondRuntime();

  it("sweeps a killed unpack's and a dead removal's folders at start, and keeps a live process's", async () => {
    t = await makeTestRuntime();
    // Enough incompressible bytes that the unpack takes a while to write and add.
    for (let i = 0; i < 40; i += 1) writeFileSync(path.join(t.repo, `big-${i}.bin`), randomBytes(MB));
    const here = await served.serve(t);
    const repo = await workspaceRepository(here, t.repo, { mode: 'upload', maxBytes: 100 * MB, historyCommits: 0 });
    const agent = await here.createAgent({ name: 'kill', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const root = path.join(t.storage, 'workspaces');

    // Another runtime process on the storage unpacks the upload for a session and is killed in the middle.
    const second = await secondRuntime.start(t);
    const creating = second.client.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] }).then(() => 'created', () => 'failed');
    const unpacking = await until(() => (existsSync(root) ? readdirSync(root).find((n) => /^\.unpacking-[0-9a-f]{12}$/.test(n)) : undefined));
    await second.stop('SIGKILL');
    assert.equal(await creating, 'failed', 'the session was not created');
    assert.ok(existsSync(path.join(root, unpacking)), 'the killed unpack left its folder');
    assert.ok(readdirSync(root).some((n) => n.startsWith(`${unpacking}.claim-`)), 'and its claim, naming a dead process');

    // A removal whose process died (its claim names a pid that is gone), and an unpack a live process is doing now.
    const removing = '.removing-0123456789ab';
    mkdirSync(path.join(root, removing, 'src'), { recursive: true });
    writeFileSync(path.join(root, removing, 'src', 'app.js'), 'x');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(path.join(root, `${removing}.claim-0123456789abcdef`), JSON.stringify({ pid: dead, hostname: os.hostname(), at: Date.now() }));
    const live = '.unpacking-fedcba987654';
    let finish = () => {};
    const held = new UploadClaims(root).whileClaimed(live, async () => {
      mkdirSync(path.join(root, live));
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await until(() => (existsSync(path.join(root, live)) ? true : undefined));

    // A runtime starting on the storage (a window reload) sweeps the dead ones by itself.
    const reopened = t.reopen();
    await reopened.swept();
    assert.ok(!existsSync(path.join(root, unpacking)) && !existsSync(path.join(root, removing)), 'the start swept both');
    const sweeper = new UploadedWorkspaces(root, reopened.files);
    await sweeper.sweep();
    assert.ok(existsSync(path.join(root, live)), "a live process's unpack is kept");
    assert.deepEqual(readdirSync(root).filter((n) => !n.startsWith(live)), [], 'no claim or lock of the dead ones is left');

    finish();
    await held;
    // Its process ends without finishing (as if it failed before moving the folder into place): the next sweep takes it.
    await sweeper.sweep();
    assert.deepEqual(readdirSync(root), []);

    // The upload itself is intact: a session made from it now unpacks it whole.
    const session = await here.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });
    assert.ok(existsSync(path.join(sessionRepository(session.resources)!.path, 'big-39.bin')));
  });
});
