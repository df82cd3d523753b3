import assert from 'node:assert/strict';
import { RuntimeError } from '../../../src/runtime/errors';
import { defineInlineAgent } from '../../../src/runtime/inline-agents';
import { normalizeTools } from '../../../src/runtime/agents';
import { DEFAULT_CATALOG, InlineAgentParams, inlineThreadAgent, type SessionAgent, type ToolParams } from '../../../src/wire';
import { SendToAgentInput } from '../../../src/harness/threads/delegation';

// An inline agent the coordinator's model defines never has more power than its coordinator: tools a subset of its
// own, each permission policy at least as strict; what the definition leaves out is the coordinator's.

const servers = [{ type: 'url' as const, name: 'docs', url: 'https://docs.example/mcp' }];
const ownTools: ToolParams[] = [
  { type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }, { name: 'web_search', enabled: false }] },
  { type: 'mcp_toolset', mcp_server_name: 'docs', configs: [{ name: 'search', permission_policy: { type: 'always_allow' } }] },
  { type: 'custom', name: 'deploy', description: 'Deploys', input_schema: { type: 'object' } },
];
const coordinator: SessionAgent = {
  type: 'agent',
  id: 'agent_lead',
  version: 3,
  name: 'lead',
  description: null,
  system: 'Lead the work.',
  model: { id: 'claude-sonnet-5-5' },
  tools: normalizeTools(ownTools, servers),
  mcp_servers: servers,
  skills: [],
  multiagent: null,
  execution_identity: { type: 'service_account' },
};
const define = (params: unknown) => defineInlineAgent(InlineAgentParams.parse(params), coordinator, DEFAULT_CATALOG);
const refused = (pattern: RegExp) => (err: unknown) => err instanceof RuntimeError && err.status === 400 && pattern.test(err.message);
const builtin = (a: { tools: SessionAgent['tools'] }, name: string) => {
  const set = a.tools.find((t) => t.type === 'agent_toolset_20260401');
  return set?.type === 'agent_toolset_20260401' ? set.configs.find((c) => c.name === name) : undefined;
};

