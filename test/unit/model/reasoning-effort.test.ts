import assert from 'node:assert/strict';
import { toChatRequest } from '../../../src/model/openai/request';
import { EFFORTS, ModelCatalog } from '../../../src/wire/models';

// Hangar's effort levels on Chat Completions: low, medium and high go as reasoning_effort; the catalogue keeps an
// OpenAI-compatible provider's model to those three, so xhigh and max are refused before a request is made.

const base = { model: 'm', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('reasoning effort on OpenAI-compatible providers', () => {
  it('sends low, medium and high as reasoning_effort, and nothing without an effort', () => {
    for (const effort of ['low', 'medium', 'high'] as const) assert.equal(toChatRequest({ ...base, output_config: { effort } }, 'm', 'max_tokens').reasoning_effort, effort);
    assert.equal('reasoning_effort' in toChatRequest(base, 'm', 'max_tokens'), false);
  });

  it("limits a provider model's efforts to what reasoning_effort takes, and leaves Claude's alone", () => {
    const spec = { name: 'Q', contextWindow: 32_768, maxOutputTokens: 8_192, thinking: 'none', efforts: [...EFFORTS], defaultEffort: null, prices: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, pricesCheckedAt: '2026-12-06', source: 'test' };
    const catalog = new ModelCatalog({ 'vllm/q': spec, 'gw/q': spec }, { configs: [{ name: 'vllm', kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }, { name: 'gw', kind: 'anthropic', baseUrl: 'http://127.0.0.1:2' }] });
    assert.deepEqual(catalog.lookup('vllm/q').efforts, ['low', 'medium', 'high']);
    assert.deepEqual(catalog.lookup('gw/q').efforts, [...EFFORTS]);
  });
});
