import assert from 'node:assert/strict';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { reply } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import type { SandboxProvider } from '../../../src/sandbox/types';
import type { SessionEvent } from '../../../src/wire';
import { requireDocker } from '../docker/helpers';
import { raw, startApi, type ApiFixture } from './helpers';

// Skills through the real SDK over HTTP: `beta.skills` (multipart upload, list, retrieve, versions, delete) with its
// bad inputs, agents that name custom skills and the repository's skill folders, and sessions on both providers in
// which the model's system prompt lists each skill and a command reads its SKILL.md under /mnt/skills, read-only.

const SKILL_MD = '---\nname: greeting\ndescription: Greets people in the house style. Use when asked to greet.\n---\n# Greeting\nSay "Ahoy" first.\n';
const upload = async (files: Record<string, string>) => Promise.all(Object.entries(files).map(([name, text]) => toFile(Buffer.from(text), name)));
const badRequest = (pattern: RegExp) => (e: unknown) => e instanceof Anthropic.BadRequestError && pattern.test(e.message);

type ToolResult = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const texts = (events: SessionEvent[]) =>
  events.filter((e): e is ToolResult => e.type === 'agent.tool_result').map((e) => (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''));

describe('api: skills', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  before(async () => {
    f = await startApi();
  });
  after(async () => f?.close());

  it('creates, lists, retrieves, versions and deletes a skill as the SDK calls them', async () => {
    const c = f.client;
    const skill = await c.beta.skills.create({ files: await upload({ 'greeting/SKILL.md': SKILL_MD, 'greeting/notes/extra.md': 'more' }) });
    assert.equal(skill.type, 'skill');
    assert.match(skill.id, /^skill_/);
    assert.equal(skill.display_name, 'greeting');
    assert.deepEqual(skill.source, { type: 'custom' });
    assert.deepEqual(await c.beta.skills.retrieve(skill.id), skill);
    assert.ok((await c.beta.skills.list()).data.some((s) => s.id === skill.id));
    assert.equal((await c.beta.skills.list({ source: 'anthropic' })).data.length, 0);

    const first = await c.beta.skills.versions.retrieve(skill.latest_version_id, { skill_id: skill.id });
    assert.deepEqual({ name: first.name, description: first.description, skill_id: first.skill_id }, { name: 'greeting', description: 'Greets people in the house style. Use when asked to greet.', skill_id: skill.id });
    const second = await c.beta.skills.versions.create(skill.id, { files: await upload({ 'greeting/SKILL.md': SKILL_MD.replace('house style', 'new style') }) });
    assert.ok(BigInt(second.id) > BigInt(first.id));
    assert.equal((await c.beta.skills.retrieve(skill.id)).latest_version_id, second.id);
    assert.deepEqual((await c.beta.skills.versions.list(skill.id)).data.map((v) => v.id), [second.id, first.id]);
    // A version keeps the skill's name.
    await assert.rejects(c.beta.skills.versions.create(skill.id, { files: await upload({ 'other/SKILL.md': SKILL_MD.replace('name: greeting', 'name: other') }) }), badRequest(/keeps its name/));

    assert.deepEqual(await c.beta.skills.versions.delete(second.id, { skill_id: skill.id }), { id: second.id, type: 'skill_version_deleted' });
    assert.equal((await c.beta.skills.retrieve(skill.id)).latest_version_id, first.id);
    await assert.rejects(c.beta.skills.versions.delete(first.id, { skill_id: skill.id }), badRequest(/only version.*delete the skill instead/));
    assert.deepEqual(await c.beta.skills.delete(skill.id), { id: skill.id, type: 'skill_deleted' });
    await assert.rejects(c.beta.skills.retrieve(skill.id), Anthropic.NotFoundError);
  });

  it('refuses bad uploads with the reason and stores nothing', async () => {
    const c = f.client;
    const before = (await c.beta.skills.list()).data.length;
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ 'greeting/README.md': 'x' }, /No SKILL\.md at the top of the skill folder/],
      [{ 'greeting/SKILL.md': '---\nname: [broken\n---\n' }, /front matter is not valid YAML/],
      [{ 'greeting/SKILL.md': '# no front matter\n' }, /must start with YAML front matter/],
      [{ 'greeting/SKILL.md': '---\nname: greeting\n---\n' }, /needs a "description"/],
      [{ 'greeting/SKILL.md': SKILL_MD, '../escape.sh': 'x' }, /empty, "\." or "\.\." component/],
      [{ 'greeting/SKILL.md': SKILL_MD, 'greeting/../../escape.sh': 'x' }, /empty, "\." or "\.\." component/],
      [{ 'greeting/SKILL.md': SKILL_MD, 'other/x.md': 'x' }, /one top-level folder/],
      [{ 'SKILL.md': SKILL_MD }, /has no folder/],
    ];
    for (const [files, pattern] of bad) await assert.rejects(c.beta.skills.create({ files: await upload(files) }), badRequest(pattern), JSON.stringify(Object.keys(files)));
    await assert.rejects(c.beta.skills.create({ files: [] }), badRequest(/No files/));
    // Over the size limit: refused as too large while it is read.
    await assert.rejects(c.beta.skills.create({ files: await upload({ 'big/SKILL.md': SKILL_MD, 'big/blob.bin': 'x'.repeat(8 * 1024 * 1024 + 1) }) }), (e: unknown) => e instanceof Anthropic.APIError && e.status === 413);
    assert.equal((await c.beta.skills.list()).data.length, before);
    // Not multipart: the API's error envelope.
    const r = await raw(f.server, 'POST', '/v1/skills', { headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 415);
    assert.equal(r.json().error.type, 'invalid_request_error');
  });

  it('checks an agent\'s skills at create and update', async () => {
    const c = f.client;
    const skill = await c.beta.skills.create({ files: await upload({ 'greeting/SKILL.md': SKILL_MD }) });
    const agent = await c.beta.agents.create({ name: 'skilled', model: DEFAULT_MODEL, skills: [{ type: 'custom', skill_id: skill.id }, { type: 'custom', skill_id: 'workspace' }] });
    assert.deepEqual(agent.skills, [
      { type: 'custom', skill_id: skill.id, version: 'latest' },
      { type: 'custom', skill_id: 'workspace', version: 'latest' },
    ]);
    const before = (await c.beta.agents.list()).data.length;
    await assert.rejects(c.beta.agents.create({ name: 'x', model: DEFAULT_MODEL, skills: [{ type: 'custom', skill_id: 'skill_unknown' }] }), badRequest(/skills\[0\]: Skill skill_unknown does not exist/));
    await assert.rejects(c.beta.agents.create({ name: 'x', model: DEFAULT_MODEL, skills: [{ type: 'custom', skill_id: skill.id, version: '123' }] }), badRequest(/Skill version .*@123 does not exist/));
    await assert.rejects(c.beta.agents.create({ name: 'x', model: DEFAULT_MODEL, skills: [{ type: 'anthropic', skill_id: 'xlsx' }] }), badRequest(/Anthropic's skills \("xlsx"\) are not available in the local runtime/));
    await assert.rejects(c.beta.agents.create({ name: 'x', model: DEFAULT_MODEL, skills: [{ type: 'custom', skill_id: skill.id }, { type: 'custom', skill_id: skill.id }] }), badRequest(/named twice/));
    assert.equal((await c.beta.agents.list()).data.length, before);
    await assert.rejects(c.beta.agents.update(agent.id, { version: agent.version, skills: [{ type: 'anthropic', skill_id: 'pdf' }] }), Anthropic.BadRequestError);
    assert.equal((await c.beta.agents.retrieve(agent.id)).version, 1);
    const cleared = await c.beta.agents.update(agent.id, { version: agent.version, skills: [] });
    assert.deepEqual(cleared.skills, []);

    // A session's agent_with_overrides replaces the skills, checked the same way.
    const withOverrides = (skills: Anthropic.Beta.BetaManagedAgentsSkillParams[]) =>
      c.beta.sessions.create({ agent: { type: 'agent_with_overrides', id: agent.id, skills }, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    await assert.rejects(withOverrides([{ type: 'anthropic', skill_id: 'docx' }]), badRequest(/Anthropic's skills \("docx"\)/));
    const session = await withOverrides([{ type: 'custom', skill_id: skill.id }]);
    assert.deepEqual(session.agent.skills, [{ type: 'custom', skill_id: skill.id, version: 'latest' }]);
  });
});

const providers: Array<[string, ((storage: string) => SandboxProvider) | undefined]> = [
  ['local', undefined],
  ['docker', (storage) => new DockerSandboxProvider({ storageRoot: storage })],
];

// Docker: a write is refused (a read-only bind). Local: the copy is mode 0444, a guard rather than isolation (commands
// run as the user; as root here, a write would pass).
const readOnly = (dir: string) => (dir.startsWith('/') ? `(echo x >> ${dir}/greeting/SKILL.md) 2>/dev/null && echo WRITABLE || echo READONLY` : `stat -c 'mode %a' ${dir}/greeting/SKILL.md`);

for (const [kind, provider] of providers) {
  describe(`api: skills in a session (${kind})`, function () {
    this.timeout(180_000);
    let f: ApiFixture;
    before(async () => {
      if (kind === 'docker') await requireDocker();
      f = await startApi({
        provider,
        repoFiles: {
          'README.md': 'repo\n',
          '.claude/skills/reviewer/SKILL.md': '---\nname: reviewer\ndescription: Reviews diffs for the team.\n---\nLook for tests.\n',
          '.hangar/skills/broken/SKILL.md': '---\nname: broken\ndescription: [unclosed\n---\n',
        },
      });
    });
    after(async () => f?.close());

    it('mounts the agent\'s skills read-only, lists them in the system prompt, and warns about a broken one', async () => {
      const c = f.client;
      const skill = await c.beta.skills.create({ files: await upload({ 'greeting/SKILL.md': SKILL_MD, 'greeting/scripts/hello.sh': 'echo hello\n' }) });
      const agent = await f.agent({ skills: [{ type: 'custom', skill_id: skill.id }, { type: 'custom', skill_id: 'workspace' }] });
      const session = await f.session(agent.id);
      const skills = kind === 'docker' ? '/mnt/skills' : '../mnt/skills';
      const where = (target: string) => f.t.runtime.options.sandbox.mountedAt?.(session.id, target) ?? target;
      f.t.model.push(
        reply.tool('bash', { command: `cat ${skills}/greeting/SKILL.md; cat ${skills}/reviewer/SKILL.md; ls ${skills}; ${readOnly(skills)}` }),
        // The read tool takes the absolute path the prompt gives; a path that climbs out of /mnt/skills is refused.
        reply.tool('read', { file_path: `${where('/mnt/skills')}/greeting/scripts/hello.sh` }),
        reply.tool('read', { file_path: `${where('/mnt/skills')}/../../etc/hostname` }),
        reply.text('done'),
      );
      await c.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'greet me' }] }] });
      const events = await f.t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle'), 120_000);

      const [out, read, escaped] = texts(events);
      assert.match(read!, /echo hello/);
      assert.match(escaped!, /outside the workspace root/);
      assert.match(out!, /Say "Ahoy" first\./);
      assert.match(out!, /Look for tests\./);
      assert.match(out!, /^greeting\nreviewer\n(READONLY|mode 444)$/m);
      assert.doesNotMatch(out!, /broken/);

      const system = JSON.stringify(f.t.model.requests[0]!.body.system);
      assert.match(system, /greeting: Greets people in the house style\. Use when asked to greet\. \(.*mnt\/skills\/greeting\/SKILL\.md\)/);
      assert.match(system, /reviewer: Reviews diffs for the team\./);
      assert.doesNotMatch(system, /broken/);

      const warnings = events.filter((e) => e.type === 'session.error').map((e) => (e.type === 'session.error' ? e.error.message : ''));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /Workspace skill \.hangar\/skills\/broken is left out: SKILL\.md's front matter is not valid YAML/);

      // The session keeps its copy when the skill is deleted; a new session of the agent is refused with the reason.
      await c.beta.skills.delete(skill.id);
      await assert.rejects(f.session(agent.id), badRequest(/skill .* no longer exists; update the agent's skills/));
    });
  });
}
