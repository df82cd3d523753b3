import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { stdioFixture } from '../../support/mcp-servers';
import { makeMcpRuntime, toolNames, type McpTestRuntime } from '../../support/mcp-runtime';

// A fixture server built on the MCP SDK for behaviour the reference servers do not show on demand: a tool list that
// changes mid-session, answers that are not JSON-RPC, oversized and error results, and a server that never speaks.

const byType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T) => events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
const allow = { type: 'always_allow' } as const;

describe('mcp: misbehaving servers', function () {
  this.timeout(90_000);
  let t: McpTestRuntime | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('refreshes the tool list on list_changed, so the next model request offers the new tool', async () => {
    t = await makeMcpRuntime([reply.tool('fixture__grow', {}), reply.tool('fixture__extra', {}), reply.text('done')]);
    const id = await t.startWith('grow', [stdioFixture()], { policy: allow });
    const events = await t.waitIdle(id);
    assert.ok(!toolNames(t, 0).includes('fixture__extra'));
    assert.ok(toolNames(t, 1).includes('fixture__extra'), toolNames(t, 1).join(', '));
    const results = byType(events, 'agent.mcp_tool_result');
    assert.deepEqual(results.map((r) => r.content), [[{ type: 'text', text: 'grown' }], [{ type: 'text', text: 'extra ran' }]]);
  });

  it('offers the tools of a server whose list_changed overtakes the first listing in the very first request', async () => {
    t = await makeMcpRuntime([reply.text('done')]);
    const id = await t.startWith('list', [stdioFixture('fixture', 'late')], { policy: allow });
    await t.waitIdle(id);
    assert.deepEqual(toolNames(t, 0).filter((n) => n.startsWith('fixture__')), ['fixture__fail']);
  });

  it('times out a server that answers with garbage, refuses an invalid result, caps a huge one, and passes on an error result', async () => {
    t = await makeMcpRuntime(
      [reply.tool('fixture__garbage', {}), reply.tool('fixture__malformed', {}), reply.tool('fixture__big', {}), reply.tool('fixture__fail', {}), reply.text('done')],
      { callTimeoutMs: 1000 },
    );
    const id = await t.startWith('misbehave', [stdioFixture()], { policy: allow });
    const events = await t.waitIdle(id);
    const [garbage, malformed, big, fail] = byType(events, 'agent.mcp_tool_result');
    assert.ok(garbage?.is_error);
    assert.match(JSON.stringify(garbage.content), /did not answer within 1 s/);
    assert.ok(malformed?.is_error);
    assert.match(JSON.stringify(malformed.content), /not a valid tool result.*expected array/);
    assert.equal(byType(events, 'session.error').length, 0, 'one bad answer does not drop the connection');
    assert.ok(big && !big.is_error);
    const bigText = JSON.stringify(big.content);
    assert.ok(bigText.length < 110_000, `capped: ${bigText.length}`);
    assert.match(bigText, /^.*xxxx.*characters cut.*yyyy/);
    assert.match(bigText, /300000 characters of text; it was cut to 100000/);
    assert.ok(fail?.is_error);
    assert.deepEqual(fail.content, [{ type: 'text', text: 'it broke' }]);
    assert.equal(events.at(-1)?.type, 'session.status_idle');
  });

  it('gives up on a server that never completes the handshake, and the session goes on', async () => {
    t = await makeMcpRuntime([reply.text('fine')], { connectTimeoutMs: 500, connectAttempts: 2 });
    const noise = 'setInterval(() => process.stdout.write("garbage, not json-rpc\\n"), 20)';
    const id = await t.startWith('hi', [{ type: 'stdio', name: 'noisy', command: process.execPath, args: ['-e', noise], env: {} }]);
    const events = await t.waitIdleAndGaveUp(id);
    const errors = byType(events, 'session.error');
    assert.deepEqual(errors.map((e) => [e.error.type, e.error.retry_status.type]), [
      ['mcp_connection_failed_error', 'retrying'],
      ['mcp_connection_failed_error', 'exhausted'],
    ]);
    // The model request waited for the first attempt only; the retry went on in the background.
    const types = events.map((e) => e.type);
    assert.ok(events.indexOf(errors[0]!) < types.indexOf('span.model_request_start'), types.join(', '));
    assert.match(errors[1]!.error.message, /500 ms/);
    assert.equal(byType(events, 'agent.message').length, 1);
    assert.equal(t.managers[0]!.status()[0]!.pid, undefined, 'the noisy process was stopped');
  });

  it('a session naming a vault that does not exist gets an auth error for the server', async () => {
    t = await makeMcpRuntime([reply.text('ok')]);
    const id = await t.startWith('hi', [{ type: 'url', name: 'remote', url: 'http://127.0.0.1:9/mcp' }], { vaultIds: ['vlt_gone'] });
    const events = await t.waitIdle(id);
    const err = byType(events, 'session.error')[0];
    assert.equal(err?.error.type, 'mcp_authentication_failed_error');
    assert.match(err.error.message, /could not read its credential.*vlt_gone/);
    assert.equal(byType(events, 'session.error').length, 1, 'not retried');
  });

  it('a call to a server that never connected tries again and fails as a tool error', async () => {
    t = await makeMcpRuntime([reply.tool('ghost__anything', { x: 1 }), reply.text('ok')], { connectAttempts: 1 });
    const id = await t.startWith('hi', [{ type: 'stdio', name: 'ghost', command: '/nonexistent/server', args: [], env: {} }], { policy: allow });
    const events = await t.waitIdle(id);
    const use = byType(events, 'agent.mcp_tool_use')[0];
    assert.equal(use?.mcp_server_name, 'ghost');
    const result = byType(events, 'agent.mcp_tool_result')[0];
    assert.ok(result?.is_error);
    assert.match(JSON.stringify(result.content), /not reachable, so anything did not run/);
    assert.equal(byType(events, 'session.error').length, 2, 'one failure at start, one at the call');
  });
});
