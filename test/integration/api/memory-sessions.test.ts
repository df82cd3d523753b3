import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { onEachProvider, type ApiFixture } from './helpers';

// Memory stores attached to sessions (issue #11 §2, reference §7.3) through the real SDK, on both providers: mounted
// at /mnt/memory/<slug>, what the agent's commands write there becomes memory versions by the session, a read-only
// store stays as it was, and the store's description and the attachment's instructions are in the system prompt.

type ToolResult = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const texts = (events: SessionEvent[]) =>
  events.filter((e): e is ToolResult => e.type === 'agent.tool_result').map((e) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('\n'));
type CreateParams = Anthropic.Beta.Sessions.SessionCreateParams;

onEachProvider('api: memory stores in a session', (fixture, kind) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });

  const create = (agent: string, resources: unknown[]) =>
    f.client.beta.sessions.create({ agent, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }, ...resources] } as unknown as CreateParams);

  it('mounts a read-write and a read-only store; the agent\'s writes become versions by the session', async () => {
    const ms = f.client.beta.memoryStores;
    const notes = await ms.create({ name: 'Team Notes', description: 'What the team learned' });
    await ms.memories.create(notes.id, { path: '/conventions.md', content: 'use tabs' });
    await ms.memories.create(notes.id, { path: '/projects/hangar.md', content: 'old project' });
    const docs = await ms.create({ name: 'Reference Docs!' });
    await ms.memories.create(docs.id, { path: '/style.md', content: 'be brief' });
    const agent = await f.agent();
    const session = await create(agent.id, [
      { type: 'memory_store', memory_store_id: notes.id, instructions: 'Record every convention you discover.' },
      { type: 'memory_store', memory_store_id: docs.id, access: 'read_only' },
    ]);
    const mounted = session.resources.filter((r) => r.type === 'memory_store');
    assert.deepEqual(
      mounted.map((r) => (r.type === 'memory_store' ? [r.memory_store_id, r.access, r.mount_path, r.name] : [])),
      [
        [notes.id, 'read_write', '/mnt/memory/team-notes', 'Team Notes'],
        [docs.id, 'read_only', '/mnt/memory/reference-docs', 'Reference Docs!'],
      ],
    );

    const other = await create(agent.id, []);
    const listed = await f.client.beta.sessions.list({ memory_store_id: docs.id, limit: 1 });
    assert.deepEqual(listed.data.map((s) => s.id), [session.id], 'listing by memory_store_id skips sessions without the store');
    assert.ok((await f.client.beta.sessions.list()).data.some((s) => s.id === other.id));

    // No id of their own (the hosted shape): resources.retrieve and delete name a store resource by the store's id.
    assert.equal((await f.client.beta.sessions.resources.list(session.id)).data.filter((r) => r.type === 'memory_store').length, 2);
    assert.equal((await f.client.beta.sessions.resources.retrieve(notes.id, { session_id: session.id })).type, 'memory_store');
    await assert.rejects(f.client.beta.sessions.resources.delete(notes.id, { session_id: session.id }), (e: unknown) => e instanceof Anthropic.BadRequestError && /keeps for the session's life/.test(e.message));

    const root = kind === 'docker' ? '/mnt/memory' : '../mnt/memory';
    const rw = `${root}/team-notes`;
    const ro = `${root}/reference-docs`;
    f.t.model.push(
      reply.tool('bash', { command: `cat ${rw}/conventions.md; echo; mkdir -p ${rw}/learned && echo 'new fact' > ${rw}/learned/fact.md && printf 'use spaces' > ${rw}/conventions.md && rm ${rw}/projects/hangar.md && echo WROTE` }),
      reply.tool('bash', { command: `(echo changed > ${ro}/style.md) 2>&1; echo done` }),
      reply.tool('bash', { command: `cat ${ro}/style.md` }),
      reply.text('remembered'),
    );
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'learn' }] }] });
    const events = await f.t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle'), 120_000);
    const [wrote, roWrite, roRead] = texts(events);
    assert.match(wrote!, /^use tabs\n/);
    assert.match(wrote!, /WROTE/);
    if (kind === 'docker') assert.match(roWrite!, /Read-only file system/);
    else assert.match(roWrite!, /\[memory\] \/mnt\/memory\/reference-docs is a read-only memory store: the changes to \/style\.md were undone/);
    assert.equal(roRead!.trim(), 'be brief');

    const now = (await ms.memories.list(notes.id, { view: 'full' })).data.map((m) => (m.type === 'memory' ? `${m.path}=${m.content}` : m.path));
    assert.deepEqual(now, ['/conventions.md=use spaces', '/learned/fact.md=new fact\n']);
    const bySession = await ms.memoryVersions.list(notes.id, { session_id: session.id });
    assert.deepEqual(bySession.data.map((v) => `${v.operation} ${v.path}`).sort(), ['created /learned/fact.md', 'deleted /projects/hangar.md', 'modified /conventions.md']);
    assert.ok(bySession.data.every((v) => v.created_by?.type === 'session_actor' && v.created_by.session_id === session.id));
    assert.deepEqual((await ms.memories.list(docs.id, { view: 'full' })).data.map((m) => (m.type === 'memory' ? m.content : null)), ['be brief']);
    assert.equal((await ms.memoryVersions.list(docs.id)).data.length, 1, 'the read-only store has only its own version');

    const system = JSON.stringify(f.t.model.requests[0]!.body.system);
    assert.match(system, /mnt\/memory\/team-notes \(read-write; memory store \\"Team Notes\\"\): What the team learned\. Record every convention you discover\./);
    assert.match(system, /mnt\/memory\/reference-docs \(read-only; memory store \\"Reference Docs!\\"\)/);
  });

  it('reports files it cannot save once, and two sessions writing one memory both keep their versions', async () => {
    const ms = f.client.beta.memoryStores;
    const store = await ms.create({ name: 'shared' });
    const memory = await ms.memories.create(store.id, { path: '/plan.md', content: 'v0' });
    const agent = await f.agent();
    const [one, two] = [await create(agent.id, [{ type: 'memory_store', memory_store_id: store.id }]), await create(agent.id, [{ type: 'memory_store', memory_store_id: store.id }])];
    const dir = kind === 'docker' ? '/mnt/memory/shared' : '../mnt/memory/shared';
    f.t.model.push(
      reply.tool('bash', { command: `head -c 102401 /dev/zero | tr '\\0' a > ${dir}/big.md; printf '\\377\\376' > ${dir}/binary.md; echo one > ${dir}/plan.md` }),
      reply.tool('bash', { command: `echo again >> ${dir}/notes.md` }),
      reply.text('first done'),
    );
    await f.client.beta.sessions.events.send(one.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
    const first = texts(await f.t.waitFor(one.id, (es) => es.some((e) => e.type === 'session.status_idle'), 120_000));
    assert.match(first[0]!, /\[memory\] \/mnt\/memory\/shared\/big\.md was not saved: content is 102401 bytes; a memory holds at most 102400 bytes/);
    assert.match(first[0]!, /\[memory\] \/mnt\/memory\/shared\/binary\.md was not saved: it is not UTF-8 text/);
    assert.doesNotMatch(first[1]!, /\[memory\]/, 'each problem is reported once');

    // The second session's folder still holds v0; its write is a version too, and the newest write is the memory.
    f.t.model.push(reply.tool('bash', { command: `cat ${dir}/plan.md; echo two > ${dir}/plan.md` }), reply.text('second done'));
    await f.client.beta.sessions.events.send(two.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
    const second = texts(await f.t.waitFor(two.id, (es) => es.some((e) => e.type === 'session.status_idle'), 120_000));
    assert.match(second[0]!, /^v0/);
    const versions = await ms.memoryVersions.list(store.id, { memory_id: memory.id, view: 'full' });
    assert.deepEqual(
      versions.data.map((v) => [v.content, v.created_by?.type === 'session_actor' ? v.created_by.session_id : v.created_by?.type]),
      [
        ['two\n', two.id],
        ['one\n', one.id],
        ['v0', 'api_actor'],
      ],
    );
    assert.deepEqual((await ms.memories.list(store.id)).data.map((m) => m.path), ['/notes.md', '/plan.md'], 'nothing that could not be saved is in the store');
  });

  it('refuses an unknown, archived, repeated or clashing store and over-long instructions', async () => {
    const ms = f.client.beta.memoryStores;
    const agent = await f.agent();
    const a = await ms.create({ name: 'Same Name' });
    const b = await ms.create({ name: 'same-name' });
    const archived = await ms.create({ name: 'old' });
    await ms.archive(archived.id);
    const refused = async (resources: unknown[], status: number, pattern: RegExp) =>
      assert.rejects(create(agent.id, resources), (e: unknown) => e instanceof Anthropic.APIError && e.status === status && pattern.test(e.message));
    await refused([{ type: 'memory_store', memory_store_id: 'memstore_nope' }], 404, /Memory store memstore_nope does not exist/);
    await refused([{ type: 'memory_store', memory_store_id: archived.id }], 400, /is archived/);
    await refused([{ type: 'memory_store', memory_store_id: a.id }, { type: 'memory_store', memory_store_id: a.id }], 400, /attached twice/);
    await refused([{ type: 'memory_store', memory_store_id: a.id }, { type: 'memory_store', memory_store_id: b.id }], 400, /would both be mounted at \/mnt\/memory\/same-name/);
    await refused([{ type: 'memory_store', memory_store_id: a.id, instructions: 'x'.repeat(4097) }], 400, /instructions/);
    await refused([{ type: 'memory_store', memory_store_id: a.id, access: 'write_only' }], 400, /access/);
  });
});
