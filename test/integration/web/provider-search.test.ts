import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { reply, startScriptedModel, type Reply, type ScriptedModel } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { Runtime, type RuntimeOptions } from '../../../src/runtime';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { MemoryVault } from '../../../src/vault/memory';
import { costUsd, DEFAULT_CATALOG, type SessionEvent } from '../../../src/wire';
import { makeRepo } from '../../support/runtime';

// web_search run by the model's provider (Anthropic's web_search server tool), played by the strict scripted model
// over HTTP through the real SDK: the search and its results are logged as agent.tool_use / agent.tool_result like
// any call, nothing runs on the host, and the next request replays the provider's blocks unmodified (the scripted
// server checks every result's encrypted_content, as the API does).

type ToolUse = Extract<SessionEvent, { type: 'agent.tool_use' }>;
type Result = Extract<SessionEvent, { type: 'agent.tool_result' }>;

interface Rig {
  runtime: Runtime;
  model: ScriptedModel;
  storage: string;
  close(): Promise<void>;
}

async function rig(script: Reply[], extra: Partial<RuntimeOptions> = {}, storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-store-'))): Promise<Rig> {
  const model = await startScriptedModel({ script });
  const runtime = new Runtime({
    storageRoot: storage,
    vault: new MemoryVault(),
    sandbox: new LocalSandboxProvider({ storageRoot: storage }),
    // The scripted endpoint stands in for Anthropic's API, server tools included.
    model: createAnthropicModel({ apiKey: async () => 'test-key', baseURL: model.url, serverWebSearch: true }),
    retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20 },
    owner: 'test',
    ...extra,
  });
  return {
    runtime,
    model,
    storage,
    close: async () => {
      await runtime.close();
      await model.close();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}

async function run(r: Rig, texts: string[], configs: Record<string, unknown>[] = []): Promise<SessionEvent[]> {
  const repo = makeRepo();
  const env = await r.runtime.environments.ensureDefault();
  const agent = await r.runtime.agents.create({ name: 'searcher', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401', configs: configs as never }] });
  const s = await r.runtime.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }] });
  for (const [i, text] of texts.entries()) {
    await r.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
    await waitIdle(r.runtime, s.id, i + 1);
  }
  rmSync(repo, { recursive: true, force: true });
  return [...(await r.runtime.sessions.listEvents(s.id, { limit: 1000 })).data];
}

async function waitIdle(runtime: Runtime, id: string, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const events = (await runtime.sessions.listEvents(id, { limit: 1000 })).data;
    if (events.filter((e) => e.type === 'session.status_idle').length >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`session ${id} did not go idle ${n} times`);
}

const SEARCH = { type: 'web_search' as const, query: 'hangar doors', results: [{ url: 'https://docs.example.org/hangars', title: 'Hangars explained', page_age: '2 days ago' }] };

