import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentStore } from '../../../src/runtime/agents';
import { EnvironmentStore } from '../../../src/runtime/environments';
import { RuntimeError } from '../../../src/runtime/errors';
import { pageSessions } from '../../../src/runtime/session-paging';
import { DEFAULT_CATALOG } from '../../../src/wire';

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
    it('defaults to no network and preserves omitted config fields on update', async () => {
      const store = new EnvironmentStore(root);
      const e = await store.create({ name: 'e', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.example.com'] } } });
      assert.ok(e.config.type === 'cloud' && e.config.networking.type === 'limited');
      const plain = await store.create({ name: 'plain' });
      assert.ok(plain.config.type === 'cloud' && plain.config.networking.type === 'none');
      await store.update(e.id, { config: { hangar: { limits: { pids: 128 } } } });
      const u = await store.update(e.id, { config: { hangar: { limits: { memory_mb: 512 } } } });
      assert.ok(u.config.type === 'cloud' && u.config.networking.type === 'limited', 'networking kept');
      assert.ok(u.config.type === 'cloud' && u.config.hangar.limits.memory_mb === 512 && u.config.hangar.limits.pids === 128, 'sibling limits kept');
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
