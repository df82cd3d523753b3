import { strict as assert } from 'node:assert';
import { BUILTIN_MODELS, DEFAULT_CATALOG, ModelCatalog, costUsd, summarize, type SessionEvent } from '../../../src/wire';

describe('model catalogue', () => {
  it('resolves ids, dated ids and aliases to their own entry, never a neighbour', () => {
    assert.equal(DEFAULT_CATALOG.lookup('claude-sonnet-5-5').key, 'claude-sonnet-5-5');
    assert.equal(DEFAULT_CATALOG.lookup('claude-sonnet-5-5-20260928').key, 'claude-sonnet-5-5');
    assert.equal(DEFAULT_CATALOG.lookup('claude-sonnet-5').key, 'claude-sonnet-5');
    assert.equal(DEFAULT_CATALOG.lookup('claude-sonnet-5-20260630').key, 'claude-sonnet-5');
    assert.equal(DEFAULT_CATALOG.lookup('claude-haiku-4-5').thinking, 'budget');
    assert.equal(DEFAULT_CATALOG.lookup('claude-sonnet-5-5').estimate, false);
  });

  it('marks unknown ids as estimates priced by family', () => {
    const m = DEFAULT_CATALOG.lookup('claude-opus-9');
    assert.equal(m.estimate, true);
    assert.equal(m.key, 'claude-opus-5-5');
    assert.equal(DEFAULT_CATALOG.lookup('some-local-model').key, 'claude-sonnet-5-5');
  });

  it('no longer prices Opus at the old $15/$75', () => {
    const opus = DEFAULT_CATALOG.lookup('claude-opus-5-5').prices;
    assert.deepEqual([opus.input, opus.output], [4, 20]);
  });

  it('prices the long-prompt band of Haiku 5.5 by prompt size', () => {
    const haiku = DEFAULT_CATALOG.lookup('claude-haiku-5-5');
    const small = costUsd(haiku, { input_tokens: 1_000, output_tokens: 1_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const large = costUsd(haiku, { input_tokens: 1_000, output_tokens: 1_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 200_000 });
    assert.equal(small, (1_000 * 0.1 + 1_000 * 0.5) / 1e6);
    assert.equal(large, (1_000 * 0.5 + 200_000 * 0.05 + 1_000 * 2.5) / 1e6);
  });

  it('takes user overrides field by field and new models in full; the fold prices with them', () => {
    const catalog = new ModelCatalog({ 'claude-sonnet-5-5': { prices: { input: 100 } }, 'my-proxy-model': { ...BUILTIN_MODELS['claude-haiku-4-5'], name: 'proxy' } });
    assert.equal(catalog.lookup('claude-sonnet-5-5').prices.input, 100);
    assert.equal(catalog.lookup('claude-sonnet-5-5').prices.output, 10);
    assert.equal(catalog.lookup('my-proxy-model').estimate, false);
    const events = [
      { id: 'a', processed_at: null, type: 'span.model_request_end', model_request_start_id: 's', is_error: false, model_usage: { input_tokens: 1_000_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
    ] as SessionEvent[];
    assert.equal(Math.round(summarize(events, catalog.lookup('claude-sonnet-5-5')).costCents), 10_000);
    assert.equal(Math.round(summarize(events, DEFAULT_CATALOG.lookup('claude-sonnet-5-5')).costCents), 200);
  });

  it('refuses an invalid override with a readable reason', () => {
    assert.throws(() => new ModelCatalog({ 'claude-sonnet-5-5': { contextWindow: -1 } }), /invalid model catalogue override/);
    assert.throws(() => new ModelCatalog({ 'new-model': { name: 'x' } }), /incomplete/);
    assert.throws(() => new ModelCatalog({ 'claude-sonnet-5-5': { effort: 'high' } }), /invalid model catalogue override/);
  });
});
