import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type Docker from 'dockerode';
import { reply } from '../../../src/model/scripted';
import { Runtime } from '../../../src/runtime';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { containerName } from '../../../src/sandbox/docker/names';
import { readState } from '../../../src/sandbox/docker/state';
import { MemoryVault } from '../../../src/vault/memory';
import { modelClientFor } from '../../support/model-apis';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { requireDocker, TIMEOUT, tmpDir } from './helpers';

// A sandbox whose engine stops answering (the Docker engine stopped, a remote engine's link gone) cannot be released:
// the session's agent update and delete still complete, the user is told what is left (container and engine by
// name, and the command that removes it), and the next runtime start removes it once the engine answers again. The
// engine is the real one, reached through a socket this test forwards and can stop, so nothing else on it is touched.

/** A unix socket forwarded to the real engine's; stop() is the engine going away for whoever connects through it. */
class EngineLink {
  readonly socket: string;
  private server: net.Server | null = null;
  private readonly open = new Set<net.Socket>();

  constructor(dir: string) {
    this.socket = path.join(dir, 'docker.sock');
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      const engine = net.connect('/var/run/docker.sock');
      for (const s of [client, engine]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(engine).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.socket, resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('sandbox leftovers: a sandbox whose engine stopped answering', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  let link: EngineLink;
  let t: TestRuntime;
  let provider: DockerSandboxProvider;
  const notices: { id: string; message: string }[] = [];
  const later: Runtime[] = [];

  before(async () => {
    docker = await requireDocker();
  });

  beforeEach(async () => {
    notices.length = 0;
    link = new EngineLink(tmpDir('engine-link'));
    await link.start();
    t = await makeTestRuntime({
      script: [reply.tool('bash', { command: 'echo made > made.txt' }), reply.text('done')],
      provider: (storage) => (provider = new DockerSandboxProvider({ storageRoot: storage, engine: `unix://${link.socket}` })),
      runtime: { onProgress: (id, message, notice) => (notice ? notices.push({ id, message }) : undefined) },
    });
  });

  afterEach(async () => {
    await link.start();
    for (const r of later.splice(0)) await r.close();
    await provider.reap(new Set()).catch(() => undefined);
    await t.close();
    await link.stop();
  });

  /** A session whose container ran a command, and that container's name. */
  async function sessionWithContainer(): Promise<{ id: string; container: string }> {
    const id = await t.start('make a file');
    await t.waitFor(id, idleAfter(1), 120_000);
    const container = containerName(provider.root, id);
    assert.equal((await docker.getContainer(container).inspect()).State.Running, true);
    return { id, container };
  }

  /** A runtime started again on the same storage, with the engine reachable: its start sweeps the leftovers. */
  function restart(): Runtime {
    const next = new Runtime({
      storageRoot: t.storage,
      vault: new MemoryVault(),
      sandbox: (provider = new DockerSandboxProvider({ storageRoot: t.storage, engine: `unix://${link.socket}` })),
      model: modelClientFor('anthropic', t.model.url),
      owner: 'restarted',
    });
    later.push(next);
    return next;
  }

  const gone = (container: string) => docker.getContainer(container).inspect().then(() => false, (err: { statusCode?: number }) => err.statusCode === 404);

  it('an agent update completes, says which container on which engine is left and how to remove it; the next start stops it', async () => {
    const { id, container } = await sessionWithContainer();
    await link.stop();

    const updated = await t.runtime.sessions.update(id, { agent: { tools: [{ type: 'agent_toolset_20260401', default_config: { enabled: false } }] } });
    assert.equal(updated.id, id);
    const told = notices.filter((n) => n.id === id);
    assert.equal(told.length, 1, JSON.stringify(notices));
    assert.match(told[0]!.message, new RegExp(`Left behind: container ${container}, still running, on the Docker engine at unix://${link.socket}`));
    assert.ok(told[0]!.message.includes(`docker -H unix://${link.socket} rm -f ${container}`), told[0]!.message);
    const [left] = await t.runtime.sandboxLeftovers();
    assert.equal(left?.session_id, id);
    assert.equal(left?.after, 'release');
    assert.equal((await docker.getContainer(container).inspect()).State.Running, true, 'the container the release could not stop is still there');

    await link.start();
    await t.runtime.close();
    const next = restart();
    await next.swept();
    assert.deepEqual(await next.sandboxLeftovers(), []);
    assert.ok(await gone(container), 'the start sweep removed the container');
    // The session's files stay: only its container went.
    assert.ok(await readState(provider.root, id));
    assert.equal((await next.sessions.retrieve(id)).id, id);
  });

  it('a delete completes, says what is left of the sandbox and how to remove it; a reap once the engine is back removes it', async () => {
    const { id, container } = await sessionWithContainer();
    const volume = (await readState(provider.root, id))!.volume;
    await link.stop();

    assert.deepEqual(await t.runtime.deleteSession(id), { id, type: 'session_deleted' });
    assert.equal(fs.existsSync(path.join(t.storage, 'sessions', id)), false, 'the session is deleted');
    const told = notices.filter((n) => n.id === id);
    // One notice, the removal's: the release's failure before it is settled by the removal.
    assert.equal(told.length, 1, JSON.stringify(notices));
    assert.match(told[0]!.message, /was not removed with the session/);
    assert.ok(told[0]!.message.includes(`container ${container} and volume ${volume} on the Docker engine at unix://${link.socket}`), told[0]!.message);
    assert.deepEqual((await t.runtime.sandboxLeftovers()).map((l) => [l.session_id, l.after]), [[id, 'delete']]);

    // A reap while the engine is still away removes nothing and keeps the record.
    await assert.rejects(t.runtime.reap());
    assert.equal((await t.runtime.sandboxLeftovers()).length, 1);

    await link.start();
    assert.ok((await t.runtime.reap()).includes(id));
    assert.deepEqual(await t.runtime.sandboxLeftovers(), []);
    assert.ok(await gone(container), 'the container is removed');
    assert.equal(await docker.getVolume(volume).inspect().then(() => true, () => false), false, 'the volume is removed');
  });
});
