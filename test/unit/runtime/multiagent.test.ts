import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentStore } from '../../../src/runtime/agents';
import { RuntimeError } from '../../../src/runtime/errors';
import { expandRoster } from '../../../src/runtime/multiagent';
import { AgentCreateParams, DEFAULT_CATALOG, sessionRoster, type Agent } from '../../../src/wire';

const refused = (pattern: RegExp) => (err: unknown) => err instanceof RuntimeError && err.status === 400 && err.type === 'invalid_request_error' && pattern.test(err.message);

describe('multi-agent rosters', () => {
  let root: string;
  let store: AgentStore;
  const make = (name: string, extra: Partial<AgentCreateParams> = {}) => store.create({ name, model: 'claude-sonnet-5-5', ...extra });
  const snapshot = (a: Agent) => {
    const { created_at: _c, updated_at: _u, archived_at: _a, metadata: _m, ...s } = a;
    return s;
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hangar-roster-'));
    store = new AgentStore(root, DEFAULT_CATALOG);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('resolves the coordinator form: ids and refs to pinned versions, self to the owner', async () => {
    const a = await make('writer');
    await store.update(a.id, { system: 'v2' });
    const b = await make('tester');
    const c = await make('lead', { multiagent: { type: 'coordinator', agents: [a.id, { type: 'agent', id: b.id, version: 1 }, { type: 'self' }] } });
    assert.deepEqual(c.multiagent, {
      type: 'coordinator',
      agents: [
        { type: 'agent', id: a.id, version: 2 },
        { type: 'agent', id: b.id, version: 1 },
        { type: 'agent', id: c.id, version: 1 },
      ],
    });
    const c2 = await store.update(c.id, { system: 'new' });
    assert.deepEqual(c2.multiagent?.type === 'coordinator' && c2.multiagent.agents[2], { type: 'agent', id: c.id, version: 2 }, 'self follows the owner');
  });

  it('resolves multiagent_20261001 with its members, refusing what Hangar cannot run', async () => {
    const a = await make('writer');
    const c = await make('lead', { multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [a.id] } } });
    assert.deepEqual(c.multiagent, {
      type: 'multiagent_20261001',
      advisor: { type: 'disabled' },
      subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [{ type: 'agent', id: a.id, version: 1 }] },
      workflows: { type: 'disabled' },
    });
    // An update without subagents keeps them (merged level by level).
    const c2 = await store.update(c.id, { multiagent: { type: 'multiagent_20261001', workflows: { type: 'disabled' } } });
    assert.deepEqual(c2.multiagent, c.multiagent);
    await assert.rejects(make('x', { multiagent: { type: 'multiagent_20261001', advisor: { type: 'enabled', model: 'm' }, subagents: { type: 'enabled', predefined_agents: [a.id] } } }), refused(/no advisor model/));
    await assert.rejects(make('x', { multiagent: { type: 'multiagent_20261001', workflows: { type: 'enabled' }, subagents: { type: 'enabled', predefined_agents: [a.id] } } }), refused(/does not run workflows/));
    await assert.rejects(
      make('x', { multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [] } } }),
      refused(/inline agents disabled and no predefined_agents/),
    );
  });

  it('resolves inline agents: enabled by default (the SDK\'s default), alone or with predefined agents', async () => {
    const a = await make('writer');
    const alone = await make('lead', { multiagent: { type: 'multiagent_20261001' } });
    assert.deepEqual(alone.multiagent, {
      type: 'multiagent_20261001',
      advisor: { type: 'disabled' },
      subagents: { type: 'enabled', inline_agents: { type: 'enabled' }, predefined_agents: [] },
      workflows: { type: 'disabled' },
    });
    const both = await make('lead2', { multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', predefined_agents: [a.id] } } });
    assert.deepEqual(both.multiagent?.type === 'multiagent_20261001' && both.multiagent.subagents, { type: 'enabled', inline_agents: { type: 'enabled' }, predefined_agents: [{ type: 'agent', id: a.id, version: 1 }] });
  });

  it('refuses missing, archived and nested members, duplicates, two selves and an advisor entry', async () => {
    const a = await make('writer');
    const gone = await make('old');
    await store.archive(gone.id);
    const nested = await make('boss', { multiagent: { type: 'coordinator', agents: [a.id] } });
    const coordinator = (agents: unknown[]) => make('lead', { multiagent: { type: 'coordinator', agents } as never });
    await assert.rejects(coordinator(['agent_011missing']), refused(/agents\[0\]: agent agent_011missing does not exist/));
    await assert.rejects(coordinator([{ type: 'agent', id: a.id, version: 7 }]), refused(/version 7 does not exist/));
    await assert.rejects(coordinator([a.id, gone.id]), refused(/agents\[1\]: .* is archived/));
    await assert.rejects(coordinator([nested.id]), refused(/roster of its own.*one level deep.*cycles/));
    await assert.rejects(coordinator([a.id, a.id]), refused(/lists agent .* twice/));
    await assert.rejects(coordinator([{ type: 'self' }, { type: 'self' }]), refused(/"self" more than once/));
    await assert.rejects(coordinator([{ type: 'advisor', model: 'claude-opus-4-6' }]), refused(/no advisor model/));
    const twin = await make('writer');
    await assert.rejects(coordinator([a.id, twin.id]), refused(/Two roster agents are named "writer"/));
    // A member that later gets a roster of its own would make a cycle: refused by the depth rule on that update.
    const lead = await coordinator([a.id]);
    await assert.rejects(store.update(a.id, { multiagent: { type: 'coordinator', agents: [lead.id] } }), refused(/roster of its own/));
  });

  it('checks the roster size in the request schema (1 to 20 members)', () => {
    const size = (n: number) => AgentCreateParams.safeParse({ name: 'x', model: 'm', multiagent: { type: 'coordinator', agents: Array.from({ length: n }, (_, i) => `agent_${i}`) } });
    assert.match(JSON.stringify(size(0).error?.issues), /at least one agent/);
    assert.match(JSON.stringify(size(21).error?.issues), /at most 20 agents/);
    assert.equal(size(20).success, true);
  });

  it('expands the roster into a session snapshot that later edits do not change, and refuses members archived since', async () => {
    const a = await make('writer', { system: 'write well' });
    const c = await make('lead', { multiagent: { type: 'coordinator', agents: [a.id, { type: 'self' }] } });
    const expanded = await expandRoster(snapshot(c), store);
    const agent = { ...snapshot(c), multiagent: expanded };
    const roster = sessionRoster(agent);
    assert.deepEqual(roster.map((m) => [m.name, m.system, m.version]), [
      ['writer', 'write well', 1],
      ['lead', null, 1],
    ]);
    assert.ok(!('multiagent' in roster[1]!), 'a member carries no roster of its own');
    await store.update(a.id, { system: 'changed' });
    assert.equal(sessionRoster(agent)[0]?.system, 'write well');
    await store.archive(a.id);
    await assert.rejects(expandRoster(snapshot(c), store), refused(/which is archived; update the roster/));
  });
});
