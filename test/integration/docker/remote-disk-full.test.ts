import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import type Dockerode from 'dockerode';
import { DiskFullError, DockerSandboxProvider } from '../../../src/sandbox/docker';
import { connectDocker, execCollect, type Container } from '../../../src/sandbox/docker/client';
import { resolveEngine } from '../../../src/sandbox/docker/engine';
import { LABEL_SESSION } from '../../../src/sandbox/docker/names';
import { SandboxSetupError } from '../../../src/sandbox/errors';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { startApi } from '../api/helpers';
import { env, makeRepo, retireAll, tmpDir } from './helpers';
import { textOf } from './remote-session';

// A remote engine that runs out of disk: the third dockerd that scripts/setup/docker-small-disk.sh runs, whose data
// root is a 1.5 GiB filesystem (mutual TLS on tcp://127.0.0.1:23764). Each test fills that disk through the engine's
// own API (a volume with a ballast file, as one could on any remote engine) to leave a set amount free, then does
// what a user does: starts a session there, sends a repository bigger than the space left, builds a devcontainer
// feature, lets the agent write too much. Each failure must say that the engine's disk is full, name the engine and
// say how to free it; the session's log (on this host) loses nothing, and freeing space is enough to go on.

const HOST = process.env.HANGAR_DOCKER_SMALL_HOST ?? 'tcp://127.0.0.1:23764';
const CERTS = process.env.HANGAR_DOCKER2_CERTS ?? '/var/lib/hangar-docker2/client';
const CONTEXT = 'hangar-small-disk';
const IMAGE = 'hangar-sandbox:latest';
const BALLAST_LABEL = 'hangar.test.ballast';
const BALLAST_VOLUME = 'hangar-test-ballast';
const MB = 1024 * 1024;

const ENGINE = new RegExp(`Docker engine at ${HOST.replace(/[.:/]/g, (c) => `\\${c}`)} \\(Docker context ${CONTEXT}\\)`);
const PRUNE = new RegExp(`docker --context ${CONTEXT} system prune`);

function makeContext(): string {
  const config = tmpDir('docker-config');
  const pem = (f: string) => path.join(CERTS, f);
  execFileSync('docker', ['--config', config, 'context', 'create', CONTEXT, '--docker', `host=${HOST},ca=${pem('ca.pem')},cert=${pem('cert.pem')},key=${pem('key.pem')}`], { stdio: 'ignore' });
  return config;
}

/**
 * The disk's filler: a container of its own holding a ballast volume, made while the disk has room. Its commands run
 * as execs, whose output streams back: a container's logs would be written to the full disk, and lost.
 */
class Ballast {
  private constructor(private readonly container: Container) {}

  static async start(engine: Dockerode): Promise<Ballast> {
    await Ballast.remove(engine);
    const container = await engine.createContainer({
      Image: IMAGE,
      User: 'root',
      Cmd: ['sleep', 'infinity'],
      Labels: { [BALLAST_LABEL]: '1' },
      HostConfig: { Binds: [`${BALLAST_VOLUME}:/b`], NetworkMode: 'none' },
    });
    await container.start();
    return new Ballast(container);
  }

  /** The ballast container and volume, and any a killed run left. */
  static async remove(engine: Dockerode): Promise<void> {
    for (const c of await engine.listContainers({ all: true, filters: { label: [BALLAST_LABEL] } })) await engine.getContainer(c.Id).remove({ force: true });
    await engine.getVolume(BALLAST_VOLUME).remove().catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
  }

  private async sh(script: string): Promise<string> {
    const r = await execCollect(this.container, { cmd: ['sh', '-c', script], user: 'root' });
    if (r.exitCode !== 0) throw new Error(`the ballast command failed (exit ${r.exitCode}): ${r.stderr.toString('utf8')}`);
    return r.stdout.toString('utf8');
  }

  /** Fills the engine's disk until `leave` bytes are free; returns how many are. */
  async fill(leave: number): Promise<number> {
    const out = await this.sh(`a=$(df -B1 --output=avail /b | tail -1); [ "$a" -le ${leave} ] || fallocate -l $((a - ${leave})) /b/fill-$(date +%s%N); df -B1 --output=avail /b | tail -1`);
    return Number(out.trim());
  }

  async empty(): Promise<void> {
    await this.sh('rm -f /b/fill-*');
  }
}

