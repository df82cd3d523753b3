import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { reply } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { LABEL_MANAGED, LABEL_ROOT, LABEL_SESSION, rootKey } from '../../../src/sandbox/docker/names';
import { readState } from '../../../src/sandbox/docker/state';
import { SESSION_OUTPUTS_DIR } from '../../../src/wire';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { requireDocker, TIMEOUT } from './helpers';

// The warm pool serving runtime sessions, as the extension and `hangar serve` run them: every session binds its
// outputs dir, which a started container cannot take, so a warm container binds a dir of its own that becomes the
// session's when it claims the container. What the agent leaves in /mnt/session/outputs must be captured as that
// session's outputs, each container serves one session, and a warm container that died is not handed out.

describe('docker sandbox: warm pool serving runtime sessions', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  let t: TestRuntime;
  let provider: DockerSandboxProvider;
  before(async () => {
    docker = await requireDocker();
  });
  beforeEach(async () => {
    t = await makeTestRuntime({ provider: (storage) => (provider = new DockerSandboxProvider({ storageRoot: storage, warmPool: 1 })) });
  });
  afterEach(async () => {
    await t.runtime.close();
    await provider.reap(new Set());
    await t.close();
  });

  /** Unclaimed warm containers of this runtime (claiming renames one after its session). */
  const warmIds = async () =>
    (await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(provider.root)}`, `${LABEL_SESSION}=pool`] } }))
      .filter((c) => c.Names.some((n) => n.includes('-pool-')))
      .map((c) => c.Id);

  /** Runs one session that writes `name` into its outputs; its container and its captured outputs (name → text). */
  async function session(name: string): Promise<{ id: string; container: string; outputs: Record<string, string> }> {
    t.model.push(reply.tool('bash', { command: `printf ${name} > ${SESSION_OUTPUTS_DIR}/${name}.txt && echo wrote` }), reply.text('ok'));
    const id = await t.start('write your file');
    const events = await t.waitFor(id, idleAfter(1), 60_000);
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.ok(result && !('is_error' in result && result.is_error), `the tool failed: ${JSON.stringify(result)}`);
    const outputs = await until(async () => {
      const files = (await t.runtime.files.list({ scope_id: id })).data;
      return files.length > 0 ? files : null;
    });
    const texts: Record<string, string> = {};
    for (const f of outputs) texts[f.filename] = fs.readFileSync((await t.runtime.files.content(f.id)).path, 'utf8');
    const state = await readState(provider.root, id);
    assert.ok(state?.containerId, 'the session records its container');
    return { id, container: state.containerId, outputs: texts };
  }

  it("a warm container serves one session, its outputs land in the session's outputs, the next session gets another", async () => {
    const first = await session('first');
    assert.deepEqual(first.outputs, { 'first.txt': 'first' });

    // The first session's environment and repository are warmed for the next one.
    await provider.poolSettled();
    const [warm] = await warmIds();
    assert.ok(warm, 'a warm container after the first session');
    const second = await session('second');
    assert.equal(second.container, warm, 'the second session runs in the warm container');
    assert.deepEqual(second.outputs, { 'second.txt': 'second' });
    // Where the runtime reads a session's outputs from: the warm container's dir now is that directory.
    const outputsOf = (id: string) => fs.readdirSync(path.join(t.storage, 'sessions', id, 'outputs')).sort();
    assert.deepEqual(outputsOf(second.id), ['second.txt']);
    assert.deepEqual(outputsOf(first.id), ['first.txt']);

    // A file attached to the live session that claimed the warm container is copied into it: the engine's archive call
    // mounts every bind of the container by its source path, the warm container's old outputs path included.
    const fileDir = fs.mkdtempSync(path.join(t.storage, 'attach-'));
    fs.writeFileSync(path.join(fileDir, 'notes.txt'), 'attached to the claimed container\n');
    const file = await t.runtime.files.uploadPath(path.join(fileDir, 'notes.txt'));
    const attached = await t.runtime.attachments.add(second.id, { type: 'file', file_id: file.id });
    t.model.push(reply.tool('bash', { command: `cat ${attached.mount_path}` }), reply.text('read'));
    await t.runtime.sessions.send(second.id, [{ type: 'user.message', content: [{ type: 'text', text: 'read the file' }] }]);
    const read = (await t.waitFor(second.id, idleAfter(2), 60_000)).filter((e) => e.type === 'agent.tool_result').at(-1);
    assert.match(JSON.stringify(read), /attached to the claimed container/);

    await provider.poolSettled();
    const third = await session('third');
    assert.ok(![first.container, second.container].includes(third.container), 'a container serves one session only');
    assert.deepEqual(third.outputs, { 'third.txt': 'third' });
    assert.deepEqual(outputsOf(second.id), ['second.txt'], "another session's files never land in this one's outputs");
  });

  it('a warm container that died is not handed out; the session gets a running one', async () => {
    await session('first');
    await provider.poolSettled();
    const [warm] = await warmIds();
    assert.ok(warm);
    await docker.getContainer(warm).kill();
    const next = await session('next');
    assert.notEqual(next.container, warm);
    assert.deepEqual(next.outputs, { 'next.txt': 'next' });
  });
});

async function until<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error('timed out waiting for the outputs to be captured');
    await new Promise((r) => setTimeout(r, 100));
  }
}
