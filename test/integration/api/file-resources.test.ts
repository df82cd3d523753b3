import assert from 'node:assert/strict';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import type { SandboxProvider } from '../../../src/sandbox/types';
import type { SessionEvent } from '../../../src/wire';
import { requireDocker } from '../docker/helpers';
import { startApi, type ApiFixture } from './helpers';

// `file` session resources and outputs through the real SDK over HTTP, on both providers: an uploaded file is
// mounted read-only at /mnt/session/uploads/<file_id> (bash reads it from /workspace as ../mnt/…, which is the same
// place in both), writing to it fails, and what the agent leaves in /mnt/session/outputs/ is listed with
// scope_id=<session> after the turn ends, with the bytes it wrote. Bad input: an unknown file id, a file of another
// session's scope, two files at one mount path.

const UPLOADS = '../mnt/session/uploads';
const OUTPUTS = '../mnt/session/outputs';

const providers: Array<[string, ((storage: string) => SandboxProvider) | undefined]> = [
  ['local', undefined],
  ['docker', (storage) => new DockerSandboxProvider({ storageRoot: storage })],
];

for (const [kind, provider] of providers) {
  describe(`api: file resources and outputs (${kind})`, function () {
    this.timeout(180_000);
    let f: ApiFixture;
    before(async () => {
      if (kind === 'docker') await requireDocker();
      f = await startApi({ provider });
    });
    after(async () => f?.close());

    it('mounts an uploaded file read-only and captures outputs into the Files API', async () => {
      const c = f.client;
      const input = await c.beta.files.upload({ file: await toFile(Buffer.from('alpha\nbeta\n'), 'input.txt') });
      const agent = await f.agent();
      const session = await c.beta.sessions.create({
        agent: agent.id,
        environment_id: f.t.envId,
        resources: [{ type: 'local_repository', path: f.t.repo } as never, { type: 'file', file_id: input.id }],
      });
      const resource = session.resources.find((r) => r.type === 'file');
      assert.deepEqual(resource && { type: resource.type, file_id: resource.file_id, mount_path: resource.mount_path }, { type: 'file', file_id: input.id, mount_path: `/mnt/session/uploads/${input.id}` });

      f.t.model.push(
        // Local commands run as the user (root here, whom modes do not stop): there the guard is the mode, 0444.
        reply.tool('bash', {
          command: kind === 'docker' ? `wc -l < ${UPLOADS}/${input.id}; (echo changed > ${UPLOADS}/${input.id}) 2>/dev/null && echo WRITABLE || echo READONLY` : `wc -l < ${UPLOADS}/${input.id}; stat -c 'mode %a' ${UPLOADS}/${input.id}`,
        }),
        reply.tool('bash', { command: `mkdir -p ${OUTPUTS}/report && tr a-z A-Z < ${UPLOADS}/${input.id} > ${OUTPUTS}/report/upper.txt && printf '%s' done > ${OUTPUTS}/status.txt` }),
        reply.text('done'),
      );
      await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
      const events = await f.t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle' && e.stop_reason.type === 'end_turn'), 120_000);
      const results = events.filter((e): e is Extract<SessionEvent, { type: 'agent.tool_result' }> => e.type === 'agent.tool_result').map((e) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''));
      assert.match(results[0]!, /^2\n/, `the upload is readable: ${results[0]}`);
      assert.match(results[0]!, kind === 'docker' ? /READONLY/ : /mode 444/, `the upload is read-only: ${results[0]}`);

      // The model was told where the file is and where outputs go.
      const system = JSON.stringify(f.t.model.requests[0]!.body.system);
      assert.match(system, new RegExp(`uploads/${input.id}`));
      assert.match(system, /mnt\/session\/outputs/);

      const outputs = await until(async () => {
        const page = await c.beta.files.list({ scope_id: session.id });
        return page.data.length === 2 ? page.data : null;
      });
      const byName = new Map(outputs.map((o) => [o.filename, o]));
      assert.deepEqual([...byName.keys()].sort(), ['status.txt', 'upper.txt']);
      for (const o of outputs) assert.deepEqual(o.scope, { type: 'session', id: session.id });
      assert.equal(await (await c.beta.files.download(byName.get('upper.txt')!.id)).text(), 'ALPHA\nBETA\n');
      assert.equal(await (await c.beta.files.download(byName.get('status.txt')!.id)).text(), 'done');
      assert.ok(!(await c.beta.files.list()).data.some((x) => x.id === input.id && x.scope), 'the upload itself stays unscoped');

      // The next turn changes one output: it replaces its capture; the unchanged one is not captured again.
      f.t.model.push(reply.tool('bash', { command: `printf '%s' again > ${OUTPUTS}/status.txt` }), reply.text('ok'));
      await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'again' }] }] });
      await until(async () => {
        const page = (await c.beta.files.list({ scope_id: session.id })).data;
        const status = page.find((x) => x.filename === 'status.txt');
        return page.length === 2 && status && status.id !== byName.get('status.txt')!.id ? page : null;
      });
      const latest = (await c.beta.files.list({ scope_id: session.id })).data;
      assert.equal(latest.find((x) => x.filename === 'upper.txt')!.id, byName.get('upper.txt')!.id);
      assert.equal(await (await c.beta.files.download(latest.find((x) => x.filename === 'status.txt')!.id)).text(), 'again');

      // A file of this session's scope cannot be mounted by another session.
      await assert.rejects(
        c.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'file', file_id: latest[0]!.id }] }),
        (e: unknown) => e instanceof Anthropic.BadRequestError && new RegExp(`belongs to session ${session.id}`).test(e.message),
      );
    });

    if (kind === 'local') {
      it('refuses an unknown file id and two files at one mount path, creating nothing', async () => {
        const c = f.client;
        const agent = await f.agent();
        const before = (await c.beta.sessions.list()).data.length;
        await assert.rejects(
          c.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'file', file_id: 'file_nope' }] }),
          (e: unknown) => e instanceof Anthropic.BadRequestError && /file_nope is not a file of this runtime; upload it first/.test(e.message),
        );
        const a = await c.beta.files.upload({ file: await toFile(Buffer.from('a'), 'a.txt') });
        const b = await c.beta.files.upload({ file: await toFile(Buffer.from('b'), 'b.txt') });
        await assert.rejects(
          c.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'file', file_id: a.id, mount_path: '/data/x' }, { type: 'file', file_id: b.id, mount_path: '/data/x' }] }),
          (e: unknown) => e instanceof Anthropic.BadRequestError && /already mounted/.test(e.message),
        );
        await assert.rejects(
          c.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'file', file_id: a.id, mount_path: '/workspace/a' }] }),
          (e: unknown) => e instanceof Anthropic.BadRequestError && /inside a directory the session owns/.test(e.message),
        );
        assert.equal((await c.beta.sessions.list()).data.length, before);

        // A file deleted after the session was made stays mounted in it (the session keeps a link).
        const kept = await c.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'file', file_id: a.id }] });
        await c.beta.files.delete(a.id);
        f.t.model.push(reply.tool('bash', { command: `cat ${UPLOADS}/${a.id}` }), reply.text('ok'));
        await c.beta.sessions.events.send(kept.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'read' }] }] });
        const events = await f.t.waitFor(kept.id, (es) => es.some((e) => e.type === 'session.status_idle'), 60_000);
        const result = events.find((e): e is Extract<SessionEvent, { type: 'agent.tool_result' }> => e.type === 'agent.tool_result');
        assert.equal(result?.is_error, false, JSON.stringify(result));
      });
    }
  });
}

async function until<T>(probe: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error('timed out waiting for the outputs to be captured');
    await new Promise((r) => setTimeout(r, 100));
  }
}
