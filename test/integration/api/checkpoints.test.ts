import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import type { Checkpoint, CheckpointList, RewindResult } from '../../../src/wire/checkpoint';
import { onEachProvider, type ApiFixture } from './helpers';

// Checkpoints and rewind (issue #13 §1-2) through the real SDK over HTTP, on both providers: a checkpoint after each
// tool call that changed files and at each idle; a rewind brings back the files exactly (review's patch byte for
// byte: contents, modes, deletions) and the model's context continues from the checkpoint; the SDK's own event list
// never sees Hangar's event types; bad input is refused and changes nothing.

const idles = (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle');
/** An idle's checkpoint is logged just after it. */
const settled = (events: readonly SessionEvent[], count: number) => idles(events).length >= count && events.filter((e) => e.type === 'hangar.checkpoint' && e.trigger === 'idle').length >= count;
const said = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });

onEachProvider('api: checkpoints and rewind', (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const list = async (id: string) => (await f.client.get<CheckpointList>(`/v1/sessions/${id}/checkpoints`)).data;
  const rewind = (id: string, body: unknown) => f.client.post<RewindResult>(`/v1/sessions/${id}/rewind`, { body });
  const patch = async (id: string) => (await f.t.runtime.sessions.changes(id)).patch;
  const lastRequest = () => JSON.stringify(f.t.model.requests.at(-1)?.body);

  async function turn(id: string, text: string, count: number): Promise<SessionEvent[]> {
    await f.client.beta.sessions.events.send(id, said(text));
    return f.t.waitFor(id, (es) => settled(es, count), 120_000);
  }

  it('checkpoints each file-changing step and idle; a rewind restores the files exactly and the context continues from it', async () => {
    const agent = await f.agent();
    const session = await f.session(agent.id);
    f.t.model.push(
      reply.tool('write', { file_path: 'notes.txt', content: 'one\n' }),
      reply.tool('bash', { command: "printf '#!/bin/sh\\n' > tool.sh && chmod +x tool.sh && printf '\\377\\000bin' > blob.bin" }),
      reply.tool('read', { file_path: 'notes.txt' }),
      reply.text('first done'),
    );
    await turn(session.id, 'write one', 1);
    const first = await list(session.id);
    assert.deepEqual(
      first.map((c) => c.trigger),
      ['tool_call', 'tool_call', 'idle'],
      'the write and the bash changed files; the read did not; then the idle',
    );
    const atFirst = first.at(-1) as Checkpoint;
    const patchAtFirst = await patch(session.id);

    f.t.model.push(
      reply.tool('bash', { command: 'rm blob.bin && chmod -x tool.sh && echo two > notes.txt && mkdir -p later && echo x > later/new.txt' }),
      reply.text('second done'),
    );
    await turn(session.id, 'write two', 2);
    const patchAtSecond = await patch(session.id);
    assert.notEqual(patchAtSecond, patchAtFirst);

    const done = await rewind(session.id, { checkpoint_id: atFirst.id });
    assert.equal(done.type, 'session_rewind');
    assert.equal(done.checkpoint.id, atFirst.id);
    assert.equal(await patch(session.id), patchAtFirst, 'the files are back byte for byte: contents, modes, deletions');
    assert.equal((await f.t.runtime.sessions.readFile(session.id, 'blob.bin', 'current'))?.toString('latin1'), '\xff\x00bin');
    assert.equal(await f.t.runtime.sessions.readFile(session.id, 'later/new.txt', 'current'), null);

    // The SDK's own event list and stream types know nothing of Hangar's events: they are served apart.
    const served = [];
    for await (const e of f.client.beta.sessions.events.list(session.id)) served.push(e.type);
    assert.ok(!served.some((t) => t.startsWith('hangar.')), 'no hangar.* event in the SDK listing');
    const logged = await f.t.events(session.id);
    assert.ok(logged.some((e) => e.type === 'hangar.rewind'), 'the rewind is in the log, and nothing was removed');
    assert.ok(logged.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('second done')));

    f.t.model.push(reply.text('third done'));
    await turn(session.id, 'after the rewind', 3);
    assert.match(lastRequest(), /first done/, 'the context holds the conversation up to the checkpoint');
    assert.doesNotMatch(lastRequest(), /second done|write two/, 'and nothing of what the rewind undid');
    assert.match(lastRequest(), /after the rewind/);

    // The rewind is undone by rewinding to the checkpoint it took of the files before it.
    await rewind(session.id, { checkpoint_id: done.before_checkpoint_id });
    assert.equal(await patch(session.id), patchAtSecond, 'undone: the files are as they were before the rewind');
  });

  it('refuses an unknown or foreign checkpoint, a malformed body and a running session, changing nothing', async () => {
    const agent = await f.agent();
    const session = await f.session(agent.id);
    const other = await f.session(agent.id);
    f.t.model.push(reply.tool('write', { file_path: 'a.txt', content: 'a\n' }), reply.text('done'));
    await turn(session.id, 'write a', 1);
    f.t.model.push(reply.tool('write', { file_path: 'b.txt', content: 'b\n' }), reply.text('done'));
    await turn(other.id, 'write b', 1);
    const foreign = (await list(other.id)).at(-1) as Checkpoint;
    const before = await f.t.events(session.id);
    const patchBefore = await patch(session.id);

    const refused = async (id: string, body: unknown, status: number, message: RegExp) => {
      const err = await rewind(id, body).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Anthropic.APIError, `refused: ${JSON.stringify(body)}`);
      assert.equal(err.status, status);
      assert.match(err.message, message);
    };
    await refused(session.id, { checkpoint_id: 'ckpt_nope' }, 404, /has no checkpoint ckpt_nope.*checkpoints/);
    await refused(session.id, { checkpoint_id: foreign.id }, 404, /has no checkpoint/);
    await refused(session.id, {}, 400, /checkpoint_id/);
    await refused(session.id, { checkpoint_id: foreign.id, extra: 1 }, 400, /extra/);
    await refused('sesn_missing', { checkpoint_id: foreign.id }, 404, /sesn_missing/);

    // Running: a command that takes a while, and a rewind sent meanwhile.
    const target = (await list(session.id)).at(-1) as Checkpoint;
    f.t.model.push(reply.tool('bash', { command: 'sleep 3' }), reply.text('slept'));
    await f.client.beta.sessions.events.send(session.id, said('sleep'));
    await f.t.waitFor(session.id, (es) => es.some((e) => e.type === 'agent.tool_use' && e.name === 'bash'), 60_000);
    await refused(session.id, { checkpoint_id: target.id }, 400, /is running\. Interrupt it first/);
    await f.t.waitFor(session.id, (es) => settled(es, 2), 60_000);

    const after = await f.t.events(session.id);
    assert.deepEqual(after.slice(0, before.length).map((e) => e.id), before.map((e) => e.id), 'the log only grew');
    assert.ok(!after.some((e) => e.type === 'hangar.rewind'), 'no rewind was logged');
    assert.equal(await patch(session.id), patchBefore, 'the files are untouched');
    assert.equal((await list(other.id)).length, 2, 'the other session is untouched');
  });
});
