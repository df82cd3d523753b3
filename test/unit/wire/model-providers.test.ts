import { strict as assert } from 'node:assert';
import * as z from 'zod';
import { ModelCatalog, ModelProviderConfigs, costUsd, isLocalUrl, qualifiedModel, unknownProviderProblem, type ModelProviderConfig } from '../../../src/wire';

const ollama: ModelProviderConfig = { name: 'ollama', kind: 'openai', baseUrl: 'http://localhost:11434/v1' };
const router: ModelProviderConfig = { name: 'router', kind: 'openai', baseUrl: 'https://openrouter.example/api/v1' };
const gateway: ModelProviderConfig = { name: 'gw', kind: 'anthropic', baseUrl: 'https://gateway.example' };
const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

describe('model providers in the catalogue', () => {
  it('splits provider-qualified ids only at a configured provider', () => {
    assert.deepEqual(qualifiedModel('ollama/qwen3-coder:30b', ['ollama']), { provider: 'ollama', model: 'qwen3-coder:30b' });
    assert.deepEqual(qualifiedModel('router/meta-llama/llama-3.3-70b', ['router']), { provider: 'router', model: 'meta-llama/llama-3.3-70b' });
    assert.deepEqual(qualifiedModel('anthropic/claude-sonnet-5-5', []), { provider: 'anthropic', model: 'claude-sonnet-5-5' });
    assert.deepEqual(qualifiedModel('claude-sonnet-5-5', ['ollama']), { provider: 'anthropic', model: 'claude-sonnet-5-5' });
    assert.match(unknownProviderProblem('lmstudio/qwen', ['ollama']) ?? '', /names the provider "lmstudio", which is not configured \(providers: anthropic, ollama\)\. Add it to the hangar\.modelProviders setting/);
    assert.equal(unknownProviderProblem('claude-sonnet-5-5', []), null);
  });

  it('knows loopback base URLs', () => {
    for (const u of ['http://localhost:11434/v1', 'http://127.0.0.1:1234/v1', 'http://[::1]:8080/v1']) assert.ok(isLocalUrl(u), u);
    for (const u of ['https://api.openai.com/v1', 'http://192.168.1.5:11434/v1']) assert.ok(!isLocalUrl(u), u);
  });

  it('refuses a provider list with a clear reason', () => {
    const dup = ModelProviderConfigs.safeParse([ollama, ollama]);
    assert.ok(!dup.success && /two providers are named "ollama"/.test(z.prettifyError(dup.error)));
    const builtin = ModelProviderConfigs.safeParse([{ ...ollama, name: 'anthropic' }]);
    assert.ok(!builtin.success && /"anthropic" is the built-in provider/.test(z.prettifyError(builtin.error)));
    const url = ModelProviderConfigs.safeParse([{ ...ollama, baseUrl: 'localhost:11434' }]);
    assert.ok(!url.success && /baseUrl must be an http/.test(z.prettifyError(url.error)));
    const kind = ModelProviderConfigs.safeParse([{ ...ollama, kind: 'gemini' }]);
    assert.ok(!kind.success);
    const extra = ModelProviderConfigs.safeParse([{ ...ollama, apiKey: 'sk-plain' }]);
    assert.ok(!extra.success, 'a key in plain settings is refused (keys are vault credentials)');
  });

  it('prices a local provider at zero, exactly, with a local window', () => {
    const catalog = new ModelCatalog({}, { configs: [ollama] });
    const m = catalog.lookup('ollama/qwen3-coder');
    assert.equal(m.estimate, false);
    assert.equal(costUsd(m, usage), 0);
    assert.equal(m.thinking, 'none');
    assert.deepEqual(m.efforts, []);
    assert.equal(m.contextWindow, 32_768);
    assert.ok(m.maxOutputTokens <= m.contextWindow / 4);
  });

  it('marks a remote model without a price an estimate, and uses the prices and window its endpoint gave', () => {
    const catalog = new ModelCatalog({}, { configs: [router] });
    assert.equal(catalog.lookup('router/some/model').estimate, true);
    catalog.discover({ 'router/some/model': { id: 'router/some/model', contextWindow: 200_000, tools: false, prices: { input: 3, output: 15 } } });
    const m = catalog.lookup('router/some/model');
    assert.equal(m.estimate, false);
    assert.equal(m.contextWindow, 200_000);
    assert.equal(m.tools, false);
    assert.equal(costUsd(m, usage), 18);
  });

  it('counts a change of what a models endpoint said, and not the same answer again (the picker lists on each open)', () => {
    const catalog = new ModelCatalog({}, { configs: [router] });
    const info = { id: 'router/some/model', prices: { input: 3, output: 15 } };
    catalog.discover({ 'router/some/model': info });
    assert.equal(catalog.generation(), 1);
    catalog.discover({ 'ROUTER/some/model': { ...info, prices: { ...info.prices } } });
    assert.equal(catalog.generation(), 1, 'the same prices again');
    catalog.discover({ 'router/some/model': { ...info, prices: { input: 4, output: 15 } } });
    assert.equal(catalog.generation(), 2, 'a new price');
    assert.equal(costUsd(catalog.lookup('router/some/model'), usage), 19);
  });

  it('lets user overrides price a provider model, and a gateway serve Claude ids', () => {
    const catalog = new ModelCatalog(
      { 'router/vendor/Big-Model': { name: 'Big', contextWindow: 64_000, maxOutputTokens: 8_000, thinking: 'none', efforts: [], defaultEffort: null, prices: { input: 1, output: 2, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 0.1 }, pricesCheckedAt: '2026-12-06', source: 'user' } },
      { configs: [router, gateway] },
    );
    const big = catalog.lookup('router/vendor/big-model');
    assert.equal(big.estimate, false);
    assert.equal(big.contextWindow, 64_000);
    assert.equal(costUsd(big, usage), 3);
    const claude = catalog.lookup('gw/claude-opus-5-5');
    assert.equal(claude.key, 'claude-opus-5-5');
    assert.equal(claude.estimate, false);
    assert.equal(catalog.lookup('anthropic/claude-haiku-4-5').key, 'claude-haiku-4-5');
  });

  it('tells catalogues with other providers apart (a summary priced by another is folded again)', () => {
    const a = JSON.stringify(new ModelCatalog({}, { configs: [ollama] }).identity());
    const b = JSON.stringify(new ModelCatalog({}, { configs: [{ ...ollama, local: false }] }).identity());
    assert.notEqual(a, b);
  });
});
