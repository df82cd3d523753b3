import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import type { CheckpointList, RewindResult } from '../../../src/wire/checkpoint';
import { onEachProvider, type ApiFixture } from './helpers';

// Fork (issue #13 §3) through the real SDK over HTTP, on both providers: a new session from another's log up to an
// event, with the files of the checkpoint at that event in a sandbox of its own; it is not woken, continues
// independently when told to (rewinds to the checkpoints it copied included), and the source is untouched.

type Session = Anthropic.Beta.Sessions.BetaManagedAgentsSession;
const idles = (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle');
const said = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });

onEachProvider('api: fork a session', (fixture, kind) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const fork = (id: string, body: Record<string, unknown>) => f.client.post<Session>(`/v1/sessions/${id}/fork`, { body });
  const requestText = () => JSON.stringify(f.t.model.requests.at(-1)?.body);
  const patch = async (id: string) => (await f.t.runtime.sessions.changes(id)).patch;
  const checkpoints = async (id: string) => (await f.client.get<CheckpointList>(`/v1/sessions/${id}/checkpoints`)).data;
  const rewind = (id: string, checkpointId: string) => f.client.post<RewindResult>(`/v1/sessions/${id}/rewind`, { body: { checkpoint_id: checkpointId } });

  it("copies the log up to the event and that event's files into its own sandbox, and goes on without touching the source", async () => {
    const agent = await f.agent();
    const source = await f.session(agent.id);
    f.t.model.push(
      reply.tool('write', { file_path: 'notes.txt', content: 'one\n' }),
      reply.tool('bash', { command: "printf '#!/bin/sh\\n' > tool.sh && chmod +x tool.sh && printf '\\377\\000bin' > blob.bin" }),
      reply.text('first done'),
    );
    await f.client.beta.sessions.events.send(source.id, said('write one'));
    const first = await f.t.waitFor(source.id, (es) => idles(es).length >= 1, 120_000);
    const at = idles(first)[0]!.id;
    const patchAtFirst = await patch(source.id);
    // After the fork point the source changes bytes, a mode, deletes a file and adds one.
    f.t.model.push(reply.tool('bash', { command: 'rm blob.bin && chmod -x tool.sh && echo two > notes.txt && mkdir -p later && echo x > later/new.txt' }), reply.text('second done'));
    await f.client.beta.sessions.events.send(source.id, said('write two'));
    const sourceEvents = await f.t.waitFor(source.id, (es) => idles(es).length >= 2, 120_000);
    const patchAtSecond = await patch(source.id);
    const asked = f.t.model.requests.length;

    const forked = await fork(source.id, { at });
    assert.notEqual(forked.id, source.id);
    assert.equal(forked.status, 'idle');
    assert.equal(forked.title, `Fork of ${source.id} at ${at}`);
    const copied = await f.t.events(forked.id);
    const cut = sourceEvents.findIndex((e) => e.id === at) + 1;
    assert.deepEqual(copied.map((e) => [e.id, e.type]), sourceEvents.slice(0, cut).map((e) => [e.id, e.type]), 'the log up to and including the event');

    // The files of the checkpoint at the event, not the source's files now: bytes, modes, deletions.
    assert.equal(await patch(forked.id), patchAtFirst, "the fork's files are the source's at the event, byte for byte");
    assert.equal((await f.t.runtime.sessions.readFile(forked.id, 'notes.txt', 'current'))?.toString(), 'one\n');
    assert.equal((await f.t.runtime.sessions.readFile(forked.id, 'blob.bin', 'current'))?.toString('latin1'), '\xff\x00bin');
    assert.equal(await f.t.runtime.sessions.readFile(forked.id, 'later/new.txt', 'current'), null);
    assert.equal(await patch(source.id), patchAtSecond, 'the source keeps its files');
    assert.equal(f.t.model.requests.length, asked, 'forking asked the model nothing');

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
    assert.equal(await patch(whole.id), patchAtSecond, 'a fork of the whole log has the files of its last checkpoint');

    // The fork can be rewound to a checkpoint its log copied from the source: the objects come from the source's store.
    const inherited = (await checkpoints(forked.id))[0]!;
    assert.equal(inherited.trigger, 'tool_call');
    await rewind(forked.id, inherited.id);
    assert.equal((await f.t.runtime.sessions.readFile(forked.id, 'notes.txt', 'current'))?.toString(), 'one\n');
    assert.equal(await f.t.runtime.sessions.readFile(forked.id, 'tool.sh', 'current'), null, 'the files as they were after the first write only');
    await f.client.beta.sessions.delete(source.id);
    const wholeLog = (await f.t.events(whole.id)).length;
    if (kind === 'local') {
      // A local fork's store was made from its source's (objects linked: provider.ts#seeded), so the checkpoints its log
      // copied outlive the source.
      await rewind(whole.id, inherited.id);
      assert.equal((await f.t.runtime.sessions.readFile(whole.id, 'notes.txt', 'current'))?.toString(), 'one\n');
      return;
    }
    // Once the source is deleted, a copied checkpoint whose files the fork never took is refused, and nothing is logged.
    await assert.rejects(rewind(whole.id, inherited.id), (e: unknown) => e instanceof Anthropic.APIError && e.status === 409 && /no longer stored/.test(e.message));
    assert.equal((await f.t.events(whole.id)).length, wholeLog, 'the refused rewind logged nothing');
    assert.equal(await patch(whole.id), patchAtSecond);
  });

  it('a fork cut in the middle of a turn is made settled: nothing runs until the next user event, which finishes the cut turn', async () => {
    const agent = await f.agent();
    const source = await f.session(agent.id);
    f.t.model.push(reply.tool('write', { file_path: 'notes.txt', content: 'one\n' }), reply.text('first done'));
    await f.client.beta.sessions.events.send(source.id, said('write one'));
    await f.t.waitFor(source.id, (es) => idles(es).length >= 1, 120_000);
    const patchAtFirst = await patch(source.id);
    f.t.model.push(reply.tool('write', { file_path: 'notes.txt', content: 'two\n' }), reply.text('second done'));
    await f.client.beta.sessions.events.send(source.id, said('write two'));
    const sourceEvents = await f.t.waitFor(source.id, (es) => idles(es).length >= 2, 120_000);
    const secondWrite = sourceEvents.filter((e) => e.type === 'agent.tool_use').at(-1)!;
    const asked = f.t.model.requests.length;

    const forked = await fork(source.id, { at: secondWrite.id });
    assert.equal(forked.status, 'running', 'its log ends in the middle of a turn');
    const cut = sourceEvents.findIndex((e) => e.id === secondWrite.id) + 1;
    assert.deepEqual((await f.t.events(forked.id)).map((e) => e.id), sourceEvents.slice(0, cut).map((e) => e.id), 'nothing was appended: the fork was not woken');
    assert.equal(f.t.model.requests.length, asked, 'forking asked the model nothing');
    assert.equal(await patch(forked.id), patchAtFirst, 'the cut write never ran in the fork');

    f.t.model.push(reply.text('the fork goes on'), reply.text('and answers'));
    await f.client.beta.sessions.events.send(forked.id, said('go on'));
    const forkEvents = await f.t.waitFor(forked.id, (es) => es.slice(cut).some((e) => e.type === 'session.status_idle' && e.stop_reason?.type === 'end_turn'), 120_000);
    const results = forkEvents.filter((e) => e.type === 'agent.tool_result' && e.tool_use_id === secondWrite.id);
    assert.equal(results.length, 1, 'the cut call got exactly one result');
    assert.equal(await patch(forked.id), patchAtFirst);
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
