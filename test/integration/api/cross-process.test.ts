import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reply } from '../../../src/model/scripted';
import { collect, idleWith, startApi, typesOf, type ApiFixture } from './helpers';

// The API process and a second process (the VS Code extension, the CLI) share one storage root: each sees the
// other's sessions, and a message the second process sends reaches the session the API process drives, through
// the session's inbox.

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'second-runtime.ts');
const run = promisify(execFile);

async function second(storage: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT, storage, ...args], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** Starts `second-runtime drive`, resolves with the session id it created; `finished` resolves when it exits. */
function drive(storage: string, agent: string, env: string, repo: string, modelUrl: string): Promise<{ id: string; finished: Promise<number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, storage, 'drive', agent, env, repo, modelUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const finished = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ id: (JSON.parse(line) as { id: string }).id, finished });
    });
    child.on('error', reject);
    void finished.then((code) => reject(new Error(`second runtime exited with ${code} before creating a session`)));
  });
}

describe('api: two processes on one storage root', function () {
  this.timeout(90_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('a message sent by another process reaches the session this server drives, live on the SDK stream', async () => {
    f = await startApi({ script: [reply.text('answered by the API process')] });
    const session = await f.session((await f.agent()).id);
    const listed = await second(f.t.storage, 'list');
    assert.deepEqual(listed.ids, [session.id], 'the second process sees the session created through the API');
    const stream = await f.client.beta.sessions.events.stream(session.id);
    const sent = (await second(f.t.storage, 'send', session.id, 'hello from the other process')) as { echoes: { id: string; processed_at: string | null }[] };
    assert.equal(sent.echoes.length, 1);
    assert.equal(sent.echoes[0]!.processed_at, null, 'queued for the lease holder, not yet processed');
    const seen = await collect(stream, idleWith('end_turn'), 30_000);
    assert.deepEqual(typesOf(seen).slice(0, 2), ['user.message', 'session.status_running']);
    assert.equal(seen[0]!.type === 'user.message' && seen[0]!.id, sent.echoes[0]!.id, 'the queued event keeps its id');
    assert.ok(seen[0]!.type === 'user.message' && seen[0]!.processed_at, 'processed when the driver took it');
    assert.ok(seen.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('answered by the API process')));
    assert.match(JSON.stringify(f.t.model.requests[0]!.body.messages), /hello from the other process/);
  });

  it('a session created by another process shows up in the API and can be driven from it', async () => {
    f = await startApi({ script: [reply.text('picked up here')] });
    const agent = await f.agent();
    const created = (await second(f.t.storage, 'create', agent.id, f.t.envId, f.t.repo)) as { id: string };
    const ids: string[] = [];
    for await (const s of f.client.beta.sessions.list()) ids.push(s.id);
    assert.ok(ids.includes(created.id));
    const session = await f.client.beta.sessions.retrieve(created.id);
    assert.equal(session.title, 'made by the second process');
    assert.equal(session.status, 'idle');
    const stream = await f.client.beta.sessions.events.stream(created.id);
    await f.client.beta.sessions.events.send(created.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'continue here' }] }] });
    const seen = await collect(stream, idleWith('end_turn'));
    assert.ok(seen.some((e) => e.type === 'agent.message'));
  });

  it('a session another process drives can be watched and steered through the API', async () => {
    f = await startApi({ script: [reply.text('driven by the other process')] });
    const agent = await f.agent();
    const other = await drive(f.t.storage, agent.id, f.t.envId, f.t.repo, f.t.model.url);
    const stream = await f.client.beta.sessions.events.stream(other.id);
    const sent = await f.client.beta.sessions.events.send(other.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'from the API' }] }] });
    assert.equal(sent.data?.[0]?.processed_at, null, 'queued for the process that holds the lease');
    const seen = await collect(stream, idleWith('end_turn'), 30_000);
    assert.equal(seen[0]!.type === 'user.message' && seen[0]!.id, sent.data?.[0]?.id);
    assert.ok(seen.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('driven by the other process')));
    assert.equal(await other.finished, 0);
    assert.equal((await f.client.beta.sessions.retrieve(other.id)).status, 'idle');
  });
});
