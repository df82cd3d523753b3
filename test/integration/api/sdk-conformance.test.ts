import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { toFile } from '@anthropic-ai/sdk';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { collect, raw, startApi, type ApiFixture, type StreamEvent } from './helpers';
import { typeCheckRecorded, type Recorded } from './sdk-types';

// Every response and event a realistic flow produces, recorded from the real server through the real SDK, must fit
// the pinned SDK's declared types (issue #18 §2). The check runs the TypeScript checker over object literals, so an
// undeclared key, a missing required key or a value outside a declared union fails here, in CI, as soon as the wire
// drifts from the SDK. The session is created without Hangar's own local_repository resource: that extension
// exists only when a client asks for it, and is documented in ARCHITECTURE.md.

const say = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });
const STEER = 'also mention the weather';
type ToolUse = Extract<StreamEvent, { type: 'agent.tool_use' }>;

describe('api: every response fits the SDK types', function () {
  this.timeout(120_000);
  let f: ApiFixture;
  after(async () => f?.close());

  it('records a full flow and type-checks it against the SDK .d.ts', async () => {
    f = await startApi({
      script: [
        reply.tool('bash', { command: 'echo allowed' }),
        reply.text('It ran. Writing a long answer slowly so a message can arrive meanwhile.', { chunk_delay_ms: 300 }),
        reply.tool('bash', { command: 'echo must-not-run' }),
        reply.text('understood'),
      ],
    });
    const records: Recorded[] = [];
    const rec = <T>(label: string, type: string, value: T): T => {
      records.push({ label, type, value });
      return value;
    };
    const c = f.client;

    // Agents: the resolved toolset (web_fetch included) and MCP toolset.
    const agent = rec('POST /v1/agents', 'Beta.Agents.BetaManagedAgentsAgent', await c.beta.agents.create({
      name: 'conformance',
      model: DEFAULT_MODEL,
      tools: [
        { type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }, { name: 'web_fetch', enabled: true }] },
        { type: 'mcp_toolset', mcp_server_name: 'docs' },
      ],
      mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com/mcp' }],
    }));
    rec('GET /v1/agents/:id', 'Beta.Agents.BetaManagedAgentsAgent', await c.beta.agents.retrieve(agent.id));
    for (const a of (await c.beta.agents.list()).data) rec('GET /v1/agents', 'Beta.Agents.BetaManagedAgentsAgent', a);
    for (const a of (await c.beta.agents.versions.list(agent.id)).data) rec('GET /v1/agents/:id/versions', 'Beta.Agents.BetaManagedAgentsAgent', a);
    const plain = await c.beta.agents.create({ name: 'plain', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });

    // Environments: the default (secure) one, a limited one with a Hangar setting (metadata), an update, a delete.
    const env = rec('POST /v1/environments', 'Beta.Environments.BetaEnvironment', await c.beta.environments.create({ name: 'conformance-default' }));
    rec('POST /v1/environments (limited)', 'Beta.Environments.BetaEnvironment', await c.beta.environments.create({
      name: 'conformance-limited',
      metadata: { 'hangar.memory_mb': '4096' },
      config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.example.com'], allow_package_managers: true }, packages: { npm: ['left-pad'] } },
    }));
    rec('POST /v1/environments/:id', 'Beta.Environments.BetaEnvironment', await c.beta.environments.update(env.id, { description: 'updated' }));
    rec('GET /v1/environments/:id', 'Beta.Environments.BetaEnvironment', await c.beta.environments.retrieve(env.id));
    for (const e of (await c.beta.environments.list()).data) rec('GET /v1/environments', 'Beta.Environments.BetaEnvironment', e);
    const doomed = await c.beta.environments.create({ name: 'doomed' });
    rec('DELETE /v1/environments/:id', 'Beta.Environments.BetaEnvironmentDeleteResponse', await c.beta.environments.delete(doomed.id));

    // A session through a turn with an allowed and a denied tool call and a message sent mid-turn.
    const session = rec('POST /v1/sessions', 'Beta.Sessions.BetaManagedAgentsSession', await c.beta.sessions.create({ agent: plain.id, environment_id: f.t.envId }));
    const streamed: StreamEvent[] = [];
    const stream = await c.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    const reading = collect(stream, (seen) => {
      streamed.push(seen.at(-1)!);
      const last = seen.at(-1)!;
      return last.type === 'session.status_idle' && last.stop_reason.type === 'end_turn' && seen.some((e) => e.type === 'agent.tool_result' && e.is_error === true);
    }, 60_000);
    rec('POST /v1/sessions/:id/events (message)', 'Beta.Sessions.BetaManagedAgentsSendSessionEvents', await c.beta.sessions.events.send(session.id, say('run something')));
    const use = await until(streamed, (e) => e.type === 'agent.tool_use');
    await until(streamed, (e) => e.type === 'session.status_idle');
    rec('POST /v1/sessions/:id/events (allow)', 'Beta.Sessions.BetaManagedAgentsSendSessionEvents', await c.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }],
    }));
    await until(streamed, (e) => e.type === 'event_start');
    const steer = rec('POST /v1/sessions/:id/events (mid-turn message)', 'Beta.Sessions.BetaManagedAgentsSendSessionEvents', await c.beta.sessions.events.send(session.id, say(STEER)));
    const second = await until(streamed, (e): e is ToolUse => e.type === 'agent.tool_use' && e.id !== use.id);
    await until(streamed, (e) => e.type === 'session.status_idle' && e.stop_reason.type === 'requires_action' && e.stop_reason.event_ids.includes(second.id));
    rec('POST /v1/sessions/:id/events (deny)', 'Beta.Sessions.BetaManagedAgentsSendSessionEvents', await c.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.tool_confirmation', tool_use_id: second.id, result: 'deny', deny_message: 'not today' }],
    }));
    await reading;
    for (const e of streamed) rec(`stream ${e.type}`, 'Beta.Sessions.BetaManagedAgentsStreamSessionEvents', e);
    const history: Anthropic.Beta.Sessions.BetaManagedAgentsSessionEvent[] = [];
    for await (const e of c.beta.sessions.events.list(session.id, { limit: 5 })) history.push(rec(`GET /v1/sessions/:id/events ${e.type}`, 'Beta.Sessions.BetaManagedAgentsSessionEvent', e));

    // The message sent mid-turn was queued: its echo says null; the history says when the next model request took it.
    const steerId = steer.data?.[0]?.id;
    assert.equal(steer.data?.[0]?.processed_at, null, 'a message sent while a turn runs is echoed as queued');
    const at = history.findIndex((e) => e.id === steerId);
    const taken = history.slice(at + 1).find((e) => e.type === 'span.model_request_start');
    assert.ok(at >= 0 && taken, 'the queued message was taken into a later model request');
    assert.equal(history[at]!.processed_at, taken.processed_at, 'processed when that model request started');

    rec('GET /v1/sessions/:id', 'Beta.Sessions.BetaManagedAgentsSession', await c.beta.sessions.retrieve(session.id));
    for (const s of (await c.beta.sessions.list()).data) rec('GET /v1/sessions', 'Beta.Sessions.BetaManagedAgentsSession', s);
    rec('POST /v1/sessions/:id', 'Beta.Sessions.BetaManagedAgentsSession', await c.beta.sessions.update(session.id, { title: 'renamed', metadata: { k: 'v' } }));
    const threads = (await c.beta.sessions.threads.list(session.id)).data;
    for (const t of threads) rec('GET /v1/sessions/:id/threads', 'Beta.Sessions.Threads.BetaManagedAgentsSessionThread', t);
    const thread = threads[0]!;
    rec('GET /v1/sessions/:id/threads/:id', 'Beta.Sessions.Threads.BetaManagedAgentsSessionThread', await c.beta.sessions.threads.retrieve(thread.id, { session_id: session.id }));
    for (const e of (await c.beta.sessions.threads.events.list(thread.id, { session_id: session.id })).data) {
      rec(`GET /v1/sessions/:id/threads/:id/events ${e.type}`, 'Beta.Sessions.BetaManagedAgentsSessionEvent', e);
    }

    // Vaults and credentials.
    const vault = rec('POST /v1/vaults', 'Beta.Vaults.BetaManagedAgentsVault', await c.beta.vaults.create({ display_name: 'team' }));
    const bearer = rec('POST /v1/vaults/:id/credentials (bearer)', 'Beta.Vaults.Credentials.BetaManagedAgentsCredential', await c.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp', token: 'secret-1' },
    }));
    rec('POST /v1/vaults/:id/credentials (env var)', 'Beta.Vaults.Credentials.BetaManagedAgentsCredential', await c.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'environment_variable', secret_name: 'API_TOKEN', secret_value: 'secret-2', injection_location: { header: true, body: false }, networking: { type: 'limited', allowed_hosts: ['api.example.com'] } },
    }));
    for (const cr of (await c.beta.vaults.credentials.list(vault.id)).data) rec('GET /v1/vaults/:id/credentials', 'Beta.Vaults.Credentials.BetaManagedAgentsCredential', cr);
    for (const v of (await c.beta.vaults.list()).data) rec('GET /v1/vaults', 'Beta.Vaults.BetaManagedAgentsVault', v);
    rec('DELETE /v1/vaults/:id/credentials/:id', 'Beta.Vaults.Credentials.BetaManagedAgentsDeletedCredential', await c.beta.vaults.credentials.delete(bearer.id, { vault_id: vault.id }));
    rec('DELETE /v1/vaults/:id', 'Beta.Vaults.BetaManagedAgentsDeletedVault', await c.beta.vaults.delete(vault.id));

    // Files.
    const file = rec('POST /v1/files', 'Beta.BetaFileMetadata', await c.beta.files.upload({ file: await toFile(Buffer.from('a,b\n'), 'data.csv'), expires_in_seconds: 3600 }));
    rec('GET /v1/files/:id', 'Beta.BetaFileMetadata', await c.beta.files.retrieveMetadata(file.id));
    for (const x of (await c.beta.files.list()).data) rec('GET /v1/files', 'Beta.BetaFileMetadata', x);
    rec('DELETE /v1/files/:id', 'Beta.BetaDeletedFile', await c.beta.files.delete(file.id));

    // Skills, and an agent that names one.
    const skill = rec('POST /v1/skills', 'Beta.Skills.BetaSkill', await c.beta.skills.create({ files: [await toFile(Buffer.from('---\nname: conf\ndescription: Conformance.\n---\n'), 'conf/SKILL.md')] }));
    rec('GET /v1/skills/:id', 'Beta.Skills.BetaSkill', await c.beta.skills.retrieve(skill.id));
    for (const x of (await c.beta.skills.list()).data) rec('GET /v1/skills', 'Beta.Skills.BetaSkill', x);
    const skillVersion = rec('POST /v1/skills/:id/versions', 'Beta.Skills.BetaSkillVersion', await c.beta.skills.versions.create(skill.id, { files: [await toFile(Buffer.from('---\nname: conf\ndescription: Conformance 2.\n---\n'), 'conf/SKILL.md')] }));
    rec('GET /v1/skills/:id/versions/:version', 'Beta.Skills.BetaSkillVersion', await c.beta.skills.versions.retrieve(skillVersion.id, { skill_id: skill.id }));
    for (const x of (await c.beta.skills.versions.list(skill.id)).data) rec('GET /v1/skills/:id/versions', 'Beta.Skills.BetaSkillVersion', x);
    rec('POST /v1/agents (skills)', 'Beta.Agents.BetaManagedAgentsAgent', await c.beta.agents.create({ name: 'skilled', model: DEFAULT_MODEL, skills: [{ type: 'custom', skill_id: skill.id }] }));
    rec('DELETE /v1/skills/:id/versions/:version', 'Beta.Skills.BetaDeletedSkillVersion', await c.beta.skills.versions.delete(skillVersion.id, { skill_id: skill.id }));
    rec('DELETE /v1/skills/:id', 'Beta.Skills.BetaDeletedSkill', await c.beta.skills.delete(skill.id));

    // Memory stores, memories and versions, and a session that mounts a store.
    const ms = c.beta.memoryStores;
    const store = rec('POST /v1/memory_stores', 'Beta.MemoryStores.BetaManagedAgentsMemoryStore', await ms.create({ name: 'Conformance Notes', metadata: { k: 'v' } }));
    rec('GET /v1/memory_stores/:id', 'Beta.MemoryStores.BetaManagedAgentsMemoryStore', await ms.retrieve(store.id));
    rec('POST /v1/memory_stores/:id', 'Beta.MemoryStores.BetaManagedAgentsMemoryStore', await ms.update(store.id, { description: 'notes' }));
    for (const x of (await ms.list()).data) rec('GET /v1/memory_stores', 'Beta.MemoryStores.BetaManagedAgentsMemoryStore', x);
    const memory = rec('POST /v1/memory_stores/:id/memories', 'Beta.MemoryStores.BetaManagedAgentsMemory', await ms.memories.create(store.id, { path: '/a/b.md', content: 'one' }));
    rec('GET /v1/memory_stores/:id/memories/:id', 'Beta.MemoryStores.BetaManagedAgentsMemory', await ms.memories.retrieve(memory.id, { memory_store_id: store.id }));
    rec('POST /v1/memory_stores/:id/memories/:id', 'Beta.MemoryStores.BetaManagedAgentsMemory', await ms.memories.update(memory.id, { memory_store_id: store.id, content: 'two' }));
    for (const depth of [0, 1]) for (const x of (await ms.memories.list(store.id, { depth })).data) rec(`GET /v1/memory_stores/:id/memories depth ${depth}`, 'Beta.MemoryStores.BetaManagedAgentsMemoryListItem', x);
    for (const x of (await ms.memoryVersions.list(store.id, { view: 'full' })).data) rec('GET /v1/memory_stores/:id/memory_versions', 'Beta.MemoryStores.BetaManagedAgentsMemoryVersion', x);
    const oldest = (await ms.memoryVersions.list(store.id)).data.at(-1)!;
    rec('GET /v1/memory_stores/:id/memory_versions/:id', 'Beta.MemoryStores.BetaManagedAgentsMemoryVersion', await ms.memoryVersions.retrieve(oldest.id, { memory_store_id: store.id }));
    rec('POST /v1/memory_stores/:id/memory_versions/:id/redact', 'Beta.MemoryStores.BetaManagedAgentsMemoryVersion', await ms.memoryVersions.redact(oldest.id, { memory_store_id: store.id }));
    // The typed 409s are BetaManagedAgentsError objects (ErrorResponse's union does not list them).
    const conflict = (await raw(f.server, 'POST', `/v1/memory_stores/${store.id}/memories`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/a/b.md', content: 'x' }) })).json();
    rec('409 memory_path_conflict_error', 'Beta.MemoryStores.BetaManagedAgentsMemoryPathConflictErrorObject', conflict.error);
    const stale = await raw(f.server, 'POST', `/v1/memory_stores/${store.id}/memories/${memory.id}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x', precondition: { type: 'content_sha256', content_sha256: '0'.repeat(64) } }) });
    rec('409 memory_precondition_failed_error', 'Beta.MemoryStores.BetaManagedAgentsMemoryPreconditionFailedErrorObject', stale.json().error);
    const mounting = await c.beta.sessions.create({ agent: plain.id, environment_id: f.t.envId, resources: [{ type: 'memory_store', memory_store_id: store.id, access: 'read_only', instructions: 'Read first.' }] });
    rec('POST /v1/sessions (memory_store resource)', 'Beta.Sessions.BetaManagedAgentsSession', mounting);
    for (const r of (await c.beta.sessions.resources.list(mounting.id)).data) rec('GET /v1/sessions/:id/resources (memory_store)', 'Beta.Sessions.BetaManagedAgentsSessionResource', r);
    rec('GET /v1/sessions/:id/resources/:store_id', 'Beta.Sessions.ResourceRetrieveResponse', await c.beta.sessions.resources.retrieve(store.id, { session_id: mounting.id }));
    rec('DELETE /v1/memory_stores/:id/memories/:id', 'Beta.MemoryStores.BetaManagedAgentsDeletedMemory', await ms.memories.delete(memory.id, { memory_store_id: store.id }));
    rec('POST /v1/memory_stores/:id/archive', 'Beta.MemoryStores.BetaManagedAgentsMemoryStore', await ms.archive(store.id));
    rec('DELETE /v1/memory_stores/:id', 'Beta.MemoryStores.BetaManagedAgentsDeletedMemoryStore', await ms.delete(store.id));

    // Errors keep the API's error shape.
    for (const [label, method, route] of [
      ['404 unknown session', 'GET', '/v1/sessions/sesn_missing'],
      ['404 unknown endpoint', 'GET', '/v1/deployments'],
      ['404 unknown file', 'GET', '/v1/files/file_missing'],
      ['405 wrong method', 'DELETE', '/v1/agents'],
    ] as const) {
      rec(label, 'ErrorResponse', (await raw(f.server, method, route)).json());
    }
    rec('400 github_repository resource', 'ErrorResponse', (await raw(f.server, 'POST', `/v1/sessions/${session.id}/resources`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'github_repository', url: 'https://github.com/octo/repo' }),
    })).json());

    const other = await c.beta.sessions.create({ agent: plain.id, environment_id: f.t.envId });
    rec('DELETE /v1/sessions/:id', 'Beta.Sessions.BetaManagedAgentsDeletedSession', await c.beta.sessions.delete(other.id));

    const problems = typeCheckRecorded(records);
    if (problems.length > 0) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-conformance-'));
      writeFileSync(path.join(dir, 'recorded.json'), JSON.stringify(records, null, 2));
      assert.fail(`${problems.length} recorded value(s) do not fit the SDK types (recordings in ${dir}/recorded.json):\n\n${problems.join('\n\n')}`);
    }
    assert.ok(records.length > 40, `recorded ${records.length} values`);
  });

  it('the checker catches an undeclared key (the test can fail)', () => {
    const problems = typeCheckRecorded([{ label: 'made up', type: 'Beta.Sessions.BetaManagedAgentsSessionStatusRunningEvent', value: { type: 'session.status_running', id: 'sevt_1', processed_at: '2026-01-01T00:00:00Z', extra: true } }]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /made up as Beta\.Sessions\.BetaManagedAgentsSessionStatusRunningEvent/);
    assert.match(problems[0]!, /extra/);
  });
});

/** Waits until the stream (collected elsewhere) has shown an event matching `test`; previews (event_start) count. */
async function until<T extends StreamEvent>(seen: readonly StreamEvent[], test: (e: StreamEvent) => e is T): Promise<T>;
async function until(seen: readonly StreamEvent[], test: (e: StreamEvent) => boolean): Promise<StreamEvent>;
async function until(seen: readonly StreamEvent[], test: (e: StreamEvent) => boolean): Promise<StreamEvent> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const hit = seen.find(test);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the stream never showed the awaited event; it showed:\n${seen.map((e) => (e.type === 'session.error' ? JSON.stringify(e) : e.type)).join('\n')}`);
}
