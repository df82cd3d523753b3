import { providerIsLocal } from './provider-names';
import type { ModelProviderConfig, ProviderModelInfo } from './model-providers';
import type { ModelPrices, ModelSpec } from './models';

// The catalogue entry of an OpenAI-compatible provider's model that the catalogue has no entry for: its limits and
// prices from what the provider's models endpoint said, else from the provider's configuration. A local provider's
// models cost nothing; a remote one that publishes no prices is priced at zero and marked an estimate, so every surface
// labels its cost so and a cost budget refuses it (model_not_budgetable).

const LOCAL_WINDOW = 32_768;
const REMOTE_WINDOW = 128_000;
const MAX_OUTPUT = 16_384;
const FREE: ModelPrices = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

export function providerModelSpec(provider: ModelProviderConfig, model: string, info: ProviderModelInfo | undefined): { spec: ModelSpec; estimate: boolean } {
  const local = providerIsLocal(provider);
  const contextWindow = info?.contextWindow ?? provider.contextWindow ?? (local ? LOCAL_WINDOW : REMOTE_WINDOW);
  const priced = !local && info?.prices;
  const prices: ModelPrices = priced
    ? { input: priced.input, output: priced.output, cacheWrite5m: priced.input, cacheWrite1h: priced.input, cacheRead: priced.cacheRead ?? priced.input }
    : FREE;
  const spec: ModelSpec = {
    name: model,
    contextWindow,
    maxOutputTokens: info?.maxOutputTokens ?? Math.max(1, Math.min(MAX_OUTPUT, Math.floor(contextWindow / 4))),
    thinking: 'none',
    efforts: [],
    defaultEffort: null,
    prices,
    ...(info?.tools === undefined ? {} : { tools: info.tools }),
    pricesCheckedAt: '2026-12-06',
    source: local ? `local provider ${provider.name} (free)` : priced ? `${provider.name}'s models endpoint` : `no price known for ${provider.name}'s models (add one to hangar.models or models.json)`,
  };
  return { spec, estimate: !local && !priced };
}
