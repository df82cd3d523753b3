import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import type { AgentCreateParams, SessionEvent } from '../../../src/wire';
import { idleAfter, makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { allowLoopbackTestNames, testLookup } from '../vault/support/proxy-fixture';
import { startPages, type Pages } from './support/pages';

// web_fetch end to end: the scripted model (over HTTP, through the real Anthropic SDK) calls the tool, the runtime
// runs it on the host against a web server on loopback, and the result is what the model gets next. Names under
// .hangar.test resolve to 127.0.0.1 and are the only loopback hosts the runtime is told to allow (the egress
// proxy's own test rule): a bare 127.0.0.1, a private address or a redirect to the metadata service stay refused.

type Result = Extract<SessionEvent, { type: 'agent.tool_result' }>;
const resultText = (r: Result) => (r.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');

describe('web_fetch: host-side, under the environment egress policy', function () {
  this.timeout(60_000);
  let t: TestRuntime;
  let pages: Pages;
  let base: string;

  before(async () => {
    pages = await startPages();
    base = `http://pages.hangar.test:${pages.port}`;
  });
  after(async () => pages?.close());
  afterEach(async () => t?.close());

  /** Runs one session whose model fetches each URL in turn; the user's message lists `offered` (default: the same). */
  async function fetchAll(urls: string[], opts: { offered?: string[]; allowed?: string[]; agent?: Partial<AgentCreateParams>; limits?: { timeoutMs?: number } } = {}) {
    t = await makeTestRuntime({
      script: [...urls.map((url) => reply.tool('web_fetch', { url })), reply.text('done')],
      runtime: { egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames }, ...(opts.limits ? { webFetchLimits: opts.limits } : {}) },
    });
    const env = await t.runtime.environments.create({
      name: 'web',
      config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: opts.allowed ?? ['pages.hangar.test', 'private.hangar.test'] } },
    });
    const agent = await t.runtime.agents.create({ name: 'fetcher', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }], ...opts.agent });
    const s = await t.runtime.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
    const offered = (opts.offered ?? urls).join('\n');
    await t.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: `Read these:\n${offered}` }] }]);
    const events = await t.waitFor(s.id, idleAfter(1));
    const results = events.filter((e): e is Result => e.type === 'agent.tool_result');
    assert.equal(results.length, urls.length, `one result per call: ${events.map((e) => e.type).join(' ')}`);
    return { id: s.id, results, events };
  }

  const egressLog = (id: string) =>
    readFileSync(path.join(t.storage, 'sessions', id, 'egress.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { client: string; host: string; decision: string; reason: string; status?: number });

  it('offers web_fetch to the model and returns an HTML page as Markdown of its article', async () => {
    const { id, results, events } = await fetchAll([`${base}/article`]);
    const def = t.model.requests[0]!.body.tools!.find((x) => x.name === 'web_fetch');
    assert.ok(def, 'web_fetch is offered');
    assert.equal((def as unknown as { input_schema: { required?: string[] } }).input_schema.required?.[0], 'url');
    const use = events.find((e) => e.type === 'agent.tool_use');
    assert.ok(use?.type === 'agent.tool_use' && use.name === 'web_fetch' && use.evaluated_permission === 'allow');
    const text = resultText(results[0]!);
    assert.equal(results[0]!.is_error, false, text);
    assert.match(text, /^Title: Hangar Field Notes/m);
    assert.match(text, /The \*\*largest\*\* hangar/);
    assert.match(text, /^## Doors/m);
    assert.match(text, /```\nopen --door=main --speed=slow\n```/);
    assert.match(text, new RegExp(`\\[plain checklist\\]\\(${base.replace(/\./g, '\\.')}/plain\\)`), 'links made absolute');
    assert.doesNotMatch(text, /tracking|Buy now|color:red/, 'scripts, styles and clutter dropped');
    // The model got it as the call's result.
    assert.match(JSON.stringify(t.model.requests[1]!.body.messages), /Hangars keep aircraft out of the weather/);
    const log = egressLog(id);
    assert.deepEqual(log.map((r) => [r.client, r.host, r.decision, r.status]), [['web_fetch (host)', 'pages.hangar.test', 'allowed', 200]]);
  });

  it('returns text types as they are, decodes gzip and charsets, follows a redirect, and fetches a link from an earlier result', async () => {
    const { results } = await fetchAll([`${base}/gzip-article`, `${base}/json`, `${base}/latin1`, `${base}/to-plain`, `${base}/plain`], {
      offered: [`${base}/gzip-article`, `${base}/json`, `${base}/latin1`, `${base}/to-plain`],
    });
    const texts = results.map(resultText);
    assert.deepEqual(results.map((r) => r.is_error), [false, false, false, false, false], texts.join('\n---\n'));
    assert.match(texts[0]!, /Hangars keep aircraft/);
    assert.match(texts[1]!, /\{"doors": 2\}/);
    assert.match(texts[2]!, /café/);
    assert.match(texts[3]!, new RegExp(`URL: ${base.replace(/\./g, '\\.')}/plain`));
    assert.match(texts[3]!, /Checklist: panels/);
    // /plain was never in the user's message: the gzip article's link offered it (a server tool result).
    assert.match(texts[4]!, /Checklist: panels/);
  });

  it('cuts a 2 GB response at the byte limit and says so', async () => {
    const { results } = await fetchAll([`${base}/flood`]);
    const text = resultText(results[0]!);
    assert.equal(results[0]!.is_error, false);
    assert.match(text, /longer than 10 MiB; only its beginning was read/);
    assert.match(text, /Content cut at 100000 characters/);
    assert.ok(pages.floodSent() < 200 * 1024 * 1024, `the server stopped sending early (sent ${pages.floodSent()} bytes)`);
  });

  it('refuses binary content, a redirect loop, a redirect to 169.254.169.254, private and loopback addresses, hosts off the allow-list and malformed URLs', async () => {
    const urls = [
      `${base}/png`,
      `${base}/untyped-binary`,
      `${base}/loop-a`,
      `${base}/to-metadata`,
      `http://private.hangar.test:${pages.port}/plain`,
      `http://127.0.0.1:${pages.port}/plain`,
      `http://other.hangar.test:${pages.port}/plain`,
      `${base}/to-other-host?port=${pages.port}`,
      'ftp://pages.hangar.test/file',
      'http://exa mple.com/',
      'not a url',
      `${base}/missing`,
    ];
    const { id, results } = await fetchAll(urls);
    const texts = results.map(resultText);
    assert.ok(results.every((r) => r.is_error === true), texts.join('\n---\n'));
    const expect = [
      /image\/png, which web_fetch does not return/,
      /binary content, which web_fetch does not return/,
      /Redirect loop: .*\/loop-a redirected back to itself/,
      /refused .*169\.254\.169\.254:80: the address is a link-local address/,
      /refused .*private\.hangar\.test.*resolves to 10\.0\.0\.7, which is a private network address/,
      /refused .*127\.0\.0\.1.*the address is a loopback address/,
      /refused .*other\.hangar\.test.*not on the environment's allow-list[\s\S]*add "other\.hangar\.test"/,
      /refused .*other\.hangar\.test.*not on the environment's allow-list/,
      /Only http:\/\/ and https:\/\/ URLs can be fetched, not ftp:\/\//,
      /is not a valid URL|is not a valid host name/,
      /"not a url" is not a valid URL/,
      /The server answered 404[\s\S]*no such page/,
    ];
    expect.forEach((re, i) => assert.match(texts[i]!, re, `${urls[i]}: ${texts[i]}`));
    const refused = egressLog(id).filter((r) => r.decision === 'refused');
    assert.deepEqual(
      refused.map((r) => r.host),
      ['169.254.169.254', 'private.hangar.test', '127.0.0.1', 'other.hangar.test', 'other.hangar.test'],
      'every refused hop is in the session egress log',
    );
    assert.ok(refused.every((r) => r.client === 'web_fetch (host)'));
  });

  it('gives up on a server that does not answer within the time limit', async () => {
    const { results } = await fetchAll([`${base}/hang`], { limits: { timeoutMs: 500 } });
    assert.equal(results[0]!.is_error, true);
    assert.match(resultText(results[0]!), /did not answer within 0\.5 s/);
  });

  it('fetches only URLs the conversation showed, from the sources url_sources allows', async () => {
    const { results } = await fetchAll([`${base}/plain`], { offered: ['nothing to see'] });
    assert.match(resultText(results[0]!), /only fetches URLs that already appeared in this conversation .*did not/);
    const noUser = await (async () => {
      await t.close();
      return fetchAll([`${base}/plain`], {
        agent: { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'web_fetch', url_sources: { user_input: 'none' } }] }] },
      });
    })();
    assert.equal(noUser.results[0]!.is_error, true);
    assert.match(resultText(noUser.results[0]!), /client tool results, server tool results\), and .* did not/);
  });

  it('applies the agent config: blocked_domains, allowed_domains, max_content_tokens, and the permission policy', async () => {
    const { results, events } = await fetchAll([`${base}/article`, `${base}/plain`], {
      agent: {
        tools: [
          {
            type: 'agent_toolset_20260401',
            configs: [{ name: 'web_fetch', blocked_domains: ['pages.hangar.test'] } as never],
          },
        ],
      },
    });
    assert.match(resultText(results[0]!), /pages\.hangar\.test is in this agent's web_fetch blocked_domains/);
    assert.ok(events.every((e) => e.type !== 'agent.tool_use' || e.evaluated_permission === 'allow'));
    await t.close();
    const limited = await fetchAll([`${base}/article`], {
      agent: { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'web_fetch', allowed_domains: ['hangar.test'], max_content_tokens: 20 } as never] }] },
    });
    assert.match(resultText(limited.results[0]!), /Content cut at 80 characters \(max_content_tokens 20\)/);
    await t.close();
    const asked = await makeAsked();
    assert.equal(asked, 'ask');
  });

  async function makeAsked(): Promise<string | undefined> {
    t = await makeTestRuntime({ script: [reply.tool('web_fetch', { url: `${base}/plain` })], runtime: { egress: { lookup: testLookup, allowPrivate: allowLoopbackTestNames } } });
    const id = await t.start(`read ${base}/plain`, { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'web_fetch', permission_policy: { type: 'always_ask' } }] }] });
    const events = await t.waitFor(id, idleAfter(1));
    const use = events.find((e) => e.type === 'agent.tool_use');
    assert.equal(events.filter((e) => e.type === 'agent.tool_result').length, 0, 'nothing ran before the user answered');
    return use?.type === 'agent.tool_use' ? use.evaluated_permission ?? undefined : undefined;
  }
});
