import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import type { SandboxProvider } from '../../../src/sandbox/types';
import type { SessionEvent } from '../../../src/wire';
import { requireDocker } from '../docker/helpers';
import { startApi, type ApiFixture } from './helpers';

// Files attached to a live session through the real SDK's `resources.add`, on both providers: the file appears in the
// sandbox that is already running (and in one not made yet) without a restart, read-only and byte for byte (a binary
// file), and the model's next user turn names it. Bad input: a missing file id, a file another session wrote, a second
// file at a taken mount path, a resource type other than file, an archived session. Outputs: a symlink the agent
// leaves in /mnt/session/outputs (to a host path, to a directory) is not captured; a capture is announced.

const UPLOADS = '../mnt/session/uploads';
const OUTPUTS = '../mnt/session/outputs';

const providers: Array<[string, ((storage: string) => SandboxProvider) | undefined]> = [
  ['local', undefined],
  ['docker', (storage) => new DockerSandboxProvider({ storageRoot: storage })],
];

type ToolResult = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const texts = (events: SessionEvent[]) =>
  events.filter((e): e is ToolResult => e.type === 'agent.tool_result').map((e) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''));

for (const [kind, provider] of providers) {
  describe(`api: files attached to a live session (${kind})`, function () {
    this.timeout(180_000);
    let f: ApiFixture;
    before(async () => {
      if (kind === 'docker') await requireDocker();
      f = await startApi({ provider });
    });
    after(async () => f?.close());

    async function turn(sessionId: string, text: string): Promise<SessionEvent[]> {
      const before = (await f.t.runtime.sessions.eventCount(sessionId));
      await f.client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
      const events = await f.t.waitFor(sessionId, (es) => es.slice(before).some((e) => e.type === 'session.status_idle'), 120_000);
      return events.slice(before);
    }

    it('shows a file attached after the sandbox started, byte for byte and read-only, and tells the model', async () => {
      const c = f.client;
      const agent = await f.agent();
      const session = await f.session(agent.id);
      f.t.model.push(reply.tool('bash', { command: 'echo started' }), reply.text('ready'));
      assert.deepEqual(texts(await turn(session.id, 'start')), ['started']);

      const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
      const file = await c.beta.files.upload({ file: await toFile(bytes, 'blob.bin') });
      const added = await c.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id });
      assert.deepEqual({ type: added.type, file_id: added.file_id, mount_path: added.mount_path }, { type: 'file', file_id: file.id, mount_path: `/mnt/session/uploads/${file.id}` });
      assert.ok((await c.beta.sessions.resources.list(session.id)).data.some((r) => 'id' in r && r.id === added.id), 'the session lists the added resource');

      const requestsBefore = f.t.model.requests.length;
      f.t.model.push(
        reply.tool('bash', {
          command: kind === 'docker' ? `sha256sum < ${UPLOADS}/${file.id}; (echo x > ${UPLOADS}/${file.id}) 2>/dev/null && echo WRITABLE || echo READONLY` : `sha256sum < ${UPLOADS}/${file.id}; stat -c 'mode %a' ${UPLOADS}/${file.id}`,
        }),
        reply.text('read it'),
      );
      const [out] = texts(await turn(session.id, 'read the file I attached'));
      assert.ok(out!.startsWith(createHash('sha256').update(bytes).digest('hex')), `the sandbox holds the same bytes: ${out}`);
      assert.match(out!, kind === 'docker' ? /READONLY/ : /mode 444/);

      // The model's next user turn names the file and where it is, before the user's words.
      const next = JSON.stringify(f.t.model.requests[requestsBefore]!.body.messages.at(-1));
      assert.match(next, new RegExp(`attached the file blob\\.bin \\(${file.id}\\).*uploads/${file.id}.*read the file I attached`));
    });

    it('mounts a file attached before the sandbox exists when the sandbox is made', async () => {
      const c = f.client;
      const session = await f.session((await f.agent()).id);
      const file = await c.beta.files.upload({ file: await toFile(Buffer.from('early\n'), 'early.txt') });
      await c.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id, mount_path: '/data/early.txt' });
      f.t.model.push(reply.tool('bash', { command: kind === 'docker' ? 'cat /data/early.txt' : `cat ../data/early.txt` }), reply.text('ok'));
      assert.deepEqual(texts(await turn(session.id, 'go')), ['early']);
    });

    if (kind === 'docker') {
      it('does not capture symlinks left in /mnt/session/outputs', async () => {
        const c = f.client;
        const session = await f.session((await f.agent()).id);
        f.t.model.push(
          reply.tool('bash', { command: `ln -s /etc/passwd ${OUTPUTS}/passwd && ln -s / ${OUTPUTS}/root && ln -s ${f.t.storage} ${OUTPUTS}/host && printf real > ${OUTPUTS}/real.txt && ls ${OUTPUTS} | wc -l` }),
          reply.text('done'),
        );
        assert.deepEqual(texts(await turn(session.id, 'go')), ['4']);
        const outputs = await until(async () => {
          const page = (await c.beta.files.list({ scope_id: session.id })).data;
          return page.length > 0 ? page : null;
        });
        // Captured after the idle, all at once: wait a little longer for anything else it might wrongly take.
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual((await c.beta.files.list({ scope_id: session.id })).data.map((o) => o.filename), ['real.txt']);
        assert.equal(await (await c.beta.files.download(outputs[0]!.id)).text(), 'real');
      });
    }

    if (kind === 'local') {
      it('refuses a missing file, another session\'s file, a taken mount path, other resource types and archived sessions', async () => {
        const c = f.client;
        const agent = await f.agent();
        const session = await f.session(agent.id);
        const bad = (re: RegExp) => (e: unknown) => e instanceof Anthropic.BadRequestError && re.test(e.message);
        await assert.rejects(c.beta.sessions.resources.add(session.id, { type: 'file', file_id: 'file_missing' }), bad(/file_missing is not a file of this runtime; upload it first/));

        // Surfaces repaint a session when its outputs land (Runtime.onOutputs), a moment after the idle.
        const captured: string[] = [];
        const off = f.t.runtime.onOutputs((id) => captured.push(id));
        f.t.model.push(reply.tool('bash', { command: `printf out > ${OUTPUTS}/o.txt` }), reply.text('ok'));
        await turn(session.id, 'write');
        await until(async () => captured.length > 0);
        off();
        assert.deepEqual(captured, [session.id]);
        const output = (await c.beta.files.list({ scope_id: session.id })).data[0]!;
        const other = await f.session(agent.id);
        await assert.rejects(c.beta.sessions.resources.add(other.id, { type: 'file', file_id: output.id }), bad(new RegExp(`belongs to session ${session.id}`)));

        const a = await c.beta.files.upload({ file: await toFile(Buffer.from('a'), 'a.txt') });
        const b = await c.beta.files.upload({ file: await toFile(Buffer.from('b'), 'b.txt') });
        await c.beta.sessions.resources.add(other.id, { type: 'file', file_id: a.id, mount_path: '/data/x' });
        await assert.rejects(c.beta.sessions.resources.add(other.id, { type: 'file', file_id: b.id, mount_path: '/data/x' }), bad(/already mounted/));
        await assert.rejects(
          c.post(`/v1/sessions/${other.id}/resources`, { body: { type: 'github_repository', url: 'https://example.com/r.git' } }),
          bad(/Only "file" resources can be added to an existing session/),
        );
        assert.equal((await c.beta.sessions.resources.list(other.id)).data.filter((r) => r.type === 'file').length, 1, 'nothing half-added');

        await c.beta.sessions.archive(other.id);
        await assert.rejects(c.beta.sessions.resources.add(other.id, { type: 'file', file_id: b.id }), bad(/archived/));
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
