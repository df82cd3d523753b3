import { BUILTIN_PROVIDER, qualifiedModel } from './provider-names';
import { providerModelSpec } from './provider-spec';
import type { ModelProviderConfig, ProviderModelInfo } from './model-providers';
import type { Effort, ModelPricing, ModelPrices, ModelSpec, ThinkingSupport } from './models';

// The model catalogue's table and lookup, without zod: models.ts has the schemas of its entries and of user overrides
// (and re-exports all of this), see there for what the table holds.
//
// Sources, checked 2026-12-05 against Anthropic's model pages (platform.claude.com/docs/en/models/<model>/overview)
// and the pricing page as far as they were reachable from this machine. Where a number came only from third-party
// price tables, `source` says so: check it against https://platform.claude.com/docs/en/about-claude/pricing.

export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

/** A catalogue override that cannot be used (its text says which and why); surfaces refuse it and tell the user. */
export class ModelCatalogError extends Error {
  override readonly name = 'ModelCatalogError';
}

const CHECKED = '2026-12-05';
const OFFICIAL = 'platform.claude.com model overview';
const ALL_EFFORTS = [...EFFORTS];

const cachePrices = (input: number, output: number, cacheRead: number): ModelPrices => ({
  input,
  output,
  cacheWrite5m: input * 1.25,
  cacheWrite1h: input * 2,
  cacheRead,
});

// Keys are model ids or id prefixes: `lookup` picks the longest key that the id starts with, ending at a separator,
// so dated ids (`claude-sonnet-5-5-20260928`) resolve to their model and never to a neighbour (`claude-sonnet-5`).
export const BUILTIN_MODELS: Readonly<Record<string, ModelSpec>> = {
  'claude-fable-5-2': {
    name: 'Claude Fable 5.2',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive_always',
    efforts: ALL_EFFORTS,
    defaultEffort: 'high',
    prices: cachePrices(8, 40, 0.2),
    pricesCheckedAt: CHECKED,
    source: `limits: ${OFFICIAL} (What's new in Fable 5.2); prices: third-party price tables (official page not reachable here)`,
  },
  'claude-fable-5-1': {
    name: 'Claude Fable 5.1',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive_always',
    efforts: ALL_EFFORTS,
    defaultEffort: 'high',
    prices: cachePrices(10, 50, 0.25),
    pricesCheckedAt: CHECKED,
    source: `${OFFICIAL}; cache prices from third-party tables`,
  },
  'claude-opus-5-5': {
    name: 'Claude Opus 5.5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive_always',
    efforts: ALL_EFFORTS,
    defaultEffort: 'medium',
    prices: cachePrices(4, 20, 0.2),
    pricesCheckedAt: CHECKED,
    source: `${OFFICIAL}; cache prices from third-party tables`,
  },
  'claude-opus-5': {
    name: 'Claude Opus 5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive',
    efforts: ALL_EFFORTS,
    defaultEffort: 'high',
    prices: cachePrices(5, 25, 0.5),
    pricesCheckedAt: CHECKED,
    source: OFFICIAL,
  },
  'claude-sonnet-5-5': {
    name: 'Claude Sonnet 5.5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive',
    efforts: ALL_EFFORTS,
    defaultEffort: 'high',
    // Cache reads were cut from $0.20 to $0.10 on 2026-10-07 (third-party changelogs; the model page seen shows $0.20).
    prices: cachePrices(2, 10, 0.1),
    pricesCheckedAt: CHECKED,
    source: `${OFFICIAL}; cache-read price from third-party changelogs`,
  },
  'claude-sonnet-5': {
    name: 'Claude Sonnet 5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive',
    efforts: ALL_EFFORTS,
    defaultEffort: 'high',
    prices: cachePrices(2, 10, 0.2),
    pricesCheckedAt: CHECKED,
    source: OFFICIAL,
  },
  'claude-haiku-5-5': {
    name: 'Claude Haiku 5.5',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive',
    efforts: ALL_EFFORTS,
    defaultEffort: 'medium',
    prices: { input: 0.1, output: 0.5, cacheWrite5m: 0.125, cacheWrite1h: 0.2, cacheRead: 0.01 },
    longPrompt: { thresholdTokens: 100_000, prices: { input: 0.5, output: 2.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05 } },
    pricesCheckedAt: CHECKED,
    source: `${OFFICIAL} (two price bands by prompt length)`,
  },
  'claude-haiku-4-5': {
    name: 'Claude Haiku 4.5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    thinking: 'budget',
    efforts: [],
    defaultEffort: null,
    prices: cachePrices(1, 5, 0.1),
    pricesCheckedAt: CHECKED,
    source: OFFICIAL,
  },
  'claude-opus-4-8': {
    name: 'Claude Opus 4.8',
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    thinking: 'adaptive',
    efforts: ALL_EFFORTS,
    defaultEffort: 'high',
    prices: cachePrices(5, 25, 0.5),
    pricesCheckedAt: CHECKED,
    source: 'third-party price tables (legacy model)',
  },
  'claude-sonnet-4-5': {
    name: 'Claude Sonnet 4.5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    thinking: 'budget',
    efforts: [],
    defaultEffort: null,
    prices: cachePrices(3, 15, 0.3),
    pricesCheckedAt: CHECKED,
    source: 'third-party price tables (legacy model)',
  },
  'claude-sonnet-4-6': {
    name: 'Claude Sonnet 4.6',
    contextWindow: 1_000_000,
    maxOutputTokens: 64_000,
    thinking: 'adaptive',
    efforts: ['low', 'medium', 'high', 'max'],
    defaultEffort: 'high',
    prices: cachePrices(3, 15, 0.3),
    pricesCheckedAt: CHECKED,
    source: 'third-party price tables (legacy model; effort values unconfirmed)',
  },
};