describe('inline agents: the definition a coordinator gives', () => {
  it('defaults to the coordinator\'s model and tools, under its own name and prompt', () => {
    const a = define({ name: 'linter', system: 'You lint.' });
    assert.equal(a.type, 'inline');
    assert.deepEqual(a.model, coordinator.model);
    assert.deepEqual(a.tools, coordinator.tools);
    assert.deepEqual(a.mcp_servers, servers);
    assert.deepEqual([a.name, a.system, a.description], ['linter', 'You lint.', null]);
    const run = inlineThreadAgent(a, coordinator);
    assert.deepEqual([run.type, run.id, run.version, run.name, run.system, run.multiagent], ['agent', 'agent_lead', 3, 'linter', 'You lint.', null]);
  });

  it('narrows: only named tools, stricter policies, the coordinator\'s MCP server and custom tool by name', () => {
    const a = define({
      name: 'reader',
      model: 'claude-haiku-4-5',
      tools: [
        { type: 'agent_toolset_20260401', default_config: { enabled: false }, configs: [{ name: 'read', enabled: true, permission_policy: { type: 'always_ask' } }, { name: 'bash', enabled: true }] },
        { type: 'custom', name: 'deploy', description: 'ignored', input_schema: { type: 'object' } },
      ],
    });
    assert.equal(a.model.id, 'claude-haiku-4-5');
    assert.deepEqual(builtin(a, 'read'), { ...builtin(coordinator, 'read'), permission_policy: { type: 'always_ask' } });
    assert.equal(builtin(a, 'bash')?.permission_policy.type, 'always_ask', 'a policy left out is the coordinator\'s');
    assert.equal(builtin(a, 'write')?.enabled, false);
    assert.deepEqual(a.tools[1], coordinator.tools[2], 'the custom tool is the coordinator\'s own definition');
    assert.deepEqual(a.mcp_servers, [], 'no MCP toolset, no MCP server');
  });

  it('clamps a default_config to the coordinator\'s per tool instead of widening', () => {
    const a = define({ name: 'x', tools: [{ type: 'agent_toolset_20260401', default_config: { enabled: true, permission_policy: { type: 'always_allow' } } }] });
    assert.equal(builtin(a, 'web_search')?.enabled, false, 'cannot enable what the coordinator lacks');
    assert.equal(builtin(a, 'bash')?.permission_policy.type, 'always_ask', 'cannot loosen a policy');
    const mcp = define({ name: 'y', tools: [{ type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { permission_policy: { type: 'always_ask' } } }] });
    const set = mcp.tools[0];
    assert.ok(set?.type === 'mcp_toolset');
    assert.equal(set.default_config.permission_policy.type, 'always_ask');
    assert.equal(set.configs.find((c) => c.name === 'search')?.permission_policy.type, 'always_ask', 'a stricter default tightens the coordinator\'s tools too');
    assert.deepEqual(mcp.mcp_servers, servers);
  });

  it('refuses a definition with more power than the coordinator, saying why', () => {
    assert.throws(() => define({ name: 'x', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_allow' } }] }] }), refused(/bash has permission_policy always_ask for you.*not always_allow/));
    assert.throws(() => define({ name: 'x', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'auto' } }] }] }), refused(/as strict or stricter/));
    assert.throws(() => define({ name: 'x', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'web_search', enabled: true }] }] }), refused(/web_search is not enabled for you/));
    assert.throws(() => define({ name: 'x', tools: [{ type: 'mcp_toolset', mcp_server_name: 'other' }] }), refused(/no MCP server "other".*"docs"/));
    assert.throws(() => define({ name: 'x', tools: [{ type: 'mcp_toolset', mcp_server_name: 'docs', configs: [{ name: 'search', permission_policy: { type: 'always_allow' } }, { name: 'write', permission_policy: { type: 'always_allow' } }] }] }), refused(/docs tool write has permission_policy always_ask/));
    assert.throws(() => define({ name: 'x', tools: [{ type: 'custom', name: 'rm', description: '', input_schema: { type: 'object' } }] }), refused(/no custom tool "rm"/));
    assert.throws(() => define({ name: 'x', tools: [{ type: 'agent_toolset_20260401' }, { type: 'agent_toolset_20260401' }] }), refused(/twice/));
    assert.throws(() => define({ name: 'x', model: { id: 'claude-haiku-4-5', effort: 'max' } }), refused(/model:/));
    const bare: SessionAgent = { ...coordinator, tools: [] };
    assert.throws(() => defineInlineAgent(InlineAgentParams.parse({ name: 'x', tools: [{ type: 'agent_toolset_20260401' }] }), bare, DEFAULT_CATALOG), refused(/no agent_toolset_20260401/));
  });

  it('validates the shape in send_to_agent\'s input schema', () => {
    const ok = SendToAgentInput.safeParse({ inline_agent: { name: 'linter' }, message: 'lint' });
    assert.ok(ok.success);
    const bad = (input: unknown, pattern: RegExp) => {
      const r = SendToAgentInput.safeParse(input);
      assert.ok(!r.success && pattern.test(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')), JSON.stringify(input));
    };
    bad({ inline_agent: { name: 'a"b' }, message: 'm' }, /inline_agent.name: name must not contain a double quote/);
    bad({ inline_agent: { name: '' }, message: 'm' }, /name must not be empty/);
    bad({ inline_agent: { name: 'a', skills: [] }, message: 'm' }, /inline_agent: Unrecognized key: "skills"/);
    bad({ inline_agent: { name: 'a', tools: [{ type: 'bogus' }] }, message: 'm' }, /inline_agent.tools.0/);
    bad({ agent: 'writer', inline_agent: { name: 'a' }, message: 'm' }, /exactly one of agent/);
    bad({ message: 'm' }, /exactly one of agent/);
  });
});
