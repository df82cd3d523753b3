import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { startBearerProxy, type BearerProxy } from '../../support/bearer-proxy';
import { freePort, startEverythingHttp, type HttpServerProcess } from '../../support/mcp-servers';
import { makeMcpRuntime, toolNames, lastRequestText, type McpTestRuntime } from '../../support/mcp-runtime';
import { assertTokenAbsent, captureOutput, grepFiles } from '../../support/secret-search';

// server-everything over streamable HTTP behind a proxy that demands a bearer token; the token comes from a vault
// credential attached to the session, matched by URL.

const TOKEN = 'hangar-test-token-7c1f0d9e5b2a4f68';
const byType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T) => events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);

describe('mcp: server-everything over streamable HTTP with a bearer token from the vault', function () {
  this.timeout(90_000);
  let server: HttpServerProcess;
  let proxy: BearerProxy;
  let t: McpTestRuntime | undefined;

  before(async () => {
    server = await startEverythingHttp();
    proxy = await startBearerProxy(server.url, TOKEN);
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('lists the tools for the model, asks before a call (always_ask), runs it on allow, and the token stays secret', async () => {
    const logged: string[] = [];
    const restore = captureOutput(logged);
    try {
      t = await makeMcpRuntime([reply.tool('everything__echo', { message: 'over http' }), reply.tool('bash', { command: 'env; ls -la' }), reply.text('done')]);
      const vaultId = await t.vaultWith(proxy.url, TOKEN);
      const id = await t.startWith('echo something', [{ type: 'url', name: 'everything', url: proxy.url }], { vaultIds: [vaultId] });

      let events = await t.waitIdle(id);
      assert.ok(toolNames(t, 0).includes('everything__echo'), `model tools: ${toolNames(t, 0).join(', ')}`);
      assert.ok(toolNames(t, 0).includes('everything__get-sum'));
      const use = byType(events, 'agent.mcp_tool_use')[0];
      assert.ok(use, 'an agent.mcp_tool_use event');
      assert.equal(use.name, 'echo');
      assert.equal(use.mcp_server_name, 'everything');
      assert.equal(use.evaluated_permission, 'ask');
      const idle = events.at(-1);
      assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'requires_action');
      assert.deepEqual(idle.stop_reason.event_ids, [use.id]);

      await t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }]);
      events = await t.waitIdle(id, 2);
      const result = byType(events, 'agent.mcp_tool_result')[0];
      assert.ok(result && !result.is_error);
      assert.equal(result.mcp_tool_use_id, use.id);
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: over http' }]);
      assert.match(lastRequestText(t), /Echo: over http/);
      assert.ok(proxy.passed > 0, 'requests went through the proxy with the token');
      assert.ok(!byType(events, 'session.error').length, 'no session.error');

      // The sandbox never sees the token: not in its environment, not in its files.
      const bash = byType(events, 'agent.tool_result').at(-1);
      assert.ok(bash && !bash.is_error);
      assert.ok(!JSON.stringify(bash.content).includes(TOKEN));
      await t.runtime.settled(id);
      assert.match(grepFiles(t.storage, 'Echo: over http'), /events\.jsonl/, 'the grep does see the session log');
      assertTokenAbsent(t.storage, TOKEN);
      assert.ok(!logged.some((l) => l.includes(TOKEN)), 'no log line carries the token');
    } finally {
      restore();
    }
  });

  it('reports a refused token as mcp_authentication_failed_error and goes on without the server', async () => {
    t = await makeMcpRuntime([reply.text('working without it')]);
    const wrong = 'wrong-token-0123456789abcdef';
    const vaultId = await t.vaultWith(proxy.url, wrong);
    const id = await t.startWith('hello', [{ type: 'url', name: 'guarded', url: proxy.url }], { vaultIds: [vaultId] });
    const events = await t.waitIdle(id);
    const errors = byType(events, 'session.error');
    assert.equal(errors.length, 1, 'an auth failure is not retried');
    assert.equal(errors[0]!.error.type, 'mcp_authentication_failed_error');
    assert.equal(errors[0]!.error.mcp_server_name, 'guarded');
    assert.equal(errors[0]!.error.retry_status.type, 'exhausted');
    assert.match(errors[0]!.error.message, /refused the credential/);
    assert.ok(proxy.refused.includes(`Bearer ${wrong}`), 'the wrong token was what the proxy saw');
    assert.deepEqual(toolNames(t, 0).filter((n) => n.startsWith('guarded__')), []);
    const idle = events.at(-1);
    assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'end_turn');
    assertTokenAbsent(t.storage, wrong);
  });

  it('retries a server that is down at session start, then goes on without it', async () => {
    t = await makeMcpRuntime([reply.text('fine without it')]);
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const id = await t.startWith('hello', [{ type: 'url', name: 'down', url }]);
    const events = await t.waitIdleAndGaveUp(id);
    const errors = byType(events, 'session.error').map((e) => [e.error.type, e.error.retry_status.type, e.error.mcp_server_name]);
    assert.deepEqual(errors, [
      ['mcp_connection_failed_error', 'retrying', 'down'],
      ['mcp_connection_failed_error', 'retrying', 'down'],
      ['mcp_connection_failed_error', 'exhausted', 'down'],
    ]);
    assert.match(byType(events, 'session.error').at(-1)!.error.message, /ECONNREFUSED.*gave up after 3 attempts/);
    assert.deepEqual(toolNames(t, 0).filter((n) => n.startsWith('down__')), []);
    assert.equal(byType(events, 'agent.message').length, 1, 'the session went on');
  });

  it('without any credential the 401 names the missing credential', async () => {
    t = await makeMcpRuntime([reply.text('ok')]);
    const id = await t.startWith('hello', [{ type: 'url', name: 'guarded', url: proxy.url }]);
    const events = await t.waitIdle(id);
    const err = byType(events, 'session.error')[0];
    assert.equal(err?.error.type, 'mcp_authentication_failed_error');
    assert.match(err.error.message, /none of the session's vaults has a credential/);
  });

  it('a server that died fails the call with a tool error, and the next call reconnects', async () => {
    t = await makeMcpRuntime([
      reply.tool('everything__get-sum', { a: 1, b: 2 }),
      reply.tool('everything__get-sum', { a: 3, b: 4 }),
      reply.tool('everything__get-sum', { a: 5, b: 6 }),
      reply.text('done'),
    ]);
    const vaultId = await t.vaultWith(proxy.url, TOKEN);
    const id = await t.startWith('add', [{ type: 'url', name: 'everything', url: proxy.url }], { vaultIds: [vaultId] });
    // Each call waits for its confirmation, which lets the test kill and restart the server between calls.
    const confirmNext = async (idles: number) => {
      const events = await t!.waitIdle(id, idles);
      const use = byType(events, 'agent.mcp_tool_use').at(-1)!;
      await t!.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }]);
    };
    await confirmNext(1);
    await t.waitFor(id, (e) => byType(e, 'agent.mcp_tool_result').length >= 1);
    let killed = false;
    try {
      await server.kill();
      killed = true;
      await confirmNext(2);
      await t.waitIdle(id, 3);
      await server.restart();
      killed = false;
    } finally {
      if (killed) await server.restart();
    }
    await confirmNext(3);
    const events = await t.waitIdle(id, 4);
    const results = byType(events, 'agent.mcp_tool_result');
    assert.equal(results.length, 3);
    assert.ok(!results[0]!.is_error);
    assert.match(JSON.stringify(results[0]!.content), /3/);
    assert.ok(results[1]!.is_error, 'the call to the dead server is a tool error');
    assert.match(JSON.stringify(results[1]!.content), /everything/);
    assert.ok(!results[2]!.is_error, `third call: ${JSON.stringify(results[2])}`);
    assert.match(JSON.stringify(results[2]!.content), /11/);
    const idle = events.at(-1);
    assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'end_turn');
    const retries = byType(events, 'session.error').map((e) => [e.error.type, e.error.retry_status.type]);
    assert.deepEqual(retries, [['mcp_connection_failed_error', 'retrying']], 'the lost connection is reported once; the next call reopened it');
  });

  it('falls back to the SSE transport for a server that only speaks it', async () => {
    const sse = await startEverythingHttp('sse');
    const sseProxy = await startBearerProxy(sse.url, TOKEN);
    try {
      t = await makeMcpRuntime([reply.tool('old__echo', { message: 'via sse' }), reply.text('done')]);
      const vaultId = await t.vaultWith(sseProxy.url, TOKEN);
      const id = await t.startWith('echo', [{ type: 'url', name: 'old', url: sseProxy.url }], { vaultIds: [vaultId], policy: { type: 'always_allow' } });
      const events = await t.waitIdle(id);
      const result = byType(events, 'agent.mcp_tool_result')[0];
      assert.deepEqual(result?.content, [{ type: 'text', text: 'Echo: via sse' }]);
      assert.equal(byType(events, 'session.error').length, 0);
    } finally {
      await t?.close();
      t = undefined;
      await sseProxy.close();
      await sse.stop();
    }
  });
});