/** Ids without a catalogue entry fall back to their family's current model, else to the default (an estimate). */
const FAMILY_FALLBACK: Readonly<Record<string, string>> = {
  fable: 'claude-fable-5-2',
  mythos: 'claude-fable-5-2',
  opus: 'claude-opus-5-5',
  sonnet: 'claude-sonnet-5-5',
  haiku: 'claude-haiku-5-5',
};
const DEFAULT_ENTRY = 'claude-sonnet-5-5';

export interface ResolvedModel extends ModelSpec {
  /** The catalogue key the id resolved to. */
  key: string;
  /** True when the id has no entry of its own (limits and prices are a family or default guess). */
  estimate: boolean;
}

/** The configured model providers and what their models endpoints said, for the catalogue's provider models. */
export interface CatalogProviders {
  configs?: readonly ModelProviderConfig[];
  /** By full id (`ollama/qwen3-coder`). */
  discovered?: Readonly<Record<string, ProviderModelInfo>>;
}

/**
 * The catalogue over entries already checked. Without zod, so that pricing stored sessions with the built-in catalogue
 * (`hangar sessions` on a storage without model configuration files) loads no schema (issue #17); ModelCatalog
 * (models.ts) is this with the user's overrides validated.
 */
export class CheckedCatalog {
  private readonly entries: Record<string, ModelSpec>;
  private readonly cache = new Map<string, ResolvedModel>();
  private readonly providers: ReadonlyMap<string, ModelProviderConfig>;
  private readonly discovered = new Map<string, ProviderModelInfo>();
  private changes = 0;

  /** `overrides`: full specs by lower-case id (models.ts#ModelCatalog checks them), laid over the built-in table. */
  constructor(overrides: Readonly<Record<string, ModelSpec>> = {}, providers: CatalogProviders = {}) {
    this.providers = new Map((providers.configs ?? []).map((p) => [p.name, p]));
    for (const [id, info] of Object.entries(providers.discovered ?? {})) this.discovered.set(id.toLowerCase(), info);
    this.entries = { ...BUILTIN_MODELS, ...overrides };
  }

  ids(): string[] {
    return Object.keys(this.entries);
  }

  /** The configured providers (not the built-in one). */
  providerConfigs(): ModelProviderConfig[] {
    return [...this.providers.values()];
  }

  /** What a surface needs to tell two catalogues apart (a summary priced with another is folded again). */
  identity(): unknown {
    return [this.ids().map((id) => [id, this.lookup(id)]), this.providerConfigs(), [...this.discovered].sort(([a], [b]) => a.localeCompare(b))];
  }

  /** Records what a provider's models endpoint said about its models (limits, prices, tool support). */
  discover(models: Readonly<Record<string, ProviderModelInfo>>): void {
    // The model picker lists a provider's models each time it opens: an answer that says nothing new changes nothing.
    // (Compared as JSON: this module is bundled for the webview too, so no node:util; a mere key order counts as new.)
    const changed = Object.entries(models).filter(([id, info]) => JSON.stringify(this.discovered.get(id.toLowerCase())) !== JSON.stringify(info));
    if (changed.length === 0) return;
    for (const [id, info] of changed) this.discovered.set(id.toLowerCase(), info);
    this.cache.clear();
    this.changes += 1;
  }

  /**
   * How many times what `lookup` resolves changed (discover): a holder of costs priced before a change (a running
   * runtime's session summaries) prices them again.
   */
  generation(): number {
    return this.changes;
  }

