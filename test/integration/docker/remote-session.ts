import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { toFile } from '@anthropic-ai/sdk';
import type Dockerode from 'dockerode';
import { reply } from '../../../src/model/scripted';
import { LABEL_SESSION } from '../../../src/sandbox/docker/names';
import type { SessionEvent } from '../../../src/wire';
import type { ApiFixture } from '../api/helpers';

// One full session on a remote engine through the API, whichever way the engine is reached (TLS, ssh): the
// repository, an uploaded file and the tool server are sent in through the engine's API (nothing of this host is
// bound), and the outputs and the review diff come back through it.

export const textOf = (e: Extract<SessionEvent, { type: 'agent.tool_result' }>) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');

export async function fullRemoteSession(f: ApiFixture, remote: Dockerode, local: Dockerode): Promise<void> {
  const c = f.client;
  const upload = await c.beta.files.upload({ file: await toFile(Buffer.from('one\ntwo\nthree\n'), 'notes.txt') });
  const session = await c.beta.sessions.create({
    agent: (await f.agent()).id,
    environment_id: f.t.envId,
    resources: [{ type: 'local_repository', path: f.t.repo } as never, { type: 'file', file_id: upload.id }],
  });
  const uploaded = `/mnt/session/uploads/${upload.id}`;
  f.t.model.push(
    reply.tool('bash', { command: `wc -l < ${uploaded}; (echo x > ${uploaded}) 2>/dev/null && echo WRITABLE || echo READONLY; cat README.md` }),
    reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello from the remote engine"' }),
    reply.tool('bash', { command: 'mkdir -p /mnt/session/outputs/r && printf remote > /mnt/session/outputs/r/where.txt && rm README.md && echo new > added.txt' }),
    reply.text('done'),
  );
  await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
  const events = await f.t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle' && e.stop_reason.type === 'end_turn'), 180_000);
  const results = events.filter((e): e is Extract<SessionEvent, { type: 'agent.tool_result' }> => e.type === 'agent.tool_result');
  assert.equal(results.length, 3);
  for (const r of results) assert.ok(!r.is_error, textOf(r));
  assert.match(textOf(results[0]!), /^3\nREADONLY\n# sample/);

  // The container is on the second engine, and nothing of this host is bound into it.
  const [container] = await remote.listContainers({ filters: { label: [`${LABEL_SESSION}=${session.id}`] } });
  assert.ok(container, 'the session container runs on the remote engine');
  assert.deepEqual(container.Mounts.filter((m) => m.Type === 'bind'), []);
  assert.deepEqual(await local.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${session.id}`] } }), []);

  // Review: the changes come back from the engine.
  const changes = await f.t.runtime.sessions.changes(session.id);
  assert.deepEqual(changes.files.map((x) => [x.path, x.status]).sort(), [['README.md', 'deleted'], ['added.txt', 'added'], ['src/app.js', 'modified']]);
  assert.match(changes.patch, /\+console\.log\("hello from the remote engine"\);/);
  assert.equal((await f.t.runtime.sessions.readFile(session.id, 'src/app.js', 'current'))?.toString(), 'console.log("hello from the remote engine");\n');
  assert.equal((await f.t.runtime.sessions.readFile(session.id, 'src/app.js', 'baseline'))?.toString(), 'console.log("hi");\n');

  // Outputs were copied back to this host and captured into the Files API.
  let outputs: Awaited<ReturnType<typeof c.beta.files.list>>['data'] = [];
  for (let i = 0; i < 100 && outputs.length === 0; i++) {
    outputs = (await c.beta.files.list({ scope_id: session.id })).data;
    if (outputs.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(outputs.map((o) => o.filename), ['where.txt']);
  assert.equal(await (await c.beta.files.download(outputs[0]!.id)).text(), 'remote');

  // A removed output is removed on this host too (the mirror is exact), and the next call still runs.
  f.t.model.push(reply.tool('bash', { command: 'rm -r /mnt/session/outputs/r && ls -A /mnt/session/outputs | wc -l' }), reply.text('ok'));
  await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'clean' }] }] });
  await f.t.waitFor(session.id, (es) => es.filter((e) => e.type === 'session.status_idle' && e.stop_reason.type === 'end_turn').length >= 2, 120_000);
  assert.deepEqual(fs.readdirSync(path.join(f.t.storage, 'sessions', session.id, 'outputs')), []);
}
