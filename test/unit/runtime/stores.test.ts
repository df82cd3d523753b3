import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentStore } from '../../../src/runtime/agents';
import { EnvironmentStore, sandboxEnvironment } from '../../../src/runtime/environments';
import { RuntimeError } from '../../../src/runtime/errors';
import { pageSessions } from '../../../src/runtime/session-paging';
import { DEFAULT_CATALOG, hangarMetadataPatch, reachesNothing } from '../../../src/wire';

const rejectsWith = (status: number, pattern: RegExp, code?: string) => (err: unknown) =>
  err instanceof RuntimeError && err.status === status && pattern.test(err.message) && (code === undefined || err.code === code);

describe('runtime stores', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'hangar-stores-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('agents', () => {
    it('normalises create params into the resolved response form', async () => {
      const a = await new AgentStore(root, DEFAULT_CATALOG).create({
        name: 'n',
        model: 'claude-sonnet-5-5',
        tools: [
          { type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] },
          { type: 'mcp_toolset', mcp_server_name: 'docs' },
        ],
        mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com/mcp' }],
      });
      assert.equal(a.version, 1);
      assert.deepEqual(a.model, { id: 'claude-sonnet-5-5', effort: { type: 'high' } });
      const toolset = a.tools[0];
      assert.ok(toolset?.type === 'agent_toolset_20260401');
      assert.equal(toolset.configs.length, 8, 'all eight built-in tools are listed');
      assert.deepEqual(toolset.configs.find((c) => c.name === 'bash')?.permission_policy, { type: 'always_ask' });
      assert.deepEqual(toolset.configs.find((c) => c.name === 'read')?.permission_policy, { type: 'always_allow' });
      const mcp = a.tools[1];
      assert.ok(mcp?.type === 'mcp_toolset');
      assert.deepEqual(mcp.default_config.permission_policy, { type: 'always_ask' }, 'MCP toolsets default to always_ask');
    });

    it('versions on update, keeps old versions readable and refuses a stale version', async () => {
      const store = new AgentStore(root, DEFAULT_CATALOG);
      const a = await store.create({ name: 'n', model: 'm', system: 'one', metadata: { team: 'a', keep: 'x' } });
      const b = await store.update(a.id, { version: 1, system: 'two', metadata: { team: null, extra: 'y' } });
      assert.equal(b.version, 2);
      assert.deepEqual(b.metadata, { keep: 'x', extra: 'y' }, 'metadata is a patch: null deletes');
      assert.equal((await store.retrieve(a.id, 1)).system, 'one');
      assert.equal((await store.retrieve(a.id)).system, 'two');
      await assert.rejects(store.update(a.id, { version: 1, system: 'three' }), rejectsWith(409, /is at version 2, not 1/));
      const versions = await store.versions(a.id, {});
      assert.deepEqual(versions.data.map((v) => v.version), [1, 2]);
    });

    it('rejects MCP servers no toolset uses and toolsets naming unknown servers', async () => {
      const store = new AgentStore(root, DEFAULT_CATALOG);
      await assert.rejects(store.create({ name: 'n', model: 'm', mcp_servers: [{ type: 'url', name: 'x', url: 'https://x.example/mcp' }] }), rejectsWith(400, /not used by any mcp_toolset/));
      await assert.rejects(store.create({ name: 'n', model: 'm', tools: [{ type: 'mcp_toolset', mcp_server_name: 'ghost' }] }), rejectsWith(400, /not in mcp_servers/));
    });

    it('hides archived agents from list unless asked and refuses to update them', async () => {
      const store = new AgentStore(root, DEFAULT_CATALOG);
      const a = await store.create({ name: 'a', model: 'm' });
      await store.create({ name: 'b', model: 'm' });
      await store.archive(a.id);
      assert.deepEqual((await store.list({})).data.map((x) => x.name), ['b']);
      assert.equal((await store.list({ include_archived: true })).data.length, 2);
      await assert.rejects(store.update(a.id, { name: 'c' }), rejectsWith(400, /archived/));
      await assert.rejects(store.retrieve('agent_nope'), rejectsWith(404, /does not exist/));
    });
  });

  describe('environments', () => {
    it('defaults to no network (limited, nothing allowed) and preserves omitted config fields on update', async () => {
      const store = new EnvironmentStore(root);
      const e = await store.create({ name: 'e', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.example.com'] } } });
      assert.ok(e.config.type === 'cloud' && e.config.networking.type === 'limited');
      const plain = await store.create({ name: 'plain' });
      assert.ok(plain.config.type === 'cloud');
      assert.deepEqual(plain.config.networking, { type: 'limited', allowed_hosts: [], allow_package_managers: false, allow_mcp_servers: false });
      assert.ok(reachesNothing(plain.config.networking), 'the sandbox gets no network');
      const u = await store.update(e.id, { config: { packages: { pip: [] } }, metadata: { 'hangar.pids': '128' } });
      assert.ok(u.config.type === 'cloud' && u.config.networking.type === 'limited' && u.config.networking.allowed_hosts[0] === 'api.example.com', 'networking kept');
      assert.deepEqual(sandboxEnvironment(u).hangar.limits, { memory_mb: 2048, cpus: 2, pids: 128 });
    });

    it('carries Hangar settings as hangar.* metadata and refuses bad ones with the key and the reason', async () => {
      const store = new EnvironmentStore(root);
      const e = await store.create({ name: 'e', metadata: { 'hangar.image': 'node:20', 'hangar.memory_mb': '4096', team: 'core' } });
      assert.deepEqual(sandboxEnvironment(e).hangar, { image: 'node:20', limits: { memory_mb: 4096, cpus: 2, pids: 512 } });
      const u = await store.update(e.id, { metadata: { 'hangar.cpus': '0.5', 'hangar.image': null } });
      assert.deepEqual(sandboxEnvironment(u).hangar, { limits: { memory_mb: 4096, cpus: 0.5, pids: 512 } });
      await assert.rejects(store.update(e.id, { metadata: { 'hangar.cpus': 'lots' } }), rejectsWith(400, /metadata "hangar\.cpus" must be a number \(got "lots"\)/, 'invalid_metadata'));
      await assert.rejects(store.create({ name: 'p', metadata: { 'hangar.provider': 'vm' } }), rejectsWith(400, /"hangar\.provider" must be "docker" or "local"/));
      await assert.rejects(store.create({ name: 'm', metadata: { 'hangar.memory': '1' } }), rejectsWith(400, /"hangar\.memory" is not a Hangar setting; Hangar reads "hangar\.provider"/));
      await assert.rejects(store.create({ name: 'c', config: { type: 'cloud', hangar: { image: 'x' } } }), rejectsWith(400, /config\.hangar is not part of the environment config; set .* metadata keys/));
      assert.deepEqual(hangarMetadataPatch({ provider: 'docker', limits: { memory_mb: 2048, cpus: 4 } }), { 'hangar.provider': 'docker', 'hangar.memory_mb': null, 'hangar.cpus': '4' }, 'defaults are removed, not stored');
    });

    it('reads an environment stored in the old form (networking none, config.hangar) in the wire form', async () => {
      const store = new EnvironmentStore(root);
      const old = {
        type: 'environment', id: 'env_old', name: 'old', description: null, metadata: { team: 'core' },
        config: { type: 'cloud', networking: { type: 'none' }, packages: { apt: [], cargo: [], gem: [], go: [], npm: [], pip: [] }, hangar: { provider: 'docker', image: 'node:20', limits: { memory_mb: 512, cpus: 2, pids: 512 } } },
        created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', archived_at: null,
      };
      mkdirSync(path.join(root, 'environments'), { recursive: true });
      writeFileSync(path.join(root, 'environments', 'env_old.json'), JSON.stringify(old));
      const read = await store.retrieve('env_old');
      assert.deepEqual(read.config, { type: 'cloud', networking: { type: 'limited', allowed_hosts: [], allow_package_managers: false, allow_mcp_servers: false }, packages: old.config.packages });
      assert.deepEqual(read.metadata, { team: 'core', 'hangar.provider': 'docker', 'hangar.image': 'node:20', 'hangar.memory_mb': '512' });
      assert.deepEqual(sandboxEnvironment(read).hangar, { provider: 'docker', image: 'node:20', limits: { memory_mb: 512, cpus: 2, pids: 512 } });
      const renamed = await store.update('env_old', { name: 'renamed' });
      assert.equal((await store.list({})).data.find((x) => x.id === 'env_old')?.name, 'renamed');
      assert.ok(!('hangar' in renamed.config), 'written back in the new form');
    });

    it('refuses a config type change, duplicate names, and packages without package managers', async () => {
      const store = new EnvironmentStore(root);
      const e = await store.create({ name: 'e' });
      await assert.rejects(store.update(e.id, { config: { type: 'self_hosted' } }), rejectsWith(400, /cannot change/, 'invalid_config_type_change'));
      await assert.rejects(store.create({ name: 'e' }), rejectsWith(409, /already exists/));
      await assert.rejects(
        store.create({ name: 'p', config: { type: 'cloud', networking: { type: 'limited' }, packages: { pip: ['requests'] } } }),
        rejectsWith(400, /allow_package_managers/),
      );
      await assert.rejects(store.create({ name: 'bad', config: { type: 'cloud', networking: { type: 'sometimes' } } }), rejectsWith(400, /config is invalid/));
    });

    it('deletes and reports not found afterwards', async () => {
      const store = new EnvironmentStore(root);
      const e = await store.create({ name: 'e' });
      assert.deepEqual(await store.delete(e.id), { id: e.id, type: 'environment_deleted' });
      await assert.rejects(store.retrieve(e.id), rejectsWith(404, /does not exist/, 'environment_not_found'));
    });
  });

  describe('session paging', () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ id: `s${i}`, created_at: `2026-01-0${i + 1}T00:00:00Z` }));

    it('walks forward and back with stable cursors', async () => {
      const p1 = await pageSessions(items, 'desc', 3, undefined);
      assert.deepEqual(p1.data.map((s) => s.id), ['s6', 's5', 's4']);
      assert.equal(p1.prev_page, null);
      const p2 = await pageSessions(items, 'desc', 3, p1.next_page!);
      assert.deepEqual(p2.data.map((s) => s.id), ['s3', 's2', 's1']);
      const back = await pageSessions(items, 'desc', 3, p2.prev_page!);
      assert.deepEqual(back.data.map((s) => s.id), ['s6', 's5', 's4']);
      // A session created between page reads does not shift the next page.
      const more = [...items, { id: 's7', created_at: '2026-01-08T00:00:00Z' }];
      assert.deepEqual((await pageSessions(more, 'desc', 3, p1.next_page!)).data.map((s) => s.id), ['s3', 's2', 's1']);
    });

    it('asks a filter only about the page and one neighbour each way, and pages over what it accepts', async () => {
      const asked: string[] = [];
      const p1 = await pageSessions(items, 'asc', 2, undefined, (s) => (asked.push(s.id), true));
      assert.deepEqual(p1.data.map((s) => s.id), ['s0', 's1']);
      assert.deepEqual(asked, ['s0', 's1', 's2'], 'one look-ahead decides next_page');
      const odd = (s: { id: string }) => Number(s.id.slice(1)) % 2 === 1;
      const q1 = await pageSessions(items, 'asc', 2, undefined, odd);
      assert.deepEqual(q1.data.map((s) => s.id), ['s1', 's3']);
      const q2 = await pageSessions(items, 'asc', 2, q1.next_page!, odd);
      assert.deepEqual(q2.data.map((s) => s.id), ['s5']);
      assert.equal(q2.next_page, null);
      assert.deepEqual((await pageSessions(items, 'asc', 2, q2.prev_page!, odd)).data.map((s) => s.id), ['s1', 's3']);
    });

    it('refuses a cursor made with another order or not made by the server', async () => {
      const p1 = await pageSessions(items, 'asc', 2, undefined);
      await assert.rejects(pageSessions(items, 'desc', 2, p1.next_page!), /order=asc/);
      await assert.rejects(pageSessions(items, 'desc', 2, 'garbage'), /not a cursor this server issued/);
    });
  });
});
