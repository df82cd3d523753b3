import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { sessionRepository } from '../../../src/wire/session-repository';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useSecondRuntime } from '../../support/second-runtime';
import { useServedRuntime } from '../../support/served-runtime';

// Two runtime processes on one storage (two windows, or a window and `hangar serve`, on one Hangar home) and one
// uploaded workspace (issue #15 §2): deleting the last session of the upload in one process while the other creates a
// session from the same upload must leave the new session its unpacked copy. Real concurrent requests over HTTP, to
// the test's runtime and to a second Node process; each round deletes the only session of the upload on one side
// while the other side creates the next.

const MB = 1024 * 1024;
const ROUNDS = 12;

describe('workspace upload: removal and creation racing across processes', function () {
  this.timeout(120_000);
  let t: TestRuntime;
  const served = useServedRuntime();
  const second = useSecondRuntime();

  async function secondProcess(): Promise<RemoteRuntimeClient> {
    return (await second.start(t)).client;
  }

  it('keeps the unpacked copy for a session created while the last other one is deleted', async () => {
    t = await makeTestRuntime();
    const here = await served.serve(t);
    const there = await secondProcess();
    const repo = await workspaceRepository(here, t.repo, { mode: 'upload', maxBytes: MB });
    const agent = await here.createAgent({ name: 'race', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const create = (c: RemoteRuntimeClient) => c.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });

    const sides = [here, there];
    let current = await create(here);
    let owner = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const next = 1 - owner;
      // The only session of the upload goes on one side while the other makes a new one from the same upload.
      const [, made] = await Promise.all([sides[owner]!.deleteSession(current.id), create(sides[next]!)]);
      const copy = sessionRepository(made.resources)!.path;
      assert.ok(existsSync(path.join(copy, 'src', 'app.js')), `round ${round}: the new session's copy ${copy} was removed under it`);
      assert.equal(readFileSync(path.join(copy, 'README.md'), 'utf8'), '# sample\n');
      current = made;
      owner = next;
    }
    const copy = sessionRepository(current.resources)!.path;
    await sides[owner]!.deleteSession(current.id);
    assert.equal(existsSync(copy), false, 'the last session of the upload still takes the copy with it');
    assert.deepEqual(readdirSync(path.dirname(copy)), [], 'no claim or lock is left behind');
  });

  it('does not keep a copy for the claim of a process that died mid-creation', async () => {
    t = await makeTestRuntime();
    const here = await served.serve(t);
    const repo = await workspaceRepository(here, t.repo, { mode: 'upload', maxBytes: MB });
    const agent = await here.createAgent({ name: 'crash', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await here.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });
    const copy = sessionRepository(session.resources)!.path;
    // What a creation killed before its record was stored leaves: a claim naming a process that is gone.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const claim = `${copy}.claim-0123456789abcdef`;
    writeFileSync(claim, JSON.stringify({ pid: dead, hostname: os.hostname(), at: Date.now() }));
    await here.deleteSession(session.id);
    assert.equal(existsSync(copy), false, 'the dead claim does not keep the copy');
    assert.equal(existsSync(claim), false, 'and is removed');
  });
});
