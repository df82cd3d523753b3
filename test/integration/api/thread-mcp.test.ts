import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { agentOf, byAgent, delegating, DELEGATION_DONE, reply, type RecordedRequest } from '../../../src/model/scripted';
import { startBearerProxy, type BearerProxy } from '../../support/bearer-proxy';
import { startEverythingHttp, stdioEverything, type HttpServerProcess } from '../../support/mcp-servers';
import { collect, startApi, type ApiFixture, type StreamEvent } from './helpers';

// Roster agents with MCP servers, driven by the official SDK over HTTP: each sub-agent thread connects to its own
// agent's servers (a URL server behind a proxy that demands the vault's bearer token, a stdio server the runtime
// starts), its MCP calls are logged in its thread and cross-posted when they ask, and a confirmation through the SDK
// reaches the thread that asked. A sub-agent whose server refuses its credential gets the error in its own thread.

const TOKEN = 'hangar-thread-mcp-token-3f9a61c2';
const toolset = { type: 'agent_toolset_20260401' as const };
type Event = Anthropic.Beta.Sessions.BetaManagedAgentsSessionEvent;

describe('API: sub-agents with MCP servers', function () {
  this.timeout(90_000);
  let server: HttpServerProcess;
  let proxy: BearerProxy;
  let f: ApiFixture | undefined;
  before(async () => {
    server = await startEverythingHttp();
    proxy = await startBearerProxy(server.url, TOKEN);
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  async function threadEvents(sessionId: string, name: string): Promise<Event[]> {
    const thread = (await f!.client.beta.sessions.threads.list(sessionId)).data.find((t) => t.agent.type !== 'advisor' && t.agent.name === name);
    assert.ok(thread, `a thread for ${name}`);
    const out: Event[] = [];
    for await (const e of f!.client.beta.sessions.threads.events.list(thread.id, { session_id: sessionId })) out.push(e);
    return out;
  }

  const toolsOf = (requests: readonly RecordedRequest[], agent: string) => new Set(requests.filter((r) => agentOf(r) === agent).flatMap((r) => (r.body.tools ?? []).map((t) => t.name)));

  async function roster(lead: string, sessionVault: boolean) {
    const researcher = await f!.agent({
      name: 'researcher',
      mcp_servers: [{ type: 'url', name: 'docs', url: proxy.url }],
      tools: [toolset, { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { permission_policy: { type: 'always_allow' } } }],
    });
    // A stdio server is Hangar's extension of mcp_servers; its toolset asks (the MCP default).
    const echoer = await f!.agent({ name: 'echoer', mcp_servers: [stdioEverything('local')], tools: [toolset, { type: 'mcp_toolset', mcp_server_name: 'local' }] });
    const coordinator = await f!.agent({ name: lead, multiagent: { type: 'coordinator', agents: [researcher.id, echoer.id] } });
    const vault = await f!.client.beta.vaults.create({ display_name: 'mcp' });
    if (sessionVault) await f!.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: proxy.url, token: TOKEN } });
    return f!.client.beta.sessions.create({ agent: coordinator.id, environment_id: f!.t.envId, resources: [{ type: 'local_repository', path: f!.t.repo }], vault_ids: [vault.id] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
  }

  it("connects each sub-agent to its own servers with the session's vault, and confirms a sub-thread's MCP call through the SDK", async () => {
    f = await startApi({
      script: byAgent({
        lead: delegating({ researcher: 'Add 20 and 22', echoer: 'Echo hi' }, ['the sum is 42', 'echoed hi']),
        researcher: [reply.tool('docs__get-sum', { a: 20, b: 22 }), reply.text('the sum is 42')],
        echoer: [reply.tool('local__echo', { message: 'hi' }), reply.text('echoed hi')],
      }),
    });
    const session = await roster('lead', true);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Split the work' }] }] });
    let asked: string | null = null;
    const seen: StreamEvent[] = await collect(
      stream,
      (events) => {
        const last = events.at(-1)!;
        if (last.type === 'agent.mcp_tool_use' && last.evaluated_permission === 'ask' && !asked) {
          asked = last.id;
          void f!.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: last.id, result: 'allow' }] });
        }
        return events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(DELEGATION_DONE)) && last.type === 'session.status_idle';
      },
      60_000,
    );
    const ask = seen.find((e) => e.type === 'agent.mcp_tool_use' && e.id === asked);
    assert.ok(ask?.type === 'agent.mcp_tool_use' && ask.session_thread_id && ask.mcp_server_name === 'local', "the echoer's call that asks is cross-posted with its thread");
    assert.ok(!seen.some((e) => e.type === 'agent.mcp_tool_use' && e.mcp_server_name === 'docs'), 'an always_allow sub-thread call stays in its thread');

    const researcherEvents = await threadEvents(session.id, 'researcher');
    const sum = researcherEvents.find((e) => e.type === 'agent.mcp_tool_result');
    assert.ok(sum?.type === 'agent.mcp_tool_result' && !sum.is_error && JSON.stringify(sum.content).includes('42'), `the researcher's server answered: ${JSON.stringify(researcherEvents.filter((e) => e.type === 'session.error' || e.type === 'agent.mcp_tool_result'))}`);
    assert.ok(proxy.passed > 0 && !proxy.refused.includes('(none)'), "the URL server got the vault's token");
    const echoerEvents = await threadEvents(session.id, 'echoer');
    const echo = echoerEvents.find((e) => e.type === 'agent.mcp_tool_result');
    assert.ok(echo?.type === 'agent.mcp_tool_result' && !echo.is_error);
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: hi' }]);

    // Each thread is offered its own agent's servers only; the coordinator, which has none, no MCP tool at all.
    const requests = f.t.model.requests;
    assert.ok(toolsOf(requests, 'researcher').has('docs__get-sum') && ![...toolsOf(requests, 'researcher')].some((n) => n.startsWith('local__')));
    assert.ok(toolsOf(requests, 'echoer').has('local__echo') && ![...toolsOf(requests, 'echoer')].some((n) => n.startsWith('docs__')));
    assert.ok(![...toolsOf(requests, 'lead')].some((n) => n.includes('__')), 'the coordinator has no MCP tools');
  });

  it("reports a sub-agent's server that refuses the session's credential in that sub-agent's thread; the session goes on", async () => {
    f = await startApi({
      script: byAgent({
        lead: delegating({ researcher: 'Add 20 and 22' }, ['no sum']),
        researcher: [reply.tool('docs__get-sum', { a: 20, b: 22 }), reply.text('no sum')],
      }),
    });
    const session = await roster('lead', false);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Add them' }] }] });
    await collect(stream, (events) => events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(DELEGATION_DONE)) && events.at(-1)?.type === 'session.status_idle', 60_000);
    const researcherEvents = await threadEvents(session.id, 'researcher');
    assert.ok(
      researcherEvents.some((e) => e.type === 'session.error' && /docs/.test(JSON.stringify(e.error))),
      `the researcher's thread names its failing server: ${JSON.stringify(researcherEvents.map((e) => e.type))}`,
    );
    const result = researcherEvents.find((e) => e.type === 'agent.mcp_tool_result' || e.type === 'agent.tool_result');
    assert.ok(result && 'is_error' in result && result.is_error, 'the call the model made anyway is a tool error it can read');
  });
});
