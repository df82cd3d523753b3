import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { connectDocker, type Docker } from '../../../src/sandbox/docker/client';
import { createAndStart } from '../../../src/sandbox/docker/container';
import { LABEL_ROOT, LABEL_SESSION, labels, rootKey } from '../../../src/sandbox/docker/names';
import { DEFAULT_IMAGE } from '../../../src/sandbox/docker/plan';
import { EXIT } from '../../../src/cli/exit-codes';
import { heldDir, markRetired, retiredDir } from '../../../src/sandbox/docker/retire';
import { readState } from '../../../src/sandbox/docker/state';
import { SandboxEnvironment } from '../../../src/wire/environment';
import { useCli } from './harness';

// A one-shot `hangar run` on Docker exits without waiting for its container's removal (a detached process removes
// it): the exit code and the printed diff are those of the session, the container is gone soon after, and a
// container whose removal was cut short (the remover killed) is gone after the next run, and so is the container of a
// run that was killed outright (SIGKILL: nothing of it ran on the way out).

async function ours(docker: Docker, root: string): Promise<string[]> {
  return (await oursListed(docker, root)).map((c) => c.Id);
}

function oursListed(docker: Docker, root: string) {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_ROOT}=${rootKey(root)}`] } });
}

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('hangar run on Docker: teardown after exit (Docker required)', function () {
  this.timeout(240_000);
  const t = useCli();
  let docker: Docker;

  before(async () => {
    docker = await connectDocker();
  });

  it('exits with the session’s code and diff; its container is removed after exit, a left-behind one by the next run', async () => {
    const root = path.join(t.home, 'docker');
    t.model.push(reply.tool('bash', { command: 'echo from the container > notes.txt' }), reply.text('done'));
    // No warm container left for a next run (shared-pool.test.ts covers those): every container here is a session's.
    const noWarm = { HANGAR_WARM_POOL: '0' };
    const r = await t.hangar(['run', '--provider', 'docker', '--repo', t.repo, 'write notes'], noWarm);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+from the container/, 'the diff is printed before exit');
    await until('the container removed', async () => (await ours(docker, root)).length === 0);
    await until('the retired entry cleared', async () => fs.readdirSync(retiredDir(root)).length === 0);

    // What a remover killed mid-way leaves: a running container recorded as retired.
    const left = await createAndStart(docker, {
      name: `hangar-${rootKey(root)}-left-behind`,
      image: DEFAULT_IMAGE,
      user: 'agent',
      env: [],
      labels: labels(root, 'left-behind', 'left-behind'),
      volume: `hangar-test-left-${process.pid}`,
      limits: SandboxEnvironment.parse({ type: 'cloud' }).hangar.limits,
      networkMode: 'none',
    });
    await markRetired(root, [left.id]);
    t.model.push(reply.text('nothing to do'));
    const next = await t.hangar(['run', '--provider', 'docker', '--repo', t.repo, 'nothing'], noWarm);
    assert.equal(next.code, 0, next.stderr);
    await until('every container of this storage removed', async () => (await ours(docker, root)).length === 0);
    await docker.getVolume(`hangar-test-left-${process.pid}`).remove({ force: true });
  });

  it('a run killed mid-tool leaves its container only until the next run starts, which removes it without waiting for it', async () => {
    const root = path.join(t.home, 'docker');
    const noWarm = { HANGAR_WARM_POOL: '0' };
    t.model.push(reply.tool('bash', { command: 'sleep 120' }), reply.text('never reached'));
    const killed = spawn(process.execPath, [t.cli, 'run', '--provider', 'docker', '--repo', t.repo, 'wait a while'], { env: t.env(noWarm), stdio: 'ignore' });
    const exited = new Promise((resolve) => killed.on('exit', resolve));
    let session = '';
    await until('the killed run’s container running its tool', async () => {
      const running = (await oursListed(docker, root)).find((c) => c.State === 'running');
      session = running?.Labels[LABEL_SESSION] ?? '';
      return session !== '' && fs.existsSync(path.join(heldDir(root), session)) && (await readState(root, session))?.containerId === running?.Id;
    });
    killed.kill('SIGKILL');
    await exited;
    assert.equal((await ours(docker, root)).length, 1, 'nothing of the killed run removed its container');

    t.model.push(reply.text('nothing to do'));
    const next = await t.hangar(['run', '--provider', 'docker', '--repo', t.repo, 'nothing'], noWarm);
    assert.equal(next.code, 0, next.stderr);
    await until('the killed run’s container removed', async () => (await ours(docker, root)).length === 0);
    assert.deepEqual(fs.readdirSync(heldDir(root)), [], 'no process holds a container any more');
    // Its files stay for the session to go on in a new container: only the container went.
    const state = await readState(root, session);
    assert.ok(state, 'the killed session keeps its sandbox state');
    await docker.getVolume(state.volume).inspect();
  });

  it('a devcontainer setup step that fails ends `run --json` non-zero with a session error naming the step, run once and never shown to the model', async () => {
    fs.mkdirSync(path.join(t.repo, '.devcontainer'));
    const dc = { image: DEFAULT_IMAGE, postCreateCommand: 'echo preparing >> /tmp/setup-runs; echo missing toolchain >&2; exit 4' };
    fs.writeFileSync(path.join(t.repo, '.devcontainer', 'devcontainer.json'), JSON.stringify(dc));
    t.model.push(reply.tool('bash', { command: 'cat /tmp/setup-runs' }), reply.text('done'));
    const r = await t.hangar(['run', '--json', '--provider', 'docker', '--repo', t.repo, 'build it']);
    assert.equal(r.code, EXIT.sessionFailed, `${r.stdout}\n${r.stderr}`);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; error?: { message: string }; is_error?: boolean; content?: unknown });
    const errors = events.filter((e) => e.type === 'session.error').map((e) => e.error?.message ?? '');
    assert.equal(errors.length, 1, r.stdout);
    assert.match(errors[0] as string, /the devcontainer's postCreateCommand "\/bin\/sh -c echo preparing.*" failed with exit code 4:\n(?:preparing\n)?missing toolchain/s);
    // The sandbox is provisioned for the first tool call: that call is recorded as not run, and the turn ends there.
    const results = events.filter((e) => e.type === 'agent.tool_result');
    assert.equal(results.length, 1, r.stdout);
    assert.match(JSON.stringify(results[0]?.content), /bash did not run: the devcontainer's postCreateCommand/);
    assert.equal(t.model.requests.length, 1, 'the model is not asked to go on after a failed setup: it never sees the failure as a tool error to work around');
  });
});