/** The session's containers and volumes on the engine: none may be left when a sandbox could not be made. */
async function leftOnEngine(engine: Dockerode, sessionId: string): Promise<string[]> {
  const containers = await engine.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${sessionId}`] } });
  const { Volumes } = await engine.listVolumes({ filters: { label: [`${LABEL_SESSION}=${sessionId}`] } });
  return [...containers.map((c) => `container ${c.Id}`), ...(Volumes ?? []).map((v) => `volume ${v.Name}`)];
}

type ToolResult = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const results = (es: readonly SessionEvent[]) => es.filter((e): e is ToolResult => e.type === 'agent.tool_result');
const idleCount = (es: readonly SessionEvent[]) => es.filter((e) => e.type === 'session.status_idle').length;

/** The session's second turn: one bash call of `command`, which must succeed and print `expected`; all events so far. */
async function secondTurn(t: TestRuntime, sessionId: string, command: string, expected: string): Promise<SessionEvent[]> {
  t.model.push(reply.tool('bash', { command }), reply.text('done'));
  await t.runtime.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'go on' }] }]);
  const events = await t.waitFor(sessionId, (es) => idleCount(es) >= 2, 120_000);
  const last = results(events).at(-1)!;
  assert.equal(last.is_error, false, textOf(last));
  assert.equal(textOf(last).trim(), expected);
  return events;
}

/** The session's log read back by a fresh runtime on the same storage: every event, in order, each tool call answered. */
async function assertLogIntact(t: TestRuntime, sessionId: string, seen: readonly SessionEvent[]): Promise<void> {
  await t.runtime.close();
  const reread = [...(await t.reopen().sessions.listEvents(sessionId, { limit: 100_000 })).data];
  assert.deepEqual(reread.map((e) => e.id), seen.map((e) => e.id), 'the log on this host holds every event the session emitted');
  const answered = new Set(results(reread).map((r) => r.tool_use_id));
  for (const use of reread.filter((e) => e.type === 'agent.tool_use')) assert.ok(answered.has(use.id), `tool call ${use.id} has its result in the log`);
}

describe('docker: a remote engine that runs out of disk (small-disk dockerd, TLS on loopback)', function () {
  this.timeout(300_000);
  let savedConfig: string | undefined;
  let engine: Dockerode;
  let ballast: Ballast;
  const providers: DockerSandboxProvider[] = [];
  const runtimes: TestRuntime[] = [];
  /** Sessions whose sandboxes were made: their volumes go after the test, or the small disk fills up run after run. */
  const made: (() => Promise<void>)[] = [];
  const provider = (storageRoot = tmpDir('store')) => {
    const p = new DockerSandboxProvider({ storageRoot, engine: CONTEXT });
    providers.push(p);
    return p;
  };

  before(async () => {
    savedConfig = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = makeContext();
    try {
      engine = await connectDocker({ target: resolveEngine(CONTEXT) });
      await engine.getImage(IMAGE).inspect();
    } catch (err) {
      throw new Error(`the small-disk Docker engine is not ready (${(err as Error).message}): run scripts/setup/docker-small-disk.sh`, { cause: err });
    }
    // A run killed mid-test may have left the disk full: its ballast goes first.
    ballast = await Ballast.start(engine);
  });
  afterEach(async () => {
    await ballast.empty();
    for (const t of runtimes.splice(0)) await t.close();
    for (const destroy of made.splice(0)) await destroy();
    await retireAll(providers.splice(0));
  });
  after(async () => {
    if (engine) await Ballast.remove(engine);
    if (savedConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedConfig;
  });

  it('an engine already full: the first tool call ends the turn naming the engine and the fix; once space is freed the next message runs', async () => {
    let p!: DockerSandboxProvider;
    const t = await makeTestRuntime({ provider: (storage) => (p = provider(storage)) });
    runtimes.push(t);
    assert.ok((await ballast.fill(0)) < MB, 'the engine is full');
    t.model.push(reply.tool('bash', { command: 'echo first' }));
    const sessionId = await t.start('go');
    made.push(() => p.destroy(sessionId));
    let events = await t.waitFor(sessionId, (es) => idleCount(es) >= 1, 120_000);

    const [failed] = results(events);
    assert.equal(failed?.is_error, true);
    assert.match(textOf(failed!), /^bash did not run: /);
    const error = events.find((e) => e.type === 'session.error');
    assert.ok(error?.type === 'session.error', 'the turn ends with a session error');
    assert.match(error.error.message, ENGINE);
    assert.match(error.error.message, /is out of disk space \(.*no space left on device/);
    assert.match(error.error.message, PRUNE);
    assert.match(error.error.message, /send the session a message to try again/);
    const last = events.at(-1);
    assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'retries_exhausted', 'the turn ends: no tool can run until space is freed');
    assert.deepEqual(await leftOnEngine(engine, sessionId), [], 'a sandbox that could not be made leaves nothing on the full disk');

    // Freed, the same session provisions on the next message: the failure was not remembered as a broken setup.
    await ballast.empty();
    events = await secondTurn(t, sessionId, 'echo second', 'second');
    await assertLogIntact(t, sessionId, events);
  });

  it('a repository bigger than the space left: the copy to the engine fails as a full disk, and leaves nothing behind', async () => {
    const files: Record<string, Buffer> = { 'README.md': Buffer.from('# big\n') };
    for (let i = 0; i < 6; i++) files[`data/blob-${i}.bin`] = Buffer.alloc(8 * MB, i + 1);
    const repoPath = makeRepo(files);
    assert.ok((await ballast.fill(24 * MB)) > 16 * MB, 'room for a container, not for the repository');
    await assert.rejects(provider().provision({ sessionId: 'sesn_bigrepo', environment: env(), repoPath }), (err: unknown) => {
      assert.ok(err instanceof DiskFullError, `a DiskFullError, not: ${String(err)}`);
      assert.match(err.message, ENGINE);
      assert.match(err.message, /out of disk space \(.*\/workspace\/data\/blob-\d\.bin: no space left on device\)/);
      assert.doesNotMatch(err.message, /HTTP code/, "dockerode's wrapping is not the user's business");
      assert.match(err.message, PRUNE);
      return true;
    });
    assert.deepEqual(await leftOnEngine(engine, 'sesn_bigrepo'), []);
  });

  // A feature is installed in a build container on the engine and committed there as an image: either step can find
  // the disk full. Neither is a setup that fails for good (freeing space is the fix), and neither leaves an image.
  const featureCases = [
    { when: 'its install.sh writes more than the space left', leave: 64 * MB, failed: /feature \.\/filler failed to install.*No space left on device/s },
    { when: 'its install fits, the image layer committed from it does not', leave: 300 * MB, failed: /\(Error processing tar file.*\/opt\/filler: no space left on device\)/ },
  ];
  for (const c of featureCases) {
    it(`a devcontainer feature: ${c.when}: a full disk, not a failed setup, and nothing left behind`, async () => {
      const json = (v: unknown) => JSON.stringify(v, null, 2);
      const repoPath = makeRepo({
        'README.md': '# s\n',
        '.devcontainer/devcontainer.json': json({ image: IMAGE, features: { './filler': {} } }),
        '.devcontainer/filler/devcontainer-feature.json': json({ id: 'filler', version: '1.0.0' }),
        // The run's time makes the feature's image new: one an earlier run built would be reused without an install.
        '.devcontainer/filler/install.sh': `#!/bin/sh\nset -e\n# run ${Date.now()}\nhead -c ${200 * MB} /dev/zero > /opt/filler\n`,
      });
      await ballast.fill(c.leave);
      await assert.rejects(provider().provision({ sessionId: 'sesn_feature', environment: env(), repoPath }), (err: unknown) => {
        assert.ok(err instanceof DiskFullError, `a DiskFullError, not: ${String(err)}`);
        assert.ok(!(err instanceof SandboxSetupError), 'not remembered as a setup that fails for good');
        assert.match(err.message, ENGINE);
        assert.match(err.message, c.failed);
        assert.match(err.message, PRUNE);
        return true;
      });
      assert.deepEqual(await leftOnEngine(engine, 'sesn_feature'), []);
      assert.deepEqual((await engine.listImages()).flatMap((i) => i.RepoTags ?? ['<untagged>']), [IMAGE], 'no feature image, whole or partial');
    });
  }

  it('a file attached to a live session that does not fit: the attach fails naming the engine, and the session is as before', async () => {
    const f = await startApi({ provider: (storage) => provider(storage) });
    try {
      const c = f.client;
      const session = await f.session((await f.agent()).id);
      made.push(() => providers.at(-1)!.destroy(session.id));
      f.t.model.push(reply.tool('bash', { command: 'echo started' }), reply.text('ready'));
      await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'start' }] }] });
      await f.t.waitFor(session.id, (es) => idleCount(es) >= 1, 120_000);
      const resourcesBefore = (await c.beta.sessions.resources.list(session.id)).data;

      const file = await c.beta.files.upload({ file: await toFile(Buffer.alloc(32 * MB, 7), 'big.bin') });
      await ballast.fill(8 * MB);
      await assert.rejects(c.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id }), (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError, String(err));
        assert.equal(err.status, 507, 'Insufficient Storage: the engine\'s disk to free, not an internal error');
        assert.doesNotMatch(err.message, /Internal error/);
        assert.match(err.message, ENGINE);
        assert.match(err.message, /out of disk space \(.*no space left on device\)/);
        assert.doesNotMatch(err.message, /HTTP code/);
        assert.match(err.message, PRUNE);
        return true;
      });
      assert.deepEqual((await c.beta.sessions.resources.list(session.id)).data, resourcesBefore, 'the session does not list a file it does not have');

      // Freed, the same file attaches, and the session goes on with it.
      await ballast.empty();
      await c.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id });
      const events = await secondTurn(f.t, session.id, `wc -c < /mnt/session/uploads/${file.id}`, String(32 * MB));
      await assertLogIntact(f.t, session.id, events);
    } finally {
      await f.close();
    }
  });

  it('the agent writes more than the engine holds: the results say whose disk is full, so does review, the session goes on, its log is intact', async () => {
    let p!: DockerSandboxProvider;
    const t = await makeTestRuntime({ provider: (storage) => (p = provider(storage)) });
    runtimes.push(t);
    t.model.push(
      reply.tool('bash', { command: `head -c ${256 * MB} /dev/zero > big.bin; echo "exit=$?"` }),
      reply.tool('write', { file_path: 'note.txt', content: 'x'.repeat(64 * 1024) }),
      reply.text('the disk is full'),
    );
    // Room for the sandbox (a container and the small repository), not for what the agent writes.
    await ballast.fill(64 * MB);
    const sessionId = await t.start('fill it');
    made.push(() => p.destroy(sessionId));
    let events = await t.waitFor(sessionId, (es) => idleCount(es) >= 1, 180_000);
    const [bash, write] = results(events);
    assert.ok(bash && write);
    assert.match(textOf(bash), /No space left on device/);
    assert.match(textOf(bash), /exit=1/);
    assert.match(textOf(bash), /\[sandbox\] No space left on device: this sandbox's files are on the Docker engine at /);
    assert.match(textOf(bash), ENGINE);
    assert.match(textOf(bash), /\d+ MB of \d+(\.\d+)? [MG]B are free there now/);
    assert.match(textOf(bash), PRUNE);
    assert.equal(write.is_error, true);
    assert.deepEqual(write.content?.map((b) => (b.type === 'text' ? b.text.slice(0, 60) : b.type)), ['note.txt: no space left on device', "[sandbox] No space left on device: this sandbox's files are "]);
    // A call that fills the disk is that call's failure, not the session's; what the session says is that its steps
    // have no rewind point (the checkpoint has no room either), once for both calls, and that it goes on.
    const notices = events.filter((e): e is Extract<SessionEvent, { type: 'session.error' }> => e.type === 'session.error');
    assert.deepEqual(notices.map((e) => e.error.retry_status.type), ['retrying']);
    assert.match(notices[0]!.error.message, /^No rewind point for this step: recording the sandbox's files failed \(.*\)\. The session goes on/s);
    assert.match(notices[0]!.error.message, /space/i);

    // Review while the disk is full: copy mode reads the files in the container, which needs room there. It says so;
    // it must not show the repository's files as deleted.
    await assert.rejects(t.runtime.sessions.changes(sessionId), (err: unknown) => err instanceof DiskFullError && ENGINE.test(err.message) && PRUNE.test(err.message));

    // The agent frees what it wrote; the same sandbox goes on, and review sees the session's real changes.
    events = await secondTurn(t, sessionId, 'rm big.bin && echo kept > after.txt && cat after.txt', 'kept');
    const changes = await t.runtime.sessions.changes(sessionId);
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['after.txt', 'added']]);
    assert.ok(events.some((e) => e.type === 'hangar.checkpoint' && e.trigger === 'tool_call'), 'with room again, the step has its rewind point');
    await assertLogIntact(t, sessionId, events);
  });
});
