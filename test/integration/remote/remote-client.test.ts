import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApiServer, type ApiServer } from '../../../src/api';
import { RemoteRuntimeClient, RuntimeRefusal } from '../../../src/extension/connection/remote-client';
import type { ConnectionState } from '../../../src/extension/connection/runtime-client';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { RuntimeConnectionError } from '../../../src/remote/connect';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// The extension's seam to a detached runtime (issue #15 §1), over real HTTP: the real SDK inside RemoteRuntimeClient
// against the real API server on a real runtime (scripted model, local sandbox). What the tree, the panel and review
// read, a refused token, a runtime that goes away and comes back on the same address (the connection state says so,
// a followed session gets what was logged meanwhile, each event once), and two windows answering one prompt.

describe('remote runtime client (VS Code seam) over HTTP', function () {
  this.timeout(60_000);
  let t: TestRuntime | undefined;
  let server: ApiServer | undefined;
  const clients: RemoteRuntimeClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server?.close();
    server = undefined;
    await t?.close();
    t = undefined;
  });

  async function serve(script: NonNullable<Parameters<typeof makeTestRuntime>[0]>['script'], port = 0): Promise<ApiServer> {
    t ??= await makeTestRuntime({ script });
    server = await startApiServer({ runtime: t.runtime, port, heartbeatMs: 200 });
    return server;
  }

  function client(token = server!.token): RemoteRuntimeClient {
    const c = new RemoteRuntimeClient({ url: server!.url, token });
    clients.push(c);
    return c;
  }

  function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    return (async () => {
      for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }

  it('starts a session and reads what the tree, the panel and review show', async () => {
    await serve([reply.tool('write', { file_path: 'notes.txt', content: 'from the agent\n' }), reply.text('Wrote the notes.')]);
    const c = client();
    await c.check();
    const agent = await c.createAgent({ name: 'remote-tester', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    assert.deepEqual((await c.listAgents()).map((a) => a.id), [agent.id]);
    const env = await c.defaultEnvironment({ 'hangar.cpus': '1' });
    assert.equal(env.name, 'default');
    assert.equal((await c.defaultEnvironment({ 'hangar.cpus': '1' })).id, env.id, 'the default environment is made once');
    const session = await c.createSession({ agent: agent.id, environment_id: env.id, title: 'remote', resources: [{ type: 'local_repository', path: t!.repo }] });

    const seen: SessionEvent[] = [];
    const stop = await c.follow(session.id, 'now', { onEvent: (e) => seen.push(e) });
    await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'write notes' }] }]);
    await waitFor('the idle', () => (seen.some((e) => e.type === 'session.status_idle') ? true : undefined));
    stop();
    assert.deepEqual(new Set(seen.map((e) => e.id)).size, seen.length, 'each event once');
    const log = await c.sessionEvents(session.id);
    assert.deepEqual(seen.map((e) => e.id), log.map((e) => e.id), 'the followed events are the log');
    // A panel that holds the first events (its init) is sent only the ones after them.
    const rest: SessionEvent[] = [];
    const stopRest = await c.follow(session.id, log.slice(0, 3), { onEvent: (e) => rest.push(e) });
    await waitFor('the events after the held ones', () => (rest.length >= log.length - 3 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    stopRest();
    assert.deepEqual(rest.map((e) => e.id), log.slice(3).map((e) => e.id));

    const view = await c.sessionView(session.id);
    assert.equal(view.status, 'idle');
    assert.equal(view.stopReason?.type, 'end_turn');
    assert.equal(view.needsAction, false);
    assert.equal(view.repo, t!.repo);
    assert.equal(view.agentName, 'remote-tester');
    assert.deepEqual((await c.listSessions()).map((v) => v.id), [session.id]);

    const changes = await c.changes(session.id);
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['notes.txt', 'added']]);
    assert.equal((await c.readFile(session.id, 'notes.txt', 'current'))?.toString(), 'from the agent\n');
    assert.equal(await c.readFile(session.id, 'notes.txt', 'baseline'), null, 'absent at the baseline');
    assert.equal((await c.readFile(session.id, 'src/app.js', 'baseline'))?.toString(), 'console.log("hi");\n');
    assert.equal(c.mcpStatus(), null);

    // Resume: the runtime drives its sessions itself; an idle one is not running there.
    assert.equal(await c.resume(session.id), false);
    // Delete: gone from the runtime (its log and sandbox), and a second delete is the runtime's not-found sentence.
    await c.deleteSession(session.id);
    assert.deepEqual(await c.listSessions(), []);
    assert.equal(existsSync(path.join(t!.storage, 'sessions', session.id)), false, 'the log is removed on the runtime');
    await assert.rejects(c.deleteSession(session.id), (err: unknown) => err instanceof RuntimeRefusal && err.status === 404 && err.message.includes(session.id));
  });

  it('says a wrong token is refused, with the fix', async () => {
    await serve([]);
    const err = await client('hgr_wrong-token').check().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof RuntimeConnectionError, String(err));
    assert.equal(err.kind, 'token');
    assert.match(err.message, /refused the token \(401\).*api-token/);
  });

  it('says when the runtime is gone and delivers what was logged meanwhile when it is back', async () => {
    const first = await serve([reply.text('First answer.'), reply.text('Answered while the window was away.')]);
    const port = Number(new URL(first.url).port);
    const c = client();
    const states: ConnectionState[] = [];
    c.onConnection((s) => states.push(s));
    const agent = await c.createAgent({ name: 'a', model: DEFAULT_MODEL, tools: [] });
    const env = await c.defaultEnvironment({});
    const session = await c.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t!.repo }] });
    const seen: SessionEvent[] = [];
    await c.follow(session.id, 'now', { onEvent: (e) => seen.push(e) });
    const stopWatch = c.watchSessions(() => undefined);
    await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'one' }] }]);
    await waitFor('the first idle', () => (seen.some((e) => e.type === 'session.status_idle') ? true : undefined));

    await first.close();
    server = undefined;
    const gone = await c.listSessions().then(() => null, (e: unknown) => e);
    assert.ok(gone instanceof RuntimeConnectionError && gone.kind === 'unreachable', String(gone));
    assert.match(gone.message, /Nothing answers at .*connection refused/);
    const lost = await waitFor('the lost state', () => states.find((s) => !s.up));
    assert.ok(!lost.up && lost.retryInMs > 0);

    // Meanwhile the session goes on in the runtime (another client, the CLI): its log holds a second turn.
    await t!.runtime.sessions.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'two' }] }]);
    await waitFor('the second turn in the log', async () => ((await t!.runtime.sessions.listEvents(session.id, { limit: 1000 })).data.filter((e) => e.type === 'session.status_idle').length === 2 ? true : undefined));

    server = await startApiServer({ runtime: t!.runtime, port, token: first.token, heartbeatMs: 200 });
    await waitFor('the connection back', () => (states.at(-1)?.up ? true : undefined));
    await waitFor('the second answer', () => (seen.filter((e) => e.type === 'session.status_idle').length === 2 ? true : undefined));
    stopWatch();
    const texts = seen.flatMap((e) => (e.type === 'agent.message' ? e.content.map((b) => ('text' in b ? b.text : '')) : []));
    assert.deepEqual(texts, ['First answer.', 'Answered while the window was away.']);
    assert.deepEqual(seen.map((e) => e.id), (await c.sessionEvents(session.id)).map((e) => e.id), 'nothing lost, nothing twice');
  });

  it('takes one of two windows\' answers to a prompt and tells the other why not', async () => {
    await serve([reply.tool('bash', { command: 'echo ran >> once.txt' }), reply.text('done')]);
    const [a, b] = [client(), client()];
    const agent = await a.createAgent({ name: 'asker', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
    const env = await a.defaultEnvironment({});
    const session = await a.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t!.repo }] });
    await a.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'run it' }] }]);
    const use = await waitFor('the prompt', async () => ((await b.sessionView(session.id)).needsAction ? (await b.sessionEvents(session.id, ['agent.tool_use']))[0] : undefined));
    const answers = await Promise.allSettled([
      a.send(session.id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }]),
      b.send(session.id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny' }]),
    ]);
    const lost = answers.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(lost.length, 1, 'one answer wins');
    assert.ok(lost[0]!.reason instanceof RuntimeRefusal, String(lost[0]!.reason));
    assert.equal(lost[0]!.reason.status, 400);
    assert.match(lost[0]!.reason.message, new RegExp(`^Tool call ${use.id} is not waiting for a confirmation \\(it was already answered`));
    assert.equal((await a.sessionEvents(session.id, ['user.tool_confirmation'])).length, 1, 'the log holds one answer');
  });

  /** A session that wrote notes.txt twice, one turn each ('first', then 'second'), followed to its second idle. */
  async function twoTurns(): Promise<{ c: RemoteRuntimeClient; sessionId: string; firstIdle: string }> {
    await serve([
      reply.tool('write', { file_path: 'notes.txt', content: 'first\n' }),
      reply.text('Wrote it.'),
      reply.tool('write', { file_path: 'notes.txt', content: 'second\n' }),
      reply.text('Rewrote it.'),
    ]);
    const c = client();
    const agent = await c.createAgent({ name: 'writer', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const env = await c.defaultEnvironment({});
    const session = await c.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t!.repo }] });
    for (const [turn, text] of ['write', 'rewrite'].entries()) {
      await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
      await waitFor(`idle ${turn + 1}`, async () => ((await c.sessionEvents(session.id, ['session.status_idle'])).length === turn + 1 ? true : undefined));
    }
    return { c, sessionId: session.id, firstIdle: (await c.sessionEvents(session.id, ['session.status_idle']))[0]!.id };
  }

  it('lists checkpoints and rewinds to one; an unknown checkpoint is refused with how to find one', async () => {
    const { c, sessionId } = await twoTurns();
    const checkpoints = await c.checkpoints(sessionId);
    const writes = checkpoints.filter((k) => k.trigger === 'tool_call');
    assert.equal(writes.length, 2, checkpoints.map((k) => k.trigger).join(','));
    assert.equal((await c.readFile(sessionId, 'notes.txt', 'current'))?.toString(), 'second\n');

    const rewound = await c.rewind(sessionId, writes[0]!.id);
    assert.equal(rewound.checkpoint.id, writes[0]!.id);
    assert.equal((await c.readFile(sessionId, 'notes.txt', 'current'))?.toString(), 'first\n', 'the files are back');
    assert.ok((await c.checkpoints(sessionId)).some((k) => k.id === rewound.before_checkpoint_id), 'the undo point is listed');

    const err = await c.rewind(sessionId, 'chkpt_nope').then(() => null, (e: unknown) => e);
    assert.ok(err instanceof RuntimeRefusal, String(err));
    assert.equal(err.status, 404);
    assert.match(err.message, new RegExp(`^Session ${sessionId} has no checkpoint chkpt_nope\\. List its checkpoints`));
    assert.equal((await c.readFile(sessionId, 'notes.txt', 'current'))?.toString(), 'first\n', 'a refused rewind moves nothing');
  });

  it('forks a session at a turn; an unknown event is refused and makes nothing', async () => {
    const { c, sessionId, firstIdle } = await twoTurns();
    const forked = await c.fork(sessionId, { at: firstIdle });
    assert.notEqual(forked.id, sessionId);
    assert.equal(forked.status, 'idle');
    const log = await c.sessionEvents(forked.id);
    assert.equal(log.at(-1)?.id, firstIdle, 'the fork ends at the event it names');
    assert.equal((await c.readFile(forked.id, 'notes.txt', 'current'))?.toString(), 'first\n', "the fork holds that turn's files");
    assert.equal((await c.readFile(sessionId, 'notes.txt', 'current'))?.toString(), 'second\n', 'the source is only read');

    const err = await c.fork(sessionId, { at: 'sevt_nope' }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof RuntimeRefusal, String(err));
    assert.equal(err.status, 404);
    assert.match(err.message, /sevt_nope/);
    assert.equal((await c.listSessions()).length, 2, 'no session made by the refusal');
  });

  it('uploads and attaches a file of this machine and saves the output the agent made of it; a missing file is refused', async () => {
    await serve([reply.tool('bash', { command: 'cp ../data/in.txt ../mnt/session/outputs/out.txt && echo seen >> ../mnt/session/outputs/out.txt' }), reply.text('Copied.')]);
    const c = client();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hangar-remote-files-'));
    try {
      await writeFile(path.join(dir, 'in.txt'), 'from this machine\n');
      const uploaded = await c.uploadFile(path.join(dir, 'in.txt'));
      assert.equal(uploaded.filename, 'in.txt');
      const agent = await c.createAgent({ name: 'copier', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
      const env = await c.defaultEnvironment({});
      const session = await c.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t!.repo }] });
      await c.attachFile(session.id, { type: 'file', file_id: uploaded.id, mount_path: '/data/in.txt' });
      await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'copy it' }] }]);
      const [output] = await waitFor('the output', async () => {
        const outputs = await c.listOutputs(session.id);
        return outputs.length > 0 ? outputs : undefined;
      });
      assert.equal((await c.retrieveFile(output!.id)).filename, 'out.txt');
      const saved = path.join(dir, 'saved.txt');
      await c.saveFile(output!.id, saved);
      assert.equal(await readFile(saved, 'utf8'), 'from this machine\nseen\n');

      const missing = await c.attachFile(session.id, { type: 'file', file_id: 'file_missing' }).then(() => null, (e: unknown) => e);
      assert.ok(missing instanceof RuntimeRefusal, String(missing));
      assert.equal(missing.status, 400);
      assert.match(missing.message, /file_missing is not a file of this runtime; upload it first/);
      const unknown = await c.saveFile('file_missing', path.join(dir, 'never.txt')).then(() => null, (e: unknown) => e);
      assert.ok(unknown instanceof RuntimeRefusal && unknown.status === 404, String(unknown));
      await assert.rejects(readFile(path.join(dir, 'never.txt')), /ENOENT/, 'nothing written for a refused download');
      await assert.rejects(c.uploadFile(path.join(dir, 'absent.txt')), /ENOENT.*absent\.txt/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("edits an agent into a new version and lists its versions; a stale version is refused with the current one", async () => {
    await serve([]);
    const c = client();
    const agent = await c.createAgent({ name: 'editable', model: DEFAULT_MODEL, tools: [] });
    const edited = await c.updateAgent(agent.id, { version: 1, description: 'second thoughts' });
    assert.equal(edited.version, 2);
    assert.deepEqual((await c.agentVersions(agent.id)).map((v) => [v.version, v.description]).sort(), [[1, null], [2, 'second thoughts']]);
    assert.equal((await c.retrieveAgent(agent.id, 1)).description, null, 'version 1 is kept as it was');

    const stale = await c.updateAgent(agent.id, { version: 1, description: 'lost update' }).then(() => null, (e: unknown) => e);
    assert.ok(stale instanceof RuntimeRefusal, String(stale));
    assert.equal(stale.status, 409);
    assert.match(stale.message, new RegExp(`^Agent ${agent.id} is at version 2, not 1: retrieve it`));
    assert.equal((await c.agentVersions(agent.id)).length, 2, 'no version made by the refusal');
  });
});
