import * as z from 'zod';
import { lazySchema } from './lazy';
import { BUILTIN_MODELS, CheckedCatalog, EFFORTS, ModelCatalogError, type CatalogProviders } from './model-catalog';

export * from './model-catalog';

// The model catalogue: one table of what each Claude model accepts and costs. The harness reads it to build requests
// the model accepts (thinking mode, effort, output limit) and to decide when a session nears its context window; the
// fold reads it to price usage. Users override or extend it (runtime option `models`, `<storage>/models.json`, VS Code
// setting `hangar.models`) with the same shape, validated by `ModelCatalogOverrides`. The table and its lookup are model-catalog.ts.

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

/** The catalogue with the user's overrides laid over the built-in table, each checked (the table is model-catalog.ts). */
export class ModelCatalog extends CheckedCatalog {
  /** Throws a readable error when an override is invalid (unknown field, a new id without every field). */
  constructor(overrides: unknown = {}, providers: CatalogProviders = {}) {
    super(checkedOverrides(overrides), providers);
  }
}

/** Each override merged with the entry it changes and checked whole, by lower-case id. */
function checkedOverrides(overrides: unknown): Record<string, ModelSpec> {
  // No overrides (DEFAULT_CATALOG, made when this module loads): nothing to validate, and no override schemas to build.
  const parsed = isEmptyObject(overrides) ? { success: true as const, data: {} } : ModelCatalogOverrides.safeParse(overrides);
  if (!parsed.success) throw new ModelCatalogError(`invalid model catalogue override: ${z.prettifyError(parsed.error)}`);
  const entries: Record<string, ModelSpec> = {};
  for (const [rawId, o] of Object.entries(parsed.data)) {
    // Provider model ids may have capitals (`vllm/Qwen/Qwen3-Coder`); ids are looked up lower-cased.
    const id = rawId.toLowerCase();
    const base = entries[id] ?? BUILTIN_MODELS[id];
    const merged = base ? { ...base, ...o, prices: { ...base.prices, ...o.prices } } : o;
    const full = ModelSpec.safeParse(merged);
    if (!full.success) throw new ModelCatalogError(`model catalogue override for "${id}" is incomplete (a new model needs every field): ${z.prettifyError(full.error)}`);
    entries[id] = full.data;
  }
  return entries;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

export const DEFAULT_CATALOG = new ModelCatalog();
