import assert from 'node:assert/strict';
import { normalizeTools } from '../../../src/runtime/agents';
import { AgentToolset } from '../../../src/wire';

// The resolved web_fetch config carries url_sources (required, nullable in the SDK's types), whether the agent was
// just created or was stored before the field was emitted.

const webFetch = (toolset: AgentToolset) => toolset.configs.find((c) => c.name === 'web_fetch');

describe('resolved agent toolset', () => {
  it('gives web_fetch url_sources: null unless the client set it, and only web_fetch', () => {
    const [plain] = normalizeTools([{ type: 'agent_toolset_20260401' }], []);
    assert.ok(plain?.type === 'agent_toolset_20260401');
    assert.equal(webFetch(plain)?.url_sources, null);
    assert.ok(plain.configs.filter((c) => c.name !== 'web_fetch').every((c) => !('url_sources' in c)));
    const only = { client_tool_results: { type: 'all' }, server_tool_results: null, user_input: null };
    const [given] = normalizeTools([{ type: 'agent_toolset_20260401', configs: [{ name: 'web_fetch', url_sources: only }] }], []);
    assert.ok(given?.type === 'agent_toolset_20260401');
    assert.deepEqual(webFetch(given)?.url_sources, only);
  });

  it('fills url_sources: null into a web_fetch config stored without it', () => {
    const stored = {
      type: 'agent_toolset_20260401',
      default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
      configs: [
        { name: 'bash', type: 'bash', enabled: true, permission_policy: { type: 'always_allow' } },
        { name: 'web_fetch', type: 'web_fetch', enabled: true, permission_policy: { type: 'always_allow' } },
      ],
    };
    const read = AgentToolset.parse(stored);
    assert.equal(webFetch(read)?.url_sources, null);
    assert.ok(!('url_sources' in read.configs[0]!));
  });
});
