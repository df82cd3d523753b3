import * as z from 'zod';
import { lazySchema } from './lazy';
import { BUILTIN_PROVIDER, qualifiedModel, type ModelProviderConfig, type ProviderModelInfo } from './model-providers';
import { providerModelSpec } from './provider-spec';

// The model catalogue: one table of what each Claude model accepts and costs. The harness reads it to build requests
// the model accepts (thinking mode, effort, output limit) and to decide when a session nears its context window; the
// fold reads it to price usage. Users override or extend it (runtime option `models`, `<storage>/models.json`, VS Code
// setting `hangar.models`) with the same shape, validated by `ModelCatalogOverrides`.
//
// Sources, checked 2026-12-05 against Anthropic's model pages (platform.claude.com/docs/en/models/<model>/overview)
// and the pricing page as far as they were reachable from this machine. Where a number came only from third-party
// price tables, `source` says so: check it against https://platform.claude.com/docs/en/about-claude/pricing.

export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;
export const Effort = lazySchema(() => z.enum(EFFORTS));
export type Effort = z.infer<typeof Effort>;

/**
 * How a model thinks:
 * - `adaptive`: `thinking: {type:"adaptive"}`, can be turned off with `{type:"disabled"}`;
 * - `adaptive_always`: adaptive and always on (a `disabled` request is refused);
 * - `budget`: manual extended thinking, `{type:"enabled", budget_tokens}`;
 * - `none`: no thinking parameter at all.
 */
export const ThinkingSupport = lazySchema(() => z.enum(['adaptive', 'adaptive_always', 'budget', 'none']));
export type ThinkingSupport = z.infer<typeof ThinkingSupport>;

/** USD per million tokens. */
export const ModelPrices = lazySchema(() => z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheWrite5m: z.number().nonnegative(),
  cacheWrite1h: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
}));
export type ModelPrices = z.infer<typeof ModelPrices>;

export const ModelSpec = lazySchema(() => z.object({
  /** Display name. */
  name: z.string().min(1),
  contextWindow: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  thinking: ThinkingSupport,
  /** Effort values the model accepts as `output_config.effort`; empty when the model takes no effort parameter. */
  efforts: z.array(Effort),
  defaultEffort: Effort.nullable(),
  prices: ModelPrices,
  /** False for a model that takes no tool definitions: a session whose agent has tools is refused. Absent: it does. */
  tools: z.boolean().optional(),
  /** A prompt (input + cache reads + cache writes) above `thresholdTokens` is billed at these prices instead. */
  longPrompt: z.object({ thresholdTokens: z.number().int().positive(), prices: ModelPrices }).optional(),
  /** Date the prices were last checked (YYYY-MM-DD) and where they came from. */
  pricesCheckedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD'),
  source: z.string(),
}));
export type ModelSpec = z.infer<typeof ModelSpec>;

/** A user override: any subset of a spec's fields (prices field by field); a new id needs the full spec. */
export const ModelSpecOverride = lazySchema(() => z.strictObject({ ...ModelSpec.partial().shape, prices: z.strictObject(ModelPrices.partial().shape).optional() }));
export const ModelCatalogOverrides = lazySchema(() => z.record(
  z
    .string()
    .regex(
      /^(?:[a-z0-9][a-z0-9.-]*|[a-z0-9][a-z0-9_-]*\/[A-Za-z0-9][\w.:/-]*)$/,
      'model ids are lower-case letters, digits, dots and dashes, or <provider>/<model> for a configured provider\'s model',
    ),
  ModelSpecOverride,
));
export type ModelCatalogOverrides = z.infer<typeof ModelCatalogOverrides>;

/** Overrides applied one after the other: a later layer changes an id's fields (prices field by field), never drops an earlier layer's. */
export function layerOverrides(...layers: ModelCatalogOverrides[]): ModelCatalogOverrides {
  const out: ModelCatalogOverrides = {};
  for (const layer of layers) {
    for (const [id, o] of Object.entries(layer)) {
      const prev = out[id];
      out[id] = prev ? { ...prev, ...o, ...(prev.prices || o.prices ? { prices: { ...prev.prices, ...o.prices } } : {}) } : o;
    }
  }
  return out;
}

/** What pricing a model's usage needs: the session fold takes only this, so every surface prices with one catalogue. */
export const ModelPricing = lazySchema(() => ModelSpec.pick({ prices: true, longPrompt: true }).extend({
  /** The prices are a guess (no list price known for the model): surfaces label the cost an estimate. */
  estimate: z.boolean().optional(),
}));
export type ModelPricing = z.infer<typeof ModelPricing>;

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

export class ModelCatalog {
  private readonly entries: Record<string, ModelSpec>;
  private readonly cache = new Map<string, ResolvedModel>();
  private readonly providers: ReadonlyMap<string, ModelProviderConfig>;
  private readonly discovered = new Map<string, ProviderModelInfo>();

  /** Throws a readable error when an override is invalid (unknown field, a new id without every field). */
  constructor(overrides: unknown = {}, providers: CatalogProviders = {}) {
    // No overrides (DEFAULT_CATALOG, made when this module loads): nothing to validate, and no override schemas to build.
    const parsed = isEmptyObject(overrides) ? { success: true as const, data: {} } : ModelCatalogOverrides.safeParse(overrides);
    if (!parsed.success) throw new ModelCatalogError(`invalid model catalogue override: ${z.prettifyError(parsed.error)}`);
    this.providers = new Map((providers.configs ?? []).map((p) => [p.name, p]));
    for (const [id, info] of Object.entries(providers.discovered ?? {})) this.discovered.set(id.toLowerCase(), info);
    this.entries = { ...BUILTIN_MODELS };
    for (const [rawId, o] of Object.entries(parsed.data)) {
      // Provider model ids may have capitals (`vllm/Qwen/Qwen3-Coder`); ids are looked up lower-cased.
      const id = rawId.toLowerCase();
      const base = this.entries[id];
      const merged = base ? { ...base, ...o, prices: { ...base.prices, ...o.prices } } : o;
      const full = ModelSpec.safeParse(merged);
      if (!full.success) throw new ModelCatalogError(`model catalogue override for "${id}" is incomplete (a new model needs every field): ${z.prettifyError(full.error)}`);
      this.entries[id] = full.data;
    }
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
    for (const [id, info] of Object.entries(models)) this.discovered.set(id.toLowerCase(), info);
    this.cache.clear();
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

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

export const DEFAULT_CATALOG = new ModelCatalog();

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
