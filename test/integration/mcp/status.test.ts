import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { freePort, stdioFixture } from '../../support/mcp-servers';
import { makeMcpRuntime, type McpTestRuntime } from '../../support/mcp-runtime';

// runtime.mcpStatus(): what surfaces (the VS Code sessions tree) show about a session's MCP servers, read through
// the runtime so no surface needs src/mcp.

describe('mcp: connection status through the runtime', function () {
  this.timeout(60_000);
  let t: McpTestRuntime | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports each server of a session driven here: connected with its tools, or down with the reason', async () => {
    t = await makeMcpRuntime([reply.text('ok')], { connectAttempts: 1 });
    const down = `http://127.0.0.1:${await freePort()}/mcp`;
    const id = await t.startWith('hello', [stdioFixture('fixture'), { type: 'url', name: 'down', url: down }]);
    await t.waitIdle(id);
    const status = t.runtime.mcpStatus(id);
    assert.ok(status, 'the session is driven by this runtime');
    const byName = new Map(status.map((s) => [s.name, s]));
    const fixture = byName.get('fixture');
    assert.equal(fixture?.state, 'connected');
    assert.equal(fixture.type, 'stdio');
    assert.ok(fixture.tools.includes('grow') && fixture.tools.includes('big'), fixture.tools.join(', '));
    assert.equal(typeof fixture.pid, 'number');
    const gone = byName.get('down');
    assert.equal(gone?.state, 'disconnected');
    assert.match(gone.error ?? '', /ECONNREFUSED/);
    assert.deepEqual(gone.tools, []);
  });

  it('is empty for a session without MCP servers and null for one this runtime does not drive', async () => {
    t = await makeMcpRuntime([reply.text('ok')]);
    const id = await t.startWith('hello', []);
    await t.waitIdle(id);
    assert.deepEqual(t.runtime.mcpStatus(id), []);
    assert.equal(t.runtime.mcpStatus('sesn_unknown'), null);
  });
});
