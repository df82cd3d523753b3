import assert from 'node:assert/strict';
import http from 'node:http';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { Runtime } from '../../../src/runtime';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { MemoryVault } from '../../../src/vault/memory';
import type { SessionEvent } from '../../../src/wire';
import { listenOnLoopback } from '../../support/listen';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { tmpDir } from '../../support/tmp';

// web_search through a configured search endpoint (a SearXNG-style JSON API on loopback), called by the scripted
// model over HTTP through the real SDK. The endpoint's key is a vault credential the runtime adds on the host; the
// model never sees it. Without an endpoint the tool is not offered, and a call to it says why.

type Result = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const KEY = 'search-key-7f3a9c';

interface Searx {
  url: string;
  queries: { q: string | null; format: string | null; key: string | undefined }[];
  close(): Promise<void>;
}

async function startSearx(): Promise<Searx> {
  const queries: Searx['queries'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams.get('q');
    queries.push({ q, format: url.searchParams.get('format'), key: req.headers['x-api-key'] as string | undefined });
    if (req.headers['x-api-key'] !== KEY) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('missing API key');
    if (q === 'fail') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('engine overloaded');
    if (q === 'garbage') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not json</html>');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        query: q,
        results: [
          { url: 'https://docs.example.org/hangars', title: 'Hangars explained', content: 'A hangar is a closed building for aircraft.' },
          { url: 'https://blocked.example.net/hangars', title: 'Blocked site', content: 'should be filtered' },
          { url: 'https://www.example.org/doors', title: 'Hangar doors', content: '' },
        ],
      }),
    );
  });
  const l = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${l.port}/search`, queries, close: l.close };
}

describe('web_search: a configured search endpoint', function () {
  this.timeout(60_000);
  let t: TestRuntime;
  let searx: Searx;
  before(async () => (searx = await startSearx()));
  after(async () => searx?.close());
  afterEach(async () => t?.close());

  async function search(queries: string[], opts: { configs?: Record<string, unknown>[]; key?: boolean } = {}) {
    t = await makeTestRuntime({ script: [...queries.map((query) => reply.tool('web_search', { query })), reply.text('done')], runtime: { webSearch: { url: searx.url } } });
    const vault = await t.runtime.vaults.create({ display_name: 'search' });
    if (opts.key !== false) {
      await t.runtime.vaults.createCredential(vault.id, { auth: { type: 'http_header', allowed_hosts: ['127.0.0.1'], scheme: 'header', header_name: 'X-API-Key', secret_value: KEY } });
    }
    const agent = await t.runtime.agents.create({ name: 'searcher', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401', configs: (opts.configs ?? []) as never }] });
    const s = await t.runtime.sessions.create({ agent: agent.id, environment_id: t.envId, vault_ids: [vault.id], resources: [{ type: 'local_repository', path: t.repo }] });
    await t.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'search please' }] }]);
    const events = await t.waitFor(s.id, idleAfter(1));
    return events.filter((e): e is Result => e.type === 'agent.tool_result');
  }

  it('returns search_result blocks, with the key from the vault and the blocked domains filtered out', async () => {
    const [result] = await search(['hangar doors'], { configs: [{ name: 'web_search', blocked_domains: ['example.net'] }] });
    assert.equal(result?.is_error, false, JSON.stringify(result));
    assert.deepEqual(result!.content, [
      { type: 'search_result', source: 'https://docs.example.org/hangars', title: 'Hangars explained', content: [{ type: 'text', text: 'A hangar is a closed building for aircraft.' }], citations: { enabled: true } },
      { type: 'search_result', source: 'https://www.example.org/doors', title: 'Hangar doors', content: [{ type: 'text', text: '(no snippet)' }], citations: { enabled: true } },
    ]);
    assert.deepEqual(searx.queries.at(-1), { q: 'hangar doors', format: 'json', key: KEY });
    // The model got the results as search_result blocks it can cite, and the key appears nowhere in what it saw.
    const seen = JSON.stringify(t.model.requests[1]!.body);
    assert.match(seen, /"type":"search_result","source":"https:\/\/docs\.example\.org\/hangars"/);
    assert.doesNotMatch(seen, new RegExp(KEY));
    assert.ok(t.model.requests[0]!.body.tools!.some((d) => d.name === 'web_search'));
  });

  it('keeps only results under allowed_domains (a domain with a path)', async () => {
    const [result] = await search(['hangar'], { configs: [{ name: 'web_search', allowed_domains: ['example.org/doors'] }] });
    assert.deepEqual((result!.content ?? []).map((b) => (b.type === 'search_result' ? b.source : b.type)), ['https://www.example.org/doors']);
  });

  it('turns an erroring endpoint, a non-JSON answer, a refused key and a bad query into clear tool errors', async () => {
    const results = await search(['fail', 'garbage', '   ']);
    const texts = results.map((r) => (r.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''));
    assert.ok(results.every((r) => r.is_error === true), texts.join('\n'));
    assert.match(texts[0]!, /The search service at 127\.0\.0\.1:\d+ answered 503: engine overloaded/);
    assert.match(texts[1]!, /did not answer with search results/);
    assert.match(texts[2]!, /web_search expects \{query: string\}/);
    await t.close();
    const [unkeyed] = await search(['hangar'], { key: false });
    assert.match((unkeyed!.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''), /answered 401: missing API key/);
  });

  it('without an endpoint, does not offer web_search and says why when the model calls it anyway', async () => {
    t = await makeTestRuntime({ script: [reply.tool('web_search', { query: 'x' }), reply.text('ok')] });
    const id = await t.start('search');
    const events = await t.waitFor(id, idleAfter(1));
    assert.ok(!t.model.requests[0]!.body.tools!.some((d) => d.name === 'web_search'), 'not offered');
    assert.ok(t.model.requests[0]!.body.tools!.some((d) => d.name === 'web_fetch'), 'web_fetch still is');
    const result = events.find((e): e is Result => e.type === 'agent.tool_result');
    assert.equal(result?.is_error, true);
    assert.match(JSON.stringify(result?.content), /web_search is not available in this session: no search backend is configured and the model's provider has no server-side search\. Set a SearXNG-style JSON search endpoint: HANGAR_WEB_SEARCH_URL/);
  });

  it('refuses an invalid webSearch setting when the runtime starts', () => {
    const storage = tmpDir('websearch');
    assert.throws(
      () => new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: storage }), model: createAnthropicModel({ apiKey: async () => 'k' }), webSearch: { url: 'ftp://search.example' } }),
      /The webSearch setting is invalid: .*url/s,
    );
  });
});
