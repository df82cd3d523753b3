import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { RuntimeError } from '../../../src/runtime/errors';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { SandboxDamagedError } from '../../../src/sandbox/errors';
import { NO_NETWORK, type SandboxEnvironment } from '../../../src/wire';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';

// What a kill or a power cut can leave in the storage around a session log, and how a runtime lives with it: one
// damaged session is listed as damaged with its fix, and never takes the listing, serve's resume or the others down.

describe('crash: damaged session storage', function () {
  this.timeout(60_000);
  let t: TestRuntime;

  beforeEach(async () => {
    t = await makeTestRuntime({ script: () => reply.text('done') });
  });
  afterEach(async () => t.close());

  const sessionsDir = () => path.join(t.storage, 'sessions');
  const newSession = async () => (await t.runtime.sessions.create({ agent: await t.agent(), environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;

  it('creates a session whole: record and empty log appear together, staging dirs are never listed', async () => {
    const id = await newSession();
    assert.deepEqual((await fsp.readdir(path.join(sessionsDir(), id))).filter((n) => n === 'session.json' || n === 'events.jsonl').sort(), ['events.jsonl', 'session.json']);
    assert.deepEqual((await fsp.readdir(sessionsDir())).filter((n) => n.startsWith('.')), [], 'no staging directory is left behind');
    // What a kill during creation leaves now: a hidden staging dir. Listed as nothing; removed once abandoned.
    const staging = path.join(sessionsDir(), `.creating-${id}x.abcd`);
    await fsp.mkdir(staging);
    await fsp.writeFile(path.join(staging, 'session.json'), '{"type":');
    const page = await t.runtime.sessions.list({});
    assert.deepEqual(page.data.map((s) => s.id), [id]);
    assert.deepEqual(page.damaged, []);
    const old = new Date(Date.now() - 3_600_000);
    await fsp.utimes(staging, old, old);
    await t.runtime.sessions.list({});
    await assert.rejects(fsp.stat(staging), { code: 'ENOENT' });
  });

  it('a record without a log (a kill between the two, before creation was atomic) is a session with no events yet', async () => {
    const healthy = await newSession();
    const half = await newSession();
    await t.runtime.deleteSession(half).catch(() => undefined);
    // Rebuild the old half-made state by hand: session.json only.
    const record = JSON.parse(await fsp.readFile(path.join(sessionsDir(), healthy, 'session.json'), 'utf8')) as { id: string };
    await fsp.mkdir(path.join(sessionsDir(), half));
    await fsp.writeFile(path.join(sessionsDir(), half, 'session.json'), JSON.stringify({ ...record, id: half }));
    const page = await t.runtime.sessions.list({});
    assert.deepEqual(page.data.map((s) => s.id).sort(), [healthy, half].sort());
    assert.deepEqual(page.damaged, []);
    assert.deepEqual(await t.runtime.sessions.resumeInterrupted(), []);
    assert.equal((await t.runtime.sessions.retrieve(half)).status, 'idle');
    await t.runtime.sessions.send(half, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    const events = await t.waitFor(half, idleAfter(1));
    assert.equal(events.at(-1)?.type, 'session.status_idle');
  });

  it('a torn session.json is listed as damaged with the fix; the others list, resume and delete works on it', async () => {
    const healthy = await newSession();
    const torn = await newSession();
    await t.runtime.sessions.send(torn, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    await t.waitFor(torn, idleAfter(1));
    await fsp.writeFile(path.join(sessionsDir(), torn, 'session.json'), '');
    const page = await t.runtime.sessions.list({});
    assert.deepEqual(page.data.map((s) => s.id), [healthy]);
    assert.equal(page.damaged.length, 1);
    assert.equal(page.damaged[0]!.id, torn);
    assert.match(page.damaged[0]!.problem, /session\.json is not JSON/);
    assert.match(page.damaged[0]!.fix, new RegExp(`hangar delete ${torn}`));
    assert.deepEqual(await t.runtime.sessions.resumeInterrupted(), []);
    const err = await t.runtime.sessions.retrieve(torn).then(
      () => assert.fail('a damaged session was retrieved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RuntimeError && err.code === 'damaged', String(err));
    assert.match(err.message, /session\.json is not JSON.*hangar delete/);
    await t.runtime.deleteSession(torn);
    assert.deepEqual((await t.runtime.sessions.list({})).damaged, []);
    await assert.rejects(fsp.stat(path.join(t.storage, 'sandboxes', torn)), { code: 'ENOENT' }, 'its sandbox went with it');
  });

  it('a directory without session.json and a log damaged in the middle are listed as damaged, not thrown', async () => {
    const healthy = await newSession();
    const bare = await newSession();
    const corrupt = await newSession();
    await t.runtime.sessions.send(corrupt, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    await t.waitFor(corrupt, idleAfter(1));
    await t.runtime.close();
    await fsp.rm(path.join(sessionsDir(), bare, 'session.json'));
    const log = path.join(sessionsDir(), corrupt, 'events.jsonl');
    const lines = (await fsp.readFile(log, 'utf8')).split('\n');
    lines[0] = lines[0]!.replace('"s":0', '"s":0 ');
    await fsp.writeFile(log, lines.join('\n'));
    // A second runtime on the same storage, as the next CLI command would be.
    const next = await makeTestRuntime({ storage: t.storage, script: () => reply.text('done') });
    try {
      const page = await next.runtime.sessions.list({});
      assert.deepEqual(page.data.map((s) => s.id), [healthy]);
      assert.deepEqual(page.damaged.map((d) => d.id).sort(), [bare, corrupt].sort());
      assert.match(page.damaged.find((d) => d.id === bare)!.problem, /has no session\.json/);
      assert.match(page.damaged.find((d) => d.id === corrupt)!.problem, /events\.jsonl: line 1/);
      await next.runtime.deleteSession(bare);
      await next.runtime.deleteSession(corrupt);
      assert.deepEqual((await next.runtime.sessions.list({})).damaged, []);
    } finally {
      await next.close();
    }
  });

  it('a torn sandbox.json is rebuilt from the baseline: the work survives, tools and diff work; without a baseline it says what to do', async () => {
    const environment: SandboxEnvironment = { type: 'cloud', networking: NO_NETWORK, packages: { apt: [], cargo: [], gem: [], go: [], npm: [], pip: [] }, hangar: { limits: { memory_mb: 2048, cpus: 2, pids: 512 } } };
    const spec = { sessionId: 'sesn_torn', repoPath: t.repo, environment };
    const first = new LocalSandboxProvider({ storageRoot: t.storage });
    const written = await (await first.provision(spec)).execute('write', { file_path: 'notes.txt', content: 'kept\n' });
    assert.equal(written.is_error, false);
    await first.close();
    const manifest = path.join(t.storage, 'sandboxes', spec.sessionId, 'sandbox.json');
    // What a kill during a non-atomic write left: before the fix every tool failed with "Unexpected end of JSON input".
    await fsp.writeFile(manifest, '');
    const second = new LocalSandboxProvider({ storageRoot: t.storage });
    const progress: string[] = [];
    const sandbox = await second.provision({ ...spec, onProgress: (m) => progress.push(m) });
    assert.deepEqual((await sandbox.changes()).files.map((f) => f.path), ['notes.txt']);
    const read = await sandbox.execute('read', { file_path: 'notes.txt' });
    assert.equal(read.is_error, false);
    assert.match(JSON.stringify(read.content), /kept/);
    assert.ok(progress.some((m) => /Rebuilt the damaged sandbox\.json/.test(m)), progress.join('\n'));
    JSON.parse(await fsp.readFile(manifest, 'utf8'));
    await second.close();
    await fsp.writeFile(manifest, '');
    await fsp.rm(path.join(t.storage, 'sandboxes', spec.sessionId, 'baseline.git'), { recursive: true });
    const third = new LocalSandboxProvider({ storageRoot: t.storage });
    await assert.rejects(third.provision(spec), (err: Error) => err instanceof SandboxDamagedError && /sandbox\.json is not JSON/.test(err.message) && err.message.includes('hangar delete sesn_torn'));
    await third.destroy(spec.sessionId);
  });

  it('a session whose sandbox is damaged beyond repair ends its turn with a session.error naming the fix and idle retries_exhausted', async () => {
    const id = await newSession();
    t.model.push(reply.tool('write', { file_path: 'notes.txt', content: 'kept\n' }), reply.text('wrote it'));
    await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'write notes' }] }]);
    await t.waitFor(id, idleAfter(1));
    await t.runtime.close();
    // A torn manifest and no baseline to rebuild it from: no tool can run in this sandbox any more.
    const sandboxDir = path.join(t.storage, 'sandboxes', id);
    await fsp.writeFile(path.join(sandboxDir, 'sandbox.json'), '');
    await fsp.rm(path.join(sandboxDir, 'baseline.git'), { recursive: true });
    const next = await makeTestRuntime({ storage: t.storage, script: [reply.tool('bash', { command: 'ls' })] });
    try {
      await next.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'look around' }] }]);
      const events = await next.waitFor(id, idleAfter(2));
      const turn = events.slice(events.findLastIndex((e) => e.type === 'user.message'));
      const idle = turn.at(-1);
      assert.ok(idle?.type === 'session.status_idle', `the turn ends idle (last: ${idle?.type})`);
      assert.equal(idle.stop_reason.type, 'retries_exhausted', 'not end_turn, as if all were fine');
      const errors = turn.flatMap((e) => (e.type === 'session.error' ? [e.error] : []));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.retry_status.type, 'exhausted');
      assert.match(errors[0]!.message, /sandbox .*is damaged/);
      assert.match(errors[0]!.message, /sandbox\.json is not JSON/);
      assert.ok(errors[0]!.message.includes(`hangar delete ${id}`), errors[0]!.message);
      const uses = turn.filter((e) => e.type === 'agent.tool_use');
      assert.equal(uses.length, 1, 'the model is not asked again once the sandbox is known to be unusable');
      const results = turn.filter((e) => e.type === 'agent.tool_result');
      assert.equal(results.length, 1);
      assert.ok(results[0]!.type === 'agent.tool_result' && results[0]!.tool_use_id === uses[0]!.id && results[0]!.is_error);
      assert.match(JSON.stringify(results[0]!.content), /damaged/);
      // The session still talks: the next message gets a valid request (the failed call is answered in the context).
      next.model.push(reply.text('understood'));
      await next.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'ok, just answer' }] }]);
      const after = await next.waitFor(id, idleAfter(3));
      const last = after.at(-1);
      assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn');
      assert.deepEqual(next.model.rejected, [], 'the strict server accepted every request');
    } finally {
      await next.close();
    }
  });
});
