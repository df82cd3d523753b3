import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { agentOf, byAgent, reply } from '../../../src/model/scripted';
import { ALL_DONE, inlineScript, leadParams, LINTER } from '../crash/inline-script';
import { collect, startApi, type ApiFixture } from './helpers';
import { typeCheckRecorded } from './sdk-types';

// Inline agents (multiagent_20261001 with subagents.inline_agents enabled) driven by the official SDK over HTTP: the
// coordinator's model defines a sub-agent when it starts a thread; the thread runs that definition (its prompt, only
// the tools it kept), lists as {type:"inline"} next to a predefined agent's thread, and a definition that would have
// more power than the coordinator is a tool error the model reads.

describe('API: inline sub-agents with the SDK', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('runs an inline sub-agent next to a predefined one and lists its thread as inline', async () => {
    f = await startApi({ script: inlineScript() });
    const writer = await f.agent({ name: 'writer' });
    const lead = await f.agent(leadParams(writer.id));
    const session = await f.session(lead.id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Lint and write' }] }] });
    await collect(stream, (seen) => seen.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes(ALL_DONE)) && seen.at(-1)?.type === 'session.status_idle', 45_000);

    const threads: Anthropic.Beta.Sessions.BetaManagedAgentsSessionThread[] = [];
    for await (const t of f.client.beta.sessions.threads.list(session.id)) threads.push(t);
    assert.deepEqual(threads.map((t) => t.agent.type === 'advisor' ? 'advisor' : `${t.agent.type}:${t.agent.name}`).sort(), ['agent:lead', 'agent:writer', 'inline:linter']);
    const inline = threads.find((t) => t.agent.type === 'inline')!;
    assert.ok(inline.agent.type === 'inline');
    assert.equal(inline.agent.system, LINTER.system);
    const kept = inline.agent.tools.flatMap((t) => (t.type === 'agent_toolset_20260401' ? t.configs.filter((c) => c.enabled).map((c) => c.name) : []));
    assert.deepEqual(kept, ['write']);
    assert.deepEqual((await f.client.beta.sessions.threads.retrieve(inline.id, { session_id: session.id })).agent, inline.agent);
    assert.deepEqual(typeCheckRecorded([{ label: 'threads.list (inline)', type: 'Beta.Sessions.BetaManagedAgentsSessionThread', value: inline }]), []);
    assert.ok(inline.usage?.output_tokens, 'the inline thread has usage of its own');

    // The linter's requests carried its own prompt and only the tool it kept; its work is in the shared repository.
    const linterRequests = f.t.model.requests.filter((r) => agentOf(r) === 'linter');
    assert.ok(linterRequests.length >= 2);
    for (const r of linterRequests) {
      assert.deepEqual((r.body.tools ?? []).map((t) => t.name), ['write']);
      assert.ok(JSON.stringify(r.body.system).includes(LINTER.system));
    }
    const events = await f.t.events(session.id);
    const wrote = events.find((e) => e.type === 'agent.tool_result' && e._hangar?.thread === inline.id);
    assert.ok(wrote?.type === 'agent.tool_result' && !wrote.is_error, 'the linter\'s write ran');
    // The definition with more power than the coordinator was a tool error the coordinator's model read.
    const refused = events.find((e) => e.type === 'agent.tool_result' && e.is_error && JSON.stringify(e.content).includes('bash has permission_policy always_ask for you'));
    assert.ok(refused, 'the loose definition was refused with a reason');
    assert.equal(threads.length, 3, 'and started no thread');
  });

  it('refuses inline_agent when inline agents are disabled, and offers the model no such field', async () => {
    f = await startApi({
      script: byAgent({
        lead: (r) => (JSON.stringify(r.body.messages).includes('tool_result') ? reply.text('ok') : reply.tool('send_to_agent', { inline_agent: { name: 'mine' }, message: 'go' })),
      }),
    });
    const writer = await f.agent({ name: 'writer' });
    const lead = await f.agent({ name: 'lead', multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'disabled' }, predefined_agents: [writer.id] } } });
    const session = await f.session(lead.id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
    const seen = await collect(stream, (s) => s.at(-1)?.type === 'session.status_idle');
    const result = seen.find((e) => e.type === 'agent.tool_result');
    assert.ok(result?.type === 'agent.tool_result' && result.is_error && /inline_agents is disabled/.test(JSON.stringify(result.content)));
    const schema = JSON.stringify(f.t.model.requests[0]!.body.tools?.find((t) => t.name === 'send_to_agent'));
    assert.ok(schema.includes('"agent"') && !schema.includes('inline_agent'));
    const threads = (await f.client.beta.sessions.threads.list(session.id)).data;
    assert.equal(threads.length, 1, 'no thread was started');
    await assert.rejects(
      f.agent({ name: 'none', multiagent: { type: 'multiagent_20261001', subagents: { type: 'enabled', inline_agents: { type: 'disabled' } } } }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /inline agents disabled and no predefined_agents/.test(err.message),
    );
  });
});
