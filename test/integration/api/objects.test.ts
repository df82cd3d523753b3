import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { reply } from '../../../src/model/scripted';
import { collect, startApi, typesOf, type ApiFixture } from './helpers';

// §9 items 2-5 and 12 through the real SDK: agents, environments, sessions, resources and threads, their paging and
// their typed errors.

type Rejects = (err: unknown) => boolean;
const isStatus =
  (cls: new (...args: never[]) => InstanceType<typeof Anthropic.APIError>, status: number, code?: string): Rejects =>
  (err) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal(err.status, status);
    if (code) assert.equal(err.errorCode, code);
    assert.match(String(err.requestID), /^req_/);
    return true;
  };

describe('api: agents, environments, sessions', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('agents: resolved shapes, versions, optimistic update without SDK retries, archive, paging', async () => {
    f = await startApi();
    const created = await f.client.beta.agents.create({
      name: 'shapes',
      model: DEFAULT_MODEL,
      tools: [
        { type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] },
        { type: 'mcp_toolset', mcp_server_name: 'docs' },
        { type: 'custom', name: 'lookup', description: 'd', input_schema: { type: 'object' } },
      ],
      mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com/mcp' }],
    });
    assert.equal(created.version, 1);
    assert.equal(created.model.id, DEFAULT_MODEL);
    const [toolset, mcp, custom] = created.tools;
    assert.ok(toolset?.type === 'agent_toolset_20260401');
    assert.equal(toolset.configs.length, 8);
    assert.deepEqual(toolset.default_config, { enabled: true, permission_policy: { type: 'always_allow' } });
    assert.deepEqual(toolset.configs.find((c) => c.name === 'bash')?.permission_policy, { type: 'always_ask' });
    assert.ok(mcp?.type === 'mcp_toolset');
    assert.deepEqual(mcp.default_config.permission_policy, { type: 'always_ask' });
    assert.equal(custom?.type, 'custom');

    const v2 = await f.client.beta.agents.update(created.id, { version: 1, system: 'be brief' });
    assert.equal(v2.version, 2);
    assert.equal(v2.system, 'be brief');
    const before = f.requests.length;
    await assert.rejects(f.client.beta.agents.update(created.id, { version: 1, system: 'stale' }), isStatus(Anthropic.ConflictError, 409));
    assert.equal(f.requests.length - before, 1, 'the stale update was not retried by the SDK');
    assert.equal((await f.client.beta.agents.retrieve(created.id, { version: 1 })).system, null);
    assert.equal((await f.client.beta.agents.retrieve(created.id)).version, 2);
    const versions = [];
    for await (const v of f.client.beta.agents.versions.list(created.id, { limit: 1 })) versions.push(v.version);
    assert.deepEqual(versions, [1, 2]);

    for (let i = 0; i < 4; i++) await f.agent({ name: `more-${i}` });
    const archived = await f.client.beta.agents.archive(created.id);
    assert.ok(archived.archived_at);
    const names: string[] = [];
    for await (const a of f.client.beta.agents.list({ limit: 2 })) names.push(a.name);
    assert.deepEqual(names, ['more-0', 'more-1', 'more-2', 'more-3']);
    const all = await f.client.beta.agents.list({ include_archived: true, limit: 100 });
    assert.equal(all.data.length, 5);
    const recent = await f.client.beta.agents.list({ created_at: { gte: new Date(Date.now() + 60_000).toISOString() } } as Anthropic.Beta.AgentListParams);
    assert.equal(recent.data.length, 0);
    await assert.rejects(f.client.beta.agents.retrieve('agent_missing'), isStatus(Anthropic.NotFoundError, 404));
    await assert.rejects(f.client.beta.agents.create({ name: 'x', model: DEFAULT_MODEL, tools: [{ type: 'mcp_toolset', mcp_server_name: 'nope' }] }), isStatus(Anthropic.BadRequestError, 400));
  });

  it('environments: defaults, validation, preserved fields, typed errors, delete, archive blocks sessions', async () => {
    f = await startApi();
    const env = await f.client.beta.environments.create({ name: 'web', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['pypi.org'], allow_package_managers: true }, packages: { pip: ['requests'] } } });
    assert.equal(env.type, 'environment');
    assert.ok(env.config.type === 'cloud');
    assert.deepEqual(env.config.packages.pip, ['requests']);
    await assert.rejects(
      f.client.beta.environments.create({ name: 'bad', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: [] }, packages: { npm: ['left-pad'] } } }),
      isStatus(Anthropic.BadRequestError, 400),
    );
    const updated = await f.client.beta.environments.update(env.id, { description: 'with web' });
    assert.ok(updated.config.type === 'cloud' && updated.config.networking.type === 'limited', 'omitted config is preserved');
    await assert.rejects(f.client.beta.environments.update(env.id, { config: { type: 'self_hosted' } }), isStatus(Anthropic.BadRequestError, 400, 'invalid_config_type_change'));
    await assert.rejects(f.client.beta.environments.retrieve('env_missing'), isStatus(Anthropic.NotFoundError, 404, 'environment_not_found'));
    await assert.rejects(f.client.beta.environments.create({ name: 'web' }), isStatus(Anthropic.ConflictError, 409));
    await f.client.beta.environments.archive(env.id);
    const agent = await f.agent();
    await assert.rejects(f.client.beta.sessions.create({ agent: agent.id, environment_id: env.id }), isStatus(Anthropic.BadRequestError, 400, 'environment_archived'));
    assert.deepEqual(await f.client.beta.environments.delete(env.id), { id: env.id, type: 'environment_deleted' });
    await assert.rejects(f.client.beta.environments.retrieve(env.id), isStatus(Anthropic.NotFoundError, 404));
  });

  it('sessions: pinned agent snapshot, update emits session.updated, list filters and bidirectional pages', async () => {
    f = await startApi();
    const agent = await f.agent({ name: 'pinned' });
    await f.client.beta.agents.update(agent.id, { version: 1, system: 'v2 system' });
    const pinned = await f.client.beta.sessions.create({ agent: { type: 'agent', id: agent.id, version: 1 }, environment_id: f.t.envId, title: 'pinned one' });
    assert.equal(pinned.status, 'idle');
    assert.equal(pinned.agent.version, 1);
    const latest = await f.session(agent.id);
    assert.equal(latest.agent.version, 2);
    await f.client.beta.agents.update(agent.id, { version: 2, system: 'v3' });
    assert.equal((await f.client.beta.sessions.retrieve(latest.id)).agent.system, 'v2 system', 'the snapshot is frozen at creation');

    const stream = await f.client.beta.sessions.events.stream(pinned.id);
    const changed = await f.client.beta.sessions.update(pinned.id, { title: 'renamed', metadata: { team: 'infra' } });
    assert.equal(changed.title, 'renamed');
    assert.deepEqual(changed.metadata, { team: 'infra' });
    const [updated] = await collect(stream, (s) => s.some((e) => e.type === 'session.updated'));
    assert.ok(updated?.type === 'session.updated');
    assert.equal(updated.title, 'renamed');

    const other = await f.agent({ name: 'other' });
    for (let i = 0; i < 3; i++) await f.session(other.id);
    const ids: string[] = [];
    for await (const s of f.client.beta.sessions.list({ limit: 2 })) ids.push(s.id);
    assert.equal(ids.length, 5);
    const firstPage = await f.client.beta.sessions.list({ limit: 2, order: 'asc' });
    assert.equal(firstPage.prev_page, null);
    assert.equal(firstPage.data[0]!.id, pinned.id);
    const secondPage = await firstPage.getNextPage();
    assert.ok(secondPage.prev_page, 'a later page can go back');
    const back = await f.client.beta.sessions.list({ limit: 2, order: 'asc', page: secondPage.prev_page! });
    assert.deepEqual(back.data.map((s) => s.id), firstPage.data.map((s) => s.id));
    assert.deepEqual((await f.client.beta.sessions.list({ agent_id: other.id })).data.length, 3);
    assert.deepEqual((await f.client.beta.sessions.list({ agent_id: agent.id, agent_version: 1 })).data.map((s) => s.id), [pinned.id]);
    assert.equal((await f.client.beta.sessions.list({ statuses: ['running'] })).data.length, 0);
    assert.equal((await f.client.beta.sessions.list({ statuses: ['idle', 'running'] })).data.length, 5);
    const cut = (await f.client.beta.sessions.retrieve(latest.id)).created_at;
    assert.ok((await f.client.beta.sessions.list({ created_at: { gte: cut } } as Anthropic.Beta.Sessions.SessionListParams)).data.every((s) => s.created_at >= cut));
    await assert.rejects(f.client.beta.sessions.list({ limit: 2, order: 'desc', page: secondPage.prev_page! }), isStatus(Anthropic.BadRequestError, 400));

    const archived = await f.client.beta.sessions.archive(pinned.id);
    assert.ok(archived.archived_at);
    assert.equal(archived.status, 'terminated');
    assert.equal((await f.client.beta.sessions.list({})).data.length, 4, 'archived sessions are hidden by default');
    assert.equal((await f.client.beta.sessions.list({ include_archived: true })).data.length, 5);
    await assert.rejects(f.client.beta.sessions.retrieve('sesn_missing'), isStatus(Anthropic.NotFoundError, 404));
    await assert.rejects(f.client.beta.sessions.create({ agent: 'agent_missing', environment_id: f.t.envId }), isStatus(Anthropic.NotFoundError, 404));
    await assert.rejects(f.client.beta.sessions.create({ agent: other.id, environment_id: f.t.envId, vault_ids: ['vlt_missing'] }), isStatus(Anthropic.NotFoundError, 404));
  });

  it('resources and threads: the local repository, the primary thread and its events', async () => {
    f = await startApi({ script: [reply.text('thread says hi')] });
    const session = await f.session((await f.agent()).id);
    const resources = await f.client.beta.sessions.resources.list(session.id);
    assert.equal(resources.data.length, 1);
    const repo = resources.data[0] as unknown as { id: string; type: string; path: string };
    assert.equal(repo.type, 'local_repository');
    assert.equal(repo.path, f.t.repo);
    assert.deepEqual(await f.client.beta.sessions.resources.retrieve(repo.id, { session_id: session.id }), repo);
    await assert.rejects(f.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: 'file_1' }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.BadRequestError);
      assert.match(err.message, /is not a file of this runtime; upload it first/);
      return true;
    });
    // Resource kinds Hangar does not know are refused in one plain sentence, not schema output.
    await assert.rejects(
      f.client.beta.sessions.create({ agent: session.agent.id, environment_id: f.t.envId, resources: [{ type: 'dropbox_folder', folder: 'x' }] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams),
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.BadRequestError);
        assert.match(err.message, /Resource type "dropbox_folder" is not supported: it is not a resource type Hangar knows\. Give the repository/);
        assert.doesNotMatch(err.message, /✖|→|Invalid request body/);
        return true;
      },
    );

    const threads = await f.client.beta.sessions.threads.list(session.id);
    assert.equal(threads.data.length, 1);
    const thread = threads.data[0]!;
    assert.equal(thread.type, 'session_thread');
    assert.equal(thread.parent_thread_id, null);
    assert.equal(thread.session_id, session.id);
    const again = await f.client.beta.sessions.threads.retrieve(thread.id, { session_id: session.id });
    assert.deepEqual({ ...again, stats: null }, { ...thread, stats: null });
    await assert.rejects(f.client.beta.sessions.threads.retrieve('sthr_missing', { session_id: session.id }), isStatus(Anthropic.NotFoundError, 404));
    const threadStream = await f.client.beta.sessions.threads.events.stream(thread.id, { session_id: session.id });
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] });
    const seen = await collect(threadStream, (s) => s.some((e) => e.type === 'session.status_idle'));
    const listed = await f.client.beta.sessions.threads.events.list(thread.id, { session_id: session.id });
    assert.deepEqual(listed.data.map((e) => e.id), seen.map((e) => ('id' in e ? e.id : '')));
    assert.equal((await f.client.beta.sessions.threads.list(session.id, { statuses: ['running'] })).data.length, 0);
    await assert.rejects(f.client.beta.sessions.threads.archive(thread.id, { session_id: session.id }), isStatus(Anthropic.BadRequestError, 400));

    assert.deepEqual(await f.client.beta.sessions.resources.delete(repo.id, { session_id: session.id }), { id: repo.id, type: 'session_resource_deleted' });
    assert.equal((await f.client.beta.sessions.resources.list(session.id)).data.length, 0);
    await assert.rejects(f.client.beta.sessions.resources.retrieve(repo.id, { session_id: session.id }), isStatus(Anthropic.NotFoundError, 404));
    assert.deepEqual(typesOf((await f.client.beta.sessions.events.list(session.id)).data).at(-1), 'session.status_idle');
  });
});
