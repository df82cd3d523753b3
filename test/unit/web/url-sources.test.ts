import assert from 'node:assert/strict';
import type { SessionEvent } from '../../../src/wire';
import { UrlSources, urlNotOffered } from '../../../src/web/url-sources';

// Which URLs web_fetch may fetch: those the conversation showed, from the sources the agent's url_sources allows
// (reference §5.2), with "only" / "except" lists of tools whose results count.

const at = (i: number) => ({ id: `sevt_${i}`, processed_at: '2026-01-01T00:00:00Z' });
const userSays = (text: string): SessionEvent => ({ ...at(1), type: 'user.message', content: [{ type: 'text', text }] });
const toolSaid = (name: string, text: string, n: number): SessionEvent[] => [
  { ...at(n), type: 'agent.tool_use', name, input: {}, evaluated_permission: 'allow' } as SessionEvent,
  { ...at(n + 1), type: 'agent.tool_result', tool_use_id: `sevt_${n}`, content: [{ type: 'text', text }], is_error: false } as SessionEvent,
];
const clientSaid = (name: string, text: string, n: number): SessionEvent[] => [
  { ...at(n), type: 'agent.custom_tool_use', name, input: {} } as SessionEvent,
  { ...at(n + 1), type: 'user.custom_tool_result', custom_tool_use_id: `sevt_${n}`, content: [{ type: 'text', text }] } as SessionEvent,
];
const ok = (url: string, events: SessionEvent[], sources: unknown = null) => urlNotOffered(new URL(url), events, sources === null ? null : UrlSources.parse(sources)) === null;

describe('web_fetch url_sources', () => {
  it('finds a URL in prose, ignoring punctuation around it and the fragment', () => {
    const events = [userSays('See https://docs.example.org/a/b. Also (https://x.example/p?q=1), fine')];
    assert.ok(ok('https://docs.example.org/a/b', events));
    assert.ok(ok('https://docs.example.org/a/b#part', events));
    assert.ok(ok('https://x.example/p?q=1', events));
    assert.ok(!ok('https://x.example/p?q=2', events), 'another query is another URL');
    assert.ok(!ok('https://docs.example.org/a', events), 'a prefix is not the URL');
    assert.ok(ok('https://docs.example.org', [userSays('at https://docs.example.org/')]), 'an origin equals it with "/"');
  });

  it('counts each source as url_sources allows: all, none, only and except tool lists', () => {
    const events = [...toolSaid('bash', 'curl https://a.example/', 1), ...toolSaid('web_search', 'https://b.example/', 3), ...clientSaid('lookup', 'https://c.example/', 5)];
    assert.ok(ok('https://a.example/', events) && ok('https://b.example/', events) && ok('https://c.example/', events));
    const onlySearch = { server_tool_results: { type: 'only', tools: [{ type: 'tool_reference', name: 'web_search' }] } };
    assert.ok(!ok('https://a.example/', events, onlySearch));
    assert.ok(ok('https://b.example/', events, onlySearch));
    const exceptBash = { server_tool_results: { type: 'except', tools: [{ type: 'tool_reference', name: 'bash' }] } };
    assert.ok(!ok('https://a.example/', events, exceptBash));
    assert.ok(ok('https://b.example/', events, exceptBash));
    assert.ok(!ok('https://c.example/', events, { client_tool_results: 'none' }));
    assert.ok(ok('https://c.example/', events, { client_tool_results: { type: 'only', tools: [{ type: 'tool_reference', name: 'lookup' }] } }));
  });

  it('does not count error results, and names the allowed sources when it refuses', () => {
    const failed: SessionEvent[] = [
      { ...at(1), type: 'agent.tool_use', name: 'web_fetch', input: {}, evaluated_permission: 'allow' } as SessionEvent,
      { ...at(2), type: 'agent.tool_result', tool_use_id: 'sevt_1', content: [{ type: 'text', text: 'refused https://evil.example/' }], is_error: true } as SessionEvent,
    ];
    const why = urlNotOffered(new URL('https://evil.example/'), failed, UrlSources.parse({ user_input: 'none' }));
    assert.match(why ?? '', /already appeared in this conversation \(client tool results, server tool results\), and https:\/\/evil\.example\/ did not/);
  });
});
