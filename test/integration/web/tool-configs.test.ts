import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { startApi, type ApiFixture } from '../api/helpers';

// A web tool config that could never work is refused when the agent is created or updated, through the real SDK, with
// a 400 naming the field and the fix (ARCHITECTURE.md invariant 8); nothing is stored. Sound configs are accepted.

type Config = Record<string, unknown>;
// Bad configs on purpose: some do not fit the SDK's param types.
const toolset = (...configs: Config[]) => [{ type: 'agent_toolset_20260401', configs }] as unknown as Anthropic.Beta.AgentCreateParams['tools'];

const refused: [string, Config, RegExp][] = [
  ['both domain lists', { name: 'web_fetch', allowed_domains: ['a.org'], blocked_domains: ['b.org'] }, /web_fetch\.blocked_domains: allowed_domains and blocked_domains cannot both be set; keep one/],
  ['an empty domain list', { name: 'web_search', allowed_domains: [] }, /web_search\.allowed_domains: must not be empty; leave the field out/],
  ['a malformed domain', { name: 'web_fetch', blocked_domains: ['not a host!'] }, /web_fetch\.blocked_domains\.0: "not a host!" is not a plain host name/],
  ['a path in a web_fetch domain', { name: 'web_fetch', allowed_domains: ['example.com/docs'] }, /web_fetch\.allowed_domains\.0: "example\.com\/docs" is not a plain host name/],
  ['65 domains', { name: 'web_search', blocked_domains: Array.from({ length: 65 }, (_, i) => `d${i}.org`) }, /web_search\.blocked_domains: lists at most 64 domains/],
  ['max_content_tokens 0', { name: 'web_fetch', max_content_tokens: 0 }, /web_fetch\.max_content_tokens: must be at least 1/],
  ['max_content_tokens 2.5', { name: 'web_fetch', max_content_tokens: 2.5 }, /web_fetch\.max_content_tokens: must be a whole number of tokens/],
  ['max_content_tokens too large', { name: 'web_fetch', max_content_tokens: 5_000_000 }, /web_fetch\.max_content_tokens: must be at most 1000000/],
  ['every url source none', { name: 'web_fetch', url_sources: { user_input: 'none', client_tool_results: 'none', server_tool_results: 'none' } }, /web_fetch\.url_sources: every source is "none".*allow at least one source/],
  ['an unknown url source', { name: 'web_fetch', url_sources: { user_input: 'some' } }, /web_fetch\.url_sources\.user_input/],
  ['an empty only list', { name: 'web_fetch', url_sources: { server_tool_results: { type: 'only', tools: [] } } }, /web_fetch\.url_sources\.server_tool_results/],
  ['a bad country', { name: 'web_search', user_location: { type: 'approximate', country: 'France' } }, /web_search\.user_location\.country: must be a two-letter ISO 3166-1 country code/],
  ['a bad time zone', { name: 'web_search', user_location: { type: 'approximate', timezone: 'Mars/Olympus' } }, /web_search\.user_location\.timezone: must be an IANA time zone/],
  ['a location that is not approximate', { name: 'web_search', user_location: { type: 'exact' } }, /web_search\.user_location\.type/],
];

describe('web tool configs: refused at create and update time', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  before(async () => (f = await startApi()));
  after(async () => f?.close());

  for (const [what, config, message] of refused) {
    it(`refuses ${what}`, async () => {
      const before = (await f.client.beta.agents.list()).data.length;
      await assert.rejects(f.client.beta.agents.create({ name: 'bad', model: DEFAULT_MODEL, tools: toolset(config) }), (err) => {
        assert.ok(err instanceof Anthropic.BadRequestError, `expected BadRequestError, got ${String(err)}`);
        assert.match(err.message, message);
        return true;
      });
      assert.equal((await f.client.beta.agents.list()).data.length, before, 'no agent was stored');
    });
  }

  it('accepts sound configs, and refuses an update that breaks one, keeping the last version', async () => {
    const agent = await f.client.beta.agents.create({
      name: 'web',
      model: DEFAULT_MODEL,
      tools: toolset(
        { name: 'web_fetch', allowed_domains: ['example.org', '*.docs.example.com'], max_content_tokens: 5000, url_sources: { user_input: 'all', server_tool_results: { type: 'only', tools: [{ type: 'tool_reference', name: 'web_search' }] } } },
        { name: 'web_search', blocked_domains: ['spam.example/ads'], user_location: { type: 'approximate', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' } },
      ),
    });
    await assert.rejects(
      f.client.beta.agents.update(agent.id, { version: agent.version, tools: toolset({ name: 'web_search', allowed_domains: ['a.org'], blocked_domains: ['b.org'] }) }),
      (err) => err instanceof Anthropic.BadRequestError && /web_search\.blocked_domains: allowed_domains and blocked_domains cannot both be set/.test(err.message),
    );
    assert.equal((await f.client.beta.agents.retrieve(agent.id)).version, agent.version);
  });
});
