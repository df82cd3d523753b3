import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { reply } from '../../../src/model/scripted';
import { TOKEN_PLACEHOLDER } from '../../../src/mcp';
import type { SessionEvent } from '../../../src/wire';
import { stdioEverything } from '../../support/mcp-servers';
import { makeMcpRuntime, lastRequestText, toolNames, type McpTestRuntime } from '../../support/mcp-runtime';

// server-everything launched by the runtime over stdio: calls and their content types, a crash mid-call, a call that
// outlives its timeout, and a token handed to the server through its env.

const byType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T) => events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
const allow = { type: 'always_allow' } as const;

describe('mcp: server-everything over stdio', function () {
  this.timeout(90_000);
  let t: McpTestRuntime | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('runs calls and turns text, image and structured results into tool results the model sees', async () => {
    t = await makeMcpRuntime([
      reply.tool('everything__get-sum', { a: 20, b: 22 }),
      reply.tool('everything__get-tiny-image', {}),
      reply.tool('everything__get-structured-content', { location: 'Chicago' }),
      reply.text('done'),
    ]);
    const id = await t.startWith('use the tools', [stdioEverything()], { policy: allow });
    const events = await t.waitIdle(id);
    const names = toolNames(t, 0);
    // When the tools are missing, say why: the session's errors and the server's status name the failed first attempt.
    const why = () => `tools: ${names.join(', ')}; errors: ${JSON.stringify(byType(events, 'session.error'))}; servers: ${JSON.stringify(t?.managers[0]?.status())}`;
    assert.ok(names.includes('everything__get-sum') && names.includes('everything__echo'), why());
    const sumDef = t.model.requests[0]!.body.tools!.find((x) => x.name === 'everything__get-sum') as { description?: string; input_schema?: { properties?: object } };
    assert.equal(sumDef.description, 'Returns the sum of two numbers');
    assert.deepEqual(Object.keys(sumDef.input_schema?.properties ?? {}).sort(), ['a', 'b']);
    const [sum, image, structured] = byType(events, 'agent.mcp_tool_result');
    assert.ok(sum && !sum.is_error && JSON.stringify(sum.content).includes('42'));
    assert.ok(image && !image.is_error);
    const img = image.content?.find((b) => b.type === 'image');
    assert.ok(img?.type === 'image' && img.source.type === 'base64' && img.source.media_type === 'image/png');
    assert.ok(structured && !structured.is_error);
    assert.match(JSON.stringify(structured.content), /temperature/);
    // The image reached the model as an image block, not as text.
    assert.match(lastRequestText(t), /"type":"image"/);
    assert.deepEqual(byType(events, 'agent.mcp_tool_use').map((u) => u.evaluated_permission), ['allow', 'allow', 'allow']);

    // Closing the runtime stops the servers it launched.
    const pid = t.managers[0]!.status()[0]!.pid!;
    assert.doesNotThrow(() => process.kill(pid, 0));
    await t.close();
    t = undefined;
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it('never runs a denied call and tells the model why', async () => {
    t = await makeMcpRuntime([reply.tool('everything__echo', { message: 'secret plans' }), reply.text('understood')]);
    const id = await t.startWith('echo', [stdioEverything()]);
    const first = await t.waitIdle(id);
    const use = byType(first, 'agent.mcp_tool_use')[0]!;
    assert.equal(use.evaluated_permission, 'ask');
    await t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'not now' }]);
    const events = await t.waitIdle(id, 2);
    const result = byType(events, 'agent.mcp_tool_result')[0];
    assert.ok(result?.is_error);
    assert.doesNotMatch(JSON.stringify(result.content), /Echo:/);
    assert.match(lastRequestText(t), /not now/);
  });

  it('a server killed mid-call gives a tool error; the next call starts it again', async () => {
    t = await makeMcpRuntime([
      reply.tool('everything__trigger-long-running-operation', { duration: 60, steps: 60 }),
      reply.tool('everything__echo', { message: 'back again' }),
      reply.text('done'),
    ]);
    const id = await t.startWith('go', [stdioEverything()], { policy: allow });
    await t.waitFor(id, (e) => byType(e, 'agent.mcp_tool_use').length >= 1);
    while (t.managers[0]!.status()[0]!.calls === 0) await new Promise((r) => setTimeout(r, 10));
    const before = t.managers[0]!.status()[0]!.pid;
    assert.ok(before, 'the stdio server has a pid');
    process.kill(before, 'SIGKILL');
    const events = await t.waitIdle(id);
    const [killed, echoed] = byType(events, 'agent.mcp_tool_result');
    assert.ok(killed?.is_error);
    assert.match(JSON.stringify(killed.content), /lost the connection|closed/);
    assert.ok(echoed && !echoed.is_error, JSON.stringify(echoed));
    assert.deepEqual(echoed.content, [{ type: 'text', text: 'Echo: back again' }]);
    const after = t.managers[0]!.status()[0]!.pid;
    assert.ok(after && after !== before, 'a new server process');
    assert.ok(byType(events, 'session.error').some((e) => e.error.type === 'mcp_connection_failed_error' && e.error.retry_status.type === 'retrying'));
    assert.equal(events.at(-1)?.type, 'session.status_idle');
  });

  it('cancels a call that outlives the timeout with a clear error, and the server stays usable', async () => {
    t = await makeMcpRuntime(
      [reply.tool('everything__trigger-long-running-operation', { duration: 30, steps: 2 }), reply.tool('everything__echo', { message: 'still here' }), reply.text('done')],
      { callTimeoutMs: 1500 },
    );
    const id = await t.startWith('go', [stdioEverything()], { policy: allow });
    const events = await t.waitIdle(id);
    const [slow, echo] = byType(events, 'agent.mcp_tool_result');
    assert.ok(slow?.is_error);
    assert.match(JSON.stringify(slow.content), /did not answer within 1\.5 s/);
    assert.deepEqual(echo?.content, [{ type: 'text', text: 'Echo: still here' }]);
  });

  it('hands a vault token to the server through its env, and redacts it when the server prints it', async () => {
    const token = 'stdio-token-5d2e8a1f9c3b7e60';
    t = await makeMcpRuntime([reply.tool('everything__get-env', {}), reply.text('done')]);
    const vaultId = await t.vaultWith('stdio:everything', token);
    const id = await t.startWith('env', [stdioEverything('everything', { SERVICE_TOKEN: TOKEN_PLACEHOLDER })], { vaultIds: [vaultId], policy: allow });
    const events = await t.waitIdle(id);
    const result = byType(events, 'agent.mcp_tool_result')[0];
    assert.ok(result && !result.is_error);
    const text = JSON.stringify(result.content);
    assert.match(text, /SERVICE_TOKEN[^,]*\[redacted\]/, 'the server saw a value for the variable');
    assert.ok(!text.includes(token));
    assert.ok(!text.includes('HANGAR_MCP_TOKEN'), 'the placeholder was replaced');
    await t.runtime.settled(id);
    assert.throws(() => execFileSync('grep', ['-rlF', '--', token, t!.storage]), (err: { status?: number }) => err.status === 1);
  });

  it('does not start a server whose env needs a token no vault has', async () => {
    t = await makeMcpRuntime([reply.text('ok')]);
    const id = await t.startWith('hi', [stdioEverything('needy', { SERVICE_TOKEN: TOKEN_PLACEHOLDER })]);
    const events = await t.waitIdle(id);
    const err = byType(events, 'session.error')[0];
    assert.equal(err?.error.type, 'mcp_authentication_failed_error');
    assert.equal(err.error.mcp_server_name, 'needy');
    assert.match(err.error.message, /stdio:needy/);
    assert.equal(t.managers[0]!.status()[0]!.pid, undefined);
  });

  it('reports a command that cannot start as mcp_connection_failed_error', async () => {
    t = await makeMcpRuntime([reply.text('ok')]);
    const id = await t.startWith('hi', [{ type: 'stdio', name: 'ghost', command: '/nonexistent/mcp-server', args: [], env: {} }]);
    const events = await t.waitIdleAndGaveUp(id);
    const errors = byType(events, 'session.error');
    assert.equal(errors.at(-1)?.error.type, 'mcp_connection_failed_error');
    assert.equal(errors.at(-1)?.error.retry_status.type, 'exhausted');
    assert.match(errors.at(-1)!.error.message, /ENOENT/);
    assert.ok(events.some((e) => e.type === 'session.status_idle'));
  });
});
