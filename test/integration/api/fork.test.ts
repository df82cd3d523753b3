import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { onEachProvider, type ApiFixture } from './helpers';

// Fork (issue #13 §3) through the real SDK over HTTP, on both providers: a new session from another's log up to an
// event, with the source's files in a sandbox of its own; it continues independently and the source is untouched.

type Session = Anthropic.Beta.Sessions.BetaManagedAgentsSession;
const idles = (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle');
const said = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });

onEachProvider('api: fork a session', (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const fork = (id: string, body: Record<string, unknown>) => f.client.post<Session>(`/v1/sessions/${id}/fork`, { body });
  const requestText = () => JSON.stringify(f.t.model.requests.at(-1)?.body);

  it('copies the log up to the event, the files into its own sandbox, and goes on without touching the source', async () => {
    const agent = await f.agent();
    const source = await f.session(agent.id);
    f.t.model.push(reply.tool('write', { file_path: 'notes.txt', content: 'one\n' }), reply.text('first done'));
    await f.client.beta.sessions.events.send(source.id, said('write one'));
    const first = await f.t.waitFor(source.id, (es) => idles(es).length >= 1, 120_000);
    const at = idles(first)[0]!.id;
    f.t.model.push(reply.tool('write', { file_path: 'notes.txt', content: 'two\n' }), reply.text('second done'));
    await f.client.beta.sessions.events.send(source.id, said('write two'));
    const sourceEvents = await f.t.waitFor(source.id, (es) => idles(es).length >= 2, 120_000);

    const forked = await fork(source.id, { at });
    assert.notEqual(forked.id, source.id);
    assert.equal(forked.status, 'idle');
    assert.equal(forked.title, `Fork of ${source.id} at ${at}`);
    const copied = await f.t.events(forked.id);
    const cut = sourceEvents.findIndex((e) => e.id === at) + 1;
    assert.deepEqual(copied.map((e) => [e.id, e.type]), sourceEvents.slice(0, cut).map((e) => [e.id, e.type]), 'the log up to and including the event');

    // Until checkpoints name the files at each event, a fork gets the source's files as they are now.
    assert.equal((await f.t.runtime.sessions.readFile(forked.id, 'notes.txt', 'current'))?.toString(), 'two\n');

    f.t.model.push(reply.tool('write', { file_path: 'fork-only.txt', content: 'mine\n' }), reply.text('fork done'));
    await f.client.beta.sessions.events.send(forked.id, said('go on in the fork'));
    await f.t.waitFor(forked.id, (es) => idles(es).length >= 2, 120_000);
    assert.match(requestText(), /first done/, 'the fork has the context up to the event');
    assert.doesNotMatch(requestText(), /second done|write two/, 'and nothing after it');
    assert.equal((await f.t.runtime.sessions.readFile(forked.id, 'fork-only.txt', 'current'))?.toString(), 'mine\n');
    assert.equal(await f.t.runtime.sessions.readFile(source.id, 'fork-only.txt', 'current'), null, "the fork's sandbox is its own");
    assert.deepEqual((await f.t.events(source.id)).map((e) => e.id), sourceEvents.map((e) => e.id), 'the source is as it was');

    const whole = await fork(source.id, { title: 'all of it' });
    assert.equal(whole.title, 'all of it');
    assert.equal((await f.t.events(whole.id)).length, sourceEvents.length);
  });

  it('refuses an unknown event, an unknown field and a deleted session, making nothing', async () => {
    const agent = await f.agent();
    const source = await f.session(agent.id);
    const before = (await f.client.beta.sessions.list({ limit: 100 })).data.length;
    await assert.rejects(fork(source.id, { at: 'sevt_nope' }), (e: unknown) => e instanceof Anthropic.NotFoundError && /Event sevt_nope of session/.test(e.message));
    await assert.rejects(fork(source.id, { at: 'x', extra: 1 }), (e: unknown) => e instanceof Anthropic.BadRequestError && /extra/.test(e.message));
    await f.client.beta.sessions.delete(source.id);
    await assert.rejects(fork(source.id, {}), (e: unknown) => e instanceof Anthropic.NotFoundError && /deleted, or a wrong id\): there is nothing to fork/.test(e.message));
    assert.equal((await f.client.beta.sessions.list({ limit: 100 })).data.length, before - 1);
  });
});