describe("web_search: the model provider's server-side search", function () {
  this.timeout(60_000);
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('offers the server tool, logs the search and its results as events, and replays the blocks unmodified', async () => {
    r = await rig([
      { kind: 'message', blocks: [{ type: 'text', text: 'Let me look that up.' }, SEARCH, { type: 'text', text: 'Hangar doors slide or fold.' }] },
      reply.text('You are welcome.'),
    ]);
    const events = await run(r, ['How do hangar doors open?', 'thanks'], [{ name: 'web_search', blocked_domains: ['example.net'] }]);
    const first = r.model.requests[0]!.body;
    assert.deepEqual(
      first.tools!.filter((t) => t.name === 'web_search').map(({ cache_control: _c, ...t }) => t),
      [{ type: 'web_search_20250305', name: 'web_search', blocked_domains: ['example.net'] }],
    );
    const use = events.find((e): e is ToolUse => e.type === 'agent.tool_use');
    assert.ok(use, 'the search is an agent.tool_use');
    assert.equal(use.name, 'web_search');
    assert.deepEqual(use.input, { query: 'hangar doors' });
    assert.equal(use.evaluated_permission, 'allow');
    const result = events.find((e): e is Result => e.type === 'agent.tool_result');
    assert.equal(result?.tool_use_id, use.id);
    assert.equal(result?.is_error, false);
    assert.deepEqual(result?.content, [{ type: 'search_result', source: 'https://docs.example.org/hangars', title: 'Hangars explained', content: [{ type: 'text', text: 'Page age: 2 days ago' }] }]);
    // One model request per user message: the provider's search ends no turn and asks the harness for nothing.
    assert.equal(r.model.requests.length, 2);
    assert.deepEqual(r.model.rejected, []);
    const assistant = r.model.requests[1]!.body.messages.find((m) => m.role === 'assistant')!;
    const blocks = (assistant.content as { type: string; id?: string; tool_use_id?: string; input?: unknown; content?: { url: string; encrypted_content: string }[] }[]).filter((b) => b.type !== 'thinking');
    assert.deepEqual(blocks.map((b) => b.type), ['text', 'server_tool_use', 'web_search_tool_result', 'text']);
    assert.equal(blocks[2]!.tool_use_id, blocks[1]!.id);
    assert.deepEqual(blocks[1]!.input, { query: 'hangar doors' });
    assert.equal(blocks[2]!.content![0]!.url, 'https://docs.example.org/hangars');
    assert.ok(blocks[2]!.content![0]!.encrypted_content.length > 100, 'encrypted_content replayed');
  });

  it("counts the provider's searches in the session usage and adds their list price to its cost", async () => {
    r = await rig([
      { kind: 'message', blocks: [SEARCH, { ...SEARCH, query: 'hangar roofs' }, { type: 'text', text: 'Found two.' }] },
      { kind: 'message', blocks: [SEARCH, { type: 'text', text: 'And one more.' }] },
    ]);
    const events = await run(r, ['search twice', 'once more']);
    const session = (await r.runtime.sessions.list({})).data[0]!;
    const usage = (await r.runtime.sessions.retrieve(session.id)).usage;
    assert.deepEqual(usage.server_tool_use, { web_search_requests: 3 });
    const pricing = DEFAULT_CATALOG.lookup(DEFAULT_MODEL);
    const tokensUsd = events.reduce((sum, e) => sum + (e.type === 'span.model_request_end' ? costUsd(pricing, e.model_usage) : 0), 0);
    // $10 per 1,000 searches: one cent each, on top of the tokens.
    assert.equal(usage.list_cost?.amount, String(Math.round(tokensUsd * 100 + 3)));
  });

  it('answers a search cut off by a crash once, on wake, and the next request is one the API accepts', async () => {
    r = await rig([{ kind: 'message', blocks: [{ type: 'text', text: 'Let me look.' }, SEARCH, { type: 'text', text: 'Found it.' }] }]);
    await run(r, ['search']);
    const id = (await r.runtime.sessions.list({})).data[0]!.id;
    await r.runtime.close();
    // A kill leaves a prefix of the log: here, up to the provider's search, inside its reply (the span still open).
    const file = path.join(r.storage, 'sessions', id, 'events.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const cut = lines.findIndex((l) => l.includes('"agent.tool_use"'));
    assert.ok(cut > 0);
    writeFileSync(file, `${lines.slice(0, cut + 1).join('\n')}\n`);
    await r.model.close();
    const storage = r.storage;
    r = await rig([reply.text('Searching again later.')], {}, storage);
    await r.runtime.sessions.wake(id);
    await r.runtime.settled(id);
    const events = [...(await r.runtime.sessions.listEvents(id, { limit: 1000 })).data];
    const use = events.find((e): e is ToolUse => e.type === 'agent.tool_use')!;
    const results = events.filter((e): e is Result => e.type === 'agent.tool_result' && e.tool_use_id === use.id);
    assert.equal(results.length, 1, 'the cut-off search gets exactly one result');
    assert.equal(results[0]!.is_error, true);
    assert.match(JSON.stringify(results[0]!.content), /The web search was cut off: the Hangar process stopped while the model's provider ran it/);
    assert.equal(events.at(-1)?.type, 'session.status_idle', 'the turn finished');
    assert.deepEqual(r.model.rejected, [], 'the strict server accepted the request after the wake');
    assert.equal(r.model.requests.length, 1);
    assert.doesNotMatch(JSON.stringify(r.model.requests[0]!.body.messages), /server_tool_use|web_search_tool_result/, "the cut-off reply's blocks are not replayed");
  });

  it('logs a failed search as an error result', async () => {
    r = await rig([{ kind: 'message', blocks: [{ type: 'web_search', query: 'x', results: [], error_code: 'max_uses_exceeded' }, { type: 'text', text: 'No luck.' }] }]);
    const events = await run(r, ['search']);
    const result = events.find((e): e is Result => e.type === 'agent.tool_result');
    assert.equal(result?.is_error, true);
    assert.deepEqual(result?.content, [{ type: 'text', text: 'The web search failed (max_uses_exceeded).' }]);
  });

  it('lets web_fetch use a URL the search returned (a server tool result)', async () => {
    r = await rig([{ kind: 'message', blocks: [SEARCH, { type: 'tool_use', name: 'web_fetch', input: { url: 'https://docs.example.org/hangars' } }] }, reply.text('done')]);
    const events = await run(r, ['search, then read']);
    const results = events.filter((e): e is Result => e.type === 'agent.tool_result');
    const fetched = JSON.stringify(results[1]?.content);
    // Offered by the search, so url_sources lets it through; the default environment's networking then refuses it.
    assert.doesNotMatch(fetched, /only fetches URLs that already appeared/);
    assert.match(fetched, /refused .*docs\.example\.org.*not on the environment's allow-list/);
  });

  it('is not the provider when a search endpoint is configured, or when web_search must ask first', async () => {
    r = await rig([reply.text('ok')], { webSearch: { url: 'http://127.0.0.1:9/search' } });
    await run(r, ['hi']);
    const offered = r.model.requests[0]!.body.tools!.find((t) => t.name === 'web_search') as { type?: string; input_schema?: unknown };
    assert.equal(offered.type, undefined, 'the endpoint-backed tool, not the server tool');
    assert.ok(offered.input_schema);
    await r.close();
    r = await rig([reply.tool('web_search', { query: 'x' }), reply.text('ok')]);
    const events = await run(r, ['hi'], [{ name: 'web_search', permission_policy: { type: 'always_ask' } }]);
    assert.ok(!r.model.requests[0]!.body.tools!.some((t) => t.name === 'web_search'));
    const result = events.find((e): e is Result => e.type === 'agent.tool_result');
    assert.match(JSON.stringify(result?.content), /web_search is not available in this session: its permission policy is always_ask, but the model's provider runs its searches without asking/);
  });
});