  lookup(modelId: string): ResolvedModel {
    const hit = this.cache.get(modelId);
    if (hit) return hit;
    const resolved = this.resolve(modelId);
    this.cache.set(modelId, resolved);
    return resolved;
  }

  private resolve(modelId: string): ResolvedModel {
    const id = modelId.toLowerCase();
    const q = qualifiedModel(modelId, new Set(this.providers.keys()));
    const provider = this.providers.get(q.provider);
    const own = this.match(id);
    if (own) return chatCompletionsLimits({ ...this.entries[own]!, key: own, estimate: false }, provider);
    // An Anthropic-compatible gateway serves Claude ids: they resolve as the built-in provider's.
    if (q.provider === BUILTIN_PROVIDER || provider?.kind === 'anthropic') return this.resolveClaude(q.model.toLowerCase());
    if (!provider) return this.resolveClaude(id);
    const { spec, estimate } = providerModelSpec(provider, q.model, this.discovered.get(id));
    return { ...spec, key: id, estimate };
  }

  /** The longest entry key the id starts with, ending at a separator. */
  private match(id: string): string | undefined {
    let best: string | undefined;
    for (const key of Object.keys(this.entries)) {
      const fits = id === key || (id.startsWith(key) && /[-@:[]/.test(id.charAt(key.length)));
      if (fits && (!best || key.length > best.length)) best = key;
    }
    return best;
  }

  private resolveClaude(id: string): ResolvedModel {
    const best = this.match(id);
    if (best) return { ...this.entries[best]!, key: best, estimate: false };
    const family = Object.keys(FAMILY_FALLBACK).find((f) => id.includes(f));
    const key = (family && FAMILY_FALLBACK[family]) || DEFAULT_ENTRY;
    const spec = this.entries[key] ?? BUILTIN_MODELS[DEFAULT_ENTRY]!;
    return { ...spec, key, estimate: true };
  }
}

/** Anthropic's list price of one server-side web search: $10 per 1,000 searches, on top of the tokens. */
export const WEB_SEARCH_USD = 0.01;

/** Cost in USD of one model request's usage, at the model's list prices (long-prompt band when it applies). */
export function costUsd(
  spec: ModelPricing,
  u: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number },
): number {
  const prompt = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
  const p = spec.longPrompt && prompt > spec.longPrompt.thresholdTokens ? spec.longPrompt.prices : spec.prices;
  // Usage does not say which cache lifetime was written; Hangar writes only 5-minute breakpoints.
  return (u.input_tokens * p.input + u.cache_creation_input_tokens * p.cacheWrite5m + u.cache_read_input_tokens * p.cacheRead + u.output_tokens * p.output) / 1e6;
}

/** The effort levels Chat Completions' reasoning_effort takes; Hangar's xhigh and max have no equivalent there. */
const CHAT_COMPLETIONS_EFFORTS: readonly Effort[] = ['low', 'medium', 'high'];

/**
 * An entry served over Chat Completions takes only the effort levels reasoning_effort has, whatever its catalogue
 * override lists, so an agent asking for another is refused when it is created rather than by the provider mid-session.
 */
function chatCompletionsLimits(spec: ResolvedModel, provider: ModelProviderConfig | undefined): ResolvedModel {
  if (provider?.kind !== 'openai') return spec;
  const takes = (e: Effort | null): e is Effort => e !== null && CHAT_COMPLETIONS_EFFORTS.includes(e);
  return { ...spec, efforts: spec.efforts.filter(takes), defaultEffort: takes(spec.defaultEffort) ? spec.defaultEffort : null };
}

/** Why a model would refuse this thinking / effort configuration, in words a user can act on; undefined when fine. */
export function modelConfigProblem(
  spec: ResolvedModel,
  modelId: string,
  effort: Effort | undefined,
  thinking: { type: 'adaptive' | 'enabled' | 'disabled' } | undefined,
): string | undefined {
  if (effort !== undefined && !spec.efforts.includes(effort)) {
    return spec.efforts.length === 0
      ? `${modelId} takes no effort setting; leave model.effort out.`
      : `${modelId} does not accept effort "${effort}"; use one of ${spec.efforts.join(', ')}.`;
  }
  if (!thinking) return undefined;
  const accepted: Record<ThinkingSupport, readonly string[]> = {
    adaptive: ['adaptive', 'disabled'],
    adaptive_always: ['adaptive'],
    budget: ['enabled', 'disabled'],
    none: ['disabled'],
  };
  const ok = accepted[spec.thinking];
  return ok.includes(thinking.type) ? undefined : `${modelId} does not accept thinking "${thinking.type}"; use ${ok.map((t) => `"${t}"`).join(' or ')}.`;
}
